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
