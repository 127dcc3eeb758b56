"""A gateway review over HTTP, on SQLite and PostgreSQL: the agency's query is answered 403 with
a case id, a reviewer decides the columns (API or case page), the agency's re-run with the case
id receives exactly those; every mismatch is a problem, logged, with nothing released."""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.domain.case import parse_review
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.policy.default import default_decider
from sanctuarygate.review.queue import decide_case, view_case
from sanctuarygate.settings import Settings
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.staff import add_staff, issue_token
from sanctuarygate.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

QUERY: dict[str, Any] = {"dataset": "cpd-arrests", "fields": ["*"],
                         "purpose": "criminal-investigation", "limit": 6}
PASSWORD = "correct horse battery staple"
SENSITIVE = {"birthplace", "citizenship", "immigration_status_note"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def site(db_engine: Engine, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The app over one database (log, cases, staff and records), USSS and FEMA keys, and a
    reviewer with a staff token."""
    upgrade(db_engine)
    generate(db_engine, 30, seed=4)
    log = DecisionLog(db_engine, origin="test.example/reviewed-http", data_dir=tmp_path / "data")
    decider = default_decider()
    with db_engine.begin() as conn:
        keys = {a: issue_key(conn, a, "test").key for a in ("USSS", "FEMA")}
        reviewer, _ = add_staff(conn, "reviewer-1", ["reviewer"], password=PASSWORD)
        token = issue_token(conn, reviewer.name, "test").token
    app = create_app(Settings(data_dir=tmp_path / "data"), decider=decider, log=log,
                     records=db_engine)
    yield {"client": TestClient(app), "app": app, "keys": keys, "log": log, "decider": decider,
           "staff": {"Authorization": f"Bearer {token}"}, "reviewer": reviewer}


def ask(site: dict[str, Any], agency: str, body: dict[str, Any]) -> Any:
    return site["client"].post("/api/v1/query", json=body,
                               headers={"Authorization": f"Bearer {site['keys'][agency]}"})


def logged(site: dict[str, Any], index: int) -> dict[str, Any]:
    return dict(json.loads(site["log"].entries(index, index + 1)[0].body))


def opened(site: dict[str, Any], body: dict[str, Any] = QUERY) -> int:
    r = ask(site, "USSS", body)
    assert r.status_code == 403 and r.headers["content-type"].startswith(
        "application/problem+json")
    problem = r.json()
    assert problem["decision"]["outcome"] == "review" and problem["log_index"] >= 0
    assert f'"case_id": {problem["case_id"]}' in problem["detail"]
    return int(problem["case_id"])


def rows(text: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    lines = [json.loads(x) for x in text.splitlines() if x]
    return lines[:-1], lines[-1]["_trailer"]


def test_query_review_decide_and_re_run_over_http(site: dict[str, Any]) -> None:
    case_id = opened(site)
    assert opened(site) == case_id  # the same query joins its case
    client, staff = site["client"], site["staff"]
    case = client.get(f"/api/v1/cases/{case_id}", headers=staff).json()
    assert case["source"] == "gateway" and case["agency"] == "USSS"
    offered = case["decision"]["query"]["offered"]
    assert "charge" in offered and not SENSITIVE & set(offered)
    clause = view_case(site["log"], site["decider"], case_id).clauses[0]
    answer = {"outcome": "allow-with-conditions", "conditions": ["purpose-limit"],
              "reason": "Counterfeiting case confirmed with the records unit.", "clause": clause}
    for wider in (["citizenship"], ["charge", "name", "home_address", "shoe_size"], []):
        r = client.post(f"/api/v1/cases/{case_id}/review", headers=staff,
                        json={**answer, "columns": wider})
        assert r.status_code == 422 and r.json()["field"] == "columns", r.text
    early = ask(site, "USSS", {**QUERY, "case_id": case_id})
    assert early.status_code == 403 and early.json()["case_id"] == case_id
    r = client.post(f"/api/v1/cases/{case_id}/review", headers=staff,
                    json={**answer, "columns": ["charge", "statute"]})
    assert r.status_code == 200, r.text
    review = r.json()["review"]
    assert review["columns"] == ["charge", "statute"]
    assert logged(site, review["log_index"])["columns"] == ["charge", "statute"]

    got = ask(site, "USSS", {**QUERY, "case_id": case_id})
    assert got.status_code == 200, got.text
    released, trailer = rows(got.text)
    assert len(released) == 6 and all(set(r) == {"charge", "statute", "_wm"} for r in released)
    assert any(t["kind"] == "purpose-limit" and t["rule"] == f"review:{review['log_index']}"
               for t in trailer["terms"])
    entry = logged(site, int(got.headers["X-Log-Index"]))
    assert (entry["status"], entry["case"], entry["review"], entry["released"]) == (
        "released", case_id, review["log_index"], ["charge", "statute"])

    before = site["log"].size()
    refusals = [("FEMA", {**QUERY, "case_id": case_id}, 404),
                ("USSS", {**QUERY, "case_id": case_id + 1000}, 404),
                ("USSS", {**QUERY, "dataset": "cpd-incidents", "case_id": case_id}, 403),
                ("USSS", {**QUERY, "case_id": case_id,
                          "filters": [{"field": "charge", "op": "prefix", "value": "B"}]}, 403)]
    for agency, body, status in refusals:
        r = ask(site, agency, body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == "case_id" and "_trailer" not in r.text
    entries = [json.loads(e.body) for e in site["log"].entries(before, site["log"].size())]
    queries = [e for e in entries if e["kind"] == "query"]
    assert len(queries) == len(refusals)
    assert all(q["status"] == "rejected" and not q["released"] for q in queries)


def test_a_reviewer_chooses_the_columns_on_the_case_page(site: dict[str, Any]) -> None:
    body = {**QUERY, "filters": [{"field": "district", "op": "eq", "value": 4}]}
    case_id = opened(site, body)
    client = site["client"]
    page = client.get("/signin").text
    token = _CSRF.search(page)
    assert token
    signed = client.post("/signin", data={"name": "reviewer-1", "password": PASSWORD,
                                          "csrf_token": token.group(1)}, follow_redirects=False)
    assert signed.status_code == 303
    assert f'id="case-link-{case_id}"' in client.get("/cases").text  # in the queue
    html = client.get(f"/cases/{case_id}").text
    assert 'id="column-charge"' in html and 'id="column-district"' in html
    assert 'id="column-citizenship"' not in html and "district (eq)" in html
    csrf = _CSRF.search(html)
    assert csrf
    form = {"csrf_token": csrf.group(1), "outcome": "allow",
            "clause": view_case(site["log"], site["decider"], case_id).clauses[0],
            "reason": "Checked with the records unit.", "columns": ["charge"]}
    missing = client.post(f"/cases/{case_id}/review", data=form)
    assert missing.status_code == 422 and "release it too" in missing.text  # district
    done = client.post(f"/cases/{case_id}/review", data={**form,
                                                        "columns": ["charge", "district"]},
                       follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(f"/cases/{case_id}").text
    assert re.search(r'id="case-columns">charge, district<', shown)
    got = ask(site, "USSS", {**body, "case_id": case_id})
    assert got.status_code == 200, got.text
    released, _ = rows(got.text)
    assert all(set(r) == {"charge", "district", "_wm"} and r["district"] == 4
               for r in released)


def test_a_release_expires(site: dict[str, Any]) -> None:
    """Decided 72 hours ago (the clock given to the decision, nothing waits): refused."""
    case_id = opened(site)
    answer = parse_review("allow", [], "Checked.",
                          view_case(site["log"], site["decider"], case_id).clauses[0])
    decide_case(site["log"], site["decider"], case_id, answer, actor="staff:s-0000beef",
                columns=["charge"], at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=72))
    r = ask(site, "USSS", {**QUERY, "case_id": case_id})
    assert r.status_code == 403 and "expired" in r.json()["detail"]
    assert logged(site, r.json()["log_index"])["error"] == "ReviewReleaseRefusedError"


def _desk_case(site: dict[str, Any]) -> int:
    """A review recorded at the desk's API (the FBI, a federal criminal warrant not yet
    checked): a case from the desk, not from the gateway."""
    with site["log"].engine.begin() as conn:
        add_staff(conn, "desk-1", ["desk"], password=PASSWORD)
        token = issue_token(conn, "desk-1", "test").token
    body = {"profile": "chicago", "date": dt.date.today().isoformat(),
            "principal": {"agency": "FBI"}, "action": "transfer-custody",
            "resource": {"type": "Person", "in_custody": True},
            "context": {"purpose": "criminal-investigation",
                        "document": {"kind": "federal-criminal-warrant", "verified": "unknown"}}}
    r = site["client"].post("/api/v1/decisions", json=body,
                            headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["case_id"], r.text
    return int(r.json()["case_id"])


def test_the_records_unit_decides_the_gateways_cases_and_sees_no_other(
        site: dict[str, Any]) -> None:
    """The records role reads and decides a gateway query's case (API and pages), and a desk
    case is no case to it: not listed, 404 to read or decide, nothing logged."""
    with site["log"].engine.begin() as conn:
        add_staff(conn, "records-1", ["records"], password=PASSWORD)
        records = {"Authorization": f"Bearer {issue_token(conn, 'records-1', 'test').token}"}
    gateway_case, desk_case = opened(site), _desk_case(site)
    client = site["client"]
    listed = {c["id"] for c in client.get("/api/v1/cases", headers=records).json()["cases"]}
    assert gateway_case in listed and desk_case not in listed
    everyone = {c["id"] for c in client.get("/api/v1/cases", headers=site["staff"]).json()[
        "cases"]}
    assert {gateway_case, desk_case} <= everyone  # a reviewer sees both
    assert client.get(f"/api/v1/cases/{desk_case}", headers=records).status_code == 404
    assert client.get("/api/v1/exceptions", headers=records).status_code == 403

    desk_clause = view_case(site["log"], site["decider"], desk_case).clauses[0]
    size = site["log"].size()
    r = client.post(f"/api/v1/cases/{desk_case}/review", headers=records, json={
        "outcome": "deny", "reason": "Not ours.", "clause": desk_clause})
    assert r.status_code == 404 and r.json()["field"] == "case", r.text
    assert site["log"].size() == size  # nothing logged

    clause = view_case(site["log"], site["decider"], gateway_case).clauses[0]
    r = client.post(f"/api/v1/cases/{gateway_case}/review", headers=records, json={
        "outcome": "allow", "reason": "Checked with the court.", "clause": clause,
        "columns": ["charge"]})
    assert r.status_code == 200, r.text
    assert r.json()["review"]["reviewed_by"].startswith("staff:s-")
    got = ask(site, "USSS", {**QUERY, "case_id": gateway_case})
    assert got.status_code == 200 and all(set(x) == {"charge", "_wm"} for x in rows(got.text)[0])

    page = site["app"]
    browser = TestClient(page)
    token = _CSRF.search(browser.get("/signin").text)
    assert token
    assert browser.post("/signin", data={"name": "records-1", "password": PASSWORD,
                                         "csrf_token": token.group(1)},
                        follow_redirects=False).status_code == 303
    queue = browser.get("/cases?state=all").text
    assert f'id="case-link-{gateway_case}"' in queue
    assert f'id="case-link-{desk_case}"' not in queue
    assert browser.get(f"/cases/{desk_case}").status_code == 404
    assert browser.get(f"/cases/{gateway_case}").status_code == 200
    assert browser.get("/exceptions").status_code == 403


def test_a_gateway_case_takes_no_exception(site: dict[str, Any]) -> None:
    """What the gateway releases is the review's to decide: an exception on a gateway case is
    refused (409) and nothing is logged."""
    case_id = opened(site)
    clause = view_case(site["log"], site["decider"], case_id).clauses[0]
    size = site["log"].size()
    r = site["client"].post(f"/api/v1/cases/{case_id}/exceptions", headers=site["staff"], json={
        "outcome": "allow", "reason": "Emergency.", "clause": clause, "hours": 2})
    assert r.status_code == 409, r.text
    assert "review" in r.json()["detail"] and site["log"].size() == size
