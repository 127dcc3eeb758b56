"""The gateway end to end over HTTP, on SQLite and PostgreSQL records databases."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, func, select, text

from cli_run import run_cli
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.gateway.keys import issue_key, revoke_key
from sanctuarygate.gateway.records import view_of
from sanctuarygate.gateway.trace import trace_file
from sanctuarygate.gateway.watermark import load_or_create_key
from sanctuarygate.policy.default import default_decider, default_library
from sanctuarygate.settings import Settings
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.web.app import create_app

with warnings.catch_warnings():  # Starlette's TestClient warns about httpx (see tests/web)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROWS = 300
OUTAGE_APP = "sanctuarygate-outage-test"
SENSITIVE = {"birthplace", "citizenship", "immigration_status_note", "subject_birthplace"}
QUERY = {"dataset": "cpd-arrests", "fields": ["*"], "purpose": "criminal-investigation",
         "limit": 100}


@pytest.fixture
def gateway(db_engine: Engine, tmp_path: Path) -> Iterator[dict[str, Any]]:
    generate(db_engine, ROWS, seed=3)
    log_engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(log_engine)
    log = DecisionLog(log_engine, origin="test.example/gateway", data_dir=tmp_path / "data")
    with log_engine.begin() as conn:
        keys = {a: issue_key(conn, a, "test").key for a in ("FBI", "DEA", "ICE-ERO", "ICE-HSI")}
        revoked = issue_key(conn, "ATF", "old")
        revoke_key(conn, revoked.info.key_id)
    keys["revoked"] = revoked.key

    def client_for(**settings: Any) -> TestClient:
        """A client of an app built with these settings (the data dir is the test's)."""
        app = create_app(Settings(data_dir=tmp_path / "data", **settings),
                         decider=default_decider(), log=log, records=db_engine)
        return TestClient(app)

    yield {"client": client_for(), "client_for": client_for, "keys": keys, "log": log,
           "records": db_engine, "data_dir": tmp_path / "data"}
    log_engine.dispose()


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _post_ascii(gateway: dict[str, Any], body: dict[str, Any]) -> Any:
    """POST as ASCII-escaped JSON, which can carry what httpx's own encoder cannot (a lone
    surrogate is valid JSON as \\ud800)."""
    return gateway["client"].post("/api/v1/query", content=json.dumps(body), headers={
        **_auth(gateway["keys"]["FBI"]), "content-type": "application/json"})


def _lines(body: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.splitlines() if line]


def test_fbi_gets_masked_watermarked_rows_with_terms(gateway: dict[str, Any]) -> None:
    r = gateway["client"].post("/api/v1/query", json=QUERY, headers=_auth(gateway["keys"]["FBI"]))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    records = _lines(r.text)
    trailer = records.pop()["_trailer"]
    assert len(records) == 100 == trailer["rows"]
    for row in records:
        assert not (SENSITIVE & set(row)), row
        assert len(row["_wm"]) == 32
    assert "citizenship" in r.headers["X-Sanctuarygate-Withheld"]
    terms = json.loads(r.headers["X-Sanctuarygate-Terms"])
    assert {t["kind"] for t in terms} >= {"no-onward-sharing", "purpose-limit"}
    assert trailer["terms"] == terms and trailer["log_index"] == int(r.headers["X-Log-Index"])
    entries = [json.loads(e.body) for e in gateway["log"].entries(0, gateway["log"].size())]
    query = next(e for e in entries if e.get("kind") == "query")
    assert query["agency"] == "FBI" and "citizenship" in query["withheld"]
    assert query["watermark_key"] == trailer["watermark_key"]
    assert any(e.get("kind") == "query-complete" and e["rows"] == 100 for e in entries)
    assert any(e.get("kind") == "key-use" for e in entries)


def test_csv_has_no_withheld_columns_and_ends_with_trailer(gateway: dict[str, Any]) -> None:
    r = gateway["client"].post("/api/v1/query", json={**QUERY, "format": "csv", "limit": 5},
                               headers=_auth(gateway["keys"]["DEA"]))
    assert r.status_code == 200, r.text
    lines = r.text.splitlines()
    assert lines[-1].startswith("# {\"_trailer\"")
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[:-1]))))
    assert len(rows) == 5 and not (SENSITIVE & set(rows[0]))


@pytest.mark.parametrize(("who", "extra", "reason"), [
    (None, {}, "missing"), ("revoked", {}, "revoked"), ("FBI", {"agency": "DEA"}, "wrong-agency"),
    ("sgk_00000000_" + "A" * 43, {}, "unknown")])
def test_bad_keys_are_401(gateway: dict[str, Any], who: str | None, extra: dict[str, Any],
                          reason: str) -> None:
    key = gateway["keys"].get(who, who) if who else None
    r = gateway["client"].post("/api/v1/query", json={**QUERY, **extra},
                               headers=_auth(key) if key else {})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["reason"] == reason


@pytest.mark.parametrize("agency", ["ICE-ERO", "ICE-HSI"])
def test_ice_is_refused_403_with_the_decision_and_it_is_logged(gateway: dict[str, Any],
                                                               agency: str) -> None:
    r = gateway["client"].post("/api/v1/query", json=QUERY, headers=_auth(gateway["keys"][agency]))
    assert r.status_code == 403
    body = r.json()
    assert body["decision"]["outcome"] == "deny" and body["decision"]["rules"]
    assert "advice" not in body["decision"]  # an agency reads this, not a desk officer
    entries = [json.loads(e.body) for e in gateway["log"].entries(0, gateway["log"].size())]
    assert any(e.get("kind") == "query" and e["status"] == "refused" for e in entries)


DHS_TREE = [a.id for a in default_library().directory if a.is_under("DHS")]


def test_dhs_tree_is_refused_at_every_dataset(gateway: dict[str, Any]) -> None:
    """Every agency under DHS, at every dataset the gateway serves, for any purpose: 403, no
    row, the decision in the body (ICE and CBP denied, the other components sent to a person),
    and one refused query in the log for each."""
    lib = default_library()
    served = [d for d in lib.catalog if d.keeper in lib.profile(Settings().profile).keepers]
    assert {d.id for d in served} >= {"cpd-arrests", "cpd-incidents", "water-billing"}
    log: DecisionLog = gateway["log"]
    with log.engine.begin() as conn:
        keys = {a: issue_key(conn, a, "dhs test").key for a in DHS_TREE}
    before = log.size()
    outcomes: dict[str, set[str]] = {}
    asked = 0
    for agency, key in keys.items():
        for ds in served:
            for purpose in ("criminal-investigation", "unknown"):
                r = gateway["client"].post("/api/v1/query", headers=_auth(key), json={
                    "dataset": ds.id, "fields": ["*"], "purpose": purpose, "limit": 10})
                asked += 1
                assert r.status_code == 403, (agency, ds.id, purpose, r.text[:300])
                assert r.headers["content-type"].startswith("application/problem+json")
                decision = r.json()["decision"]
                assert r.json()["log_index"] >= before
                assert decision["outcome"] in ("deny", "review") and decision["rules"]
                outcomes.setdefault(agency, set()).add(decision["outcome"])
    assert outcomes["ICE-ERO"] == outcomes["CBP-USBP"] == outcomes["ICE-HSI"] == {"deny"}
    assert "review" in outcomes["USSS"] and "review" in outcomes["FEMA"]
    r = gateway["client"].post("/api/v1/query", headers=_auth(keys["USSS"]), json=QUERY)
    assert r.json()["detail"].startswith("review: a person must decide this query")
    assert "CPD records unit (a refused query's log_index identifies it)" in r.json()["detail"]
    entries = [json.loads(e.body) for e in log.entries(before, log.size())]
    refused = [e for e in entries if e.get("kind") == "query"]
    assert len(refused) == asked + 1 and all(e["status"] == "refused" for e in refused)
    assert not any(e.get("kind") == "query-complete" for e in entries)


def test_an_adopted_pack_denies_every_dhs_agency(gateway: dict[str, Any]) -> None:
    """With the OCAD order adopted (SANCTUARYGATE_GATEWAY_PACKS), a DHS component's criminal
    query is denied outright (not reviewed), citing the adopted pack, which the logged decision
    lists; the FBI is unaffected."""
    log: DecisionLog = gateway["log"]
    client = gateway["client_for"](gateway_packs="ocad-proposed-eo-2019")
    with log.engine.begin() as conn:
        usss = issue_key(conn, "USSS", "adopted test").key
    r = client.post("/api/v1/query", json=QUERY, headers=_auth(usss))
    assert r.status_code == 403
    decision = r.json()["decision"]
    assert decision["outcome"] == "deny"
    assert "ocad-proposed-eo-2019/dhs-databases" in [rule["id"] for rule in decision["rules"]]
    logged = json.loads(log.entries(r.json()["log_index"], r.json()["log_index"] + 1)[0].body)
    assert logged["outcome"] == "deny" and "ocad-proposed-eo-2019" in [p["id"] for p in logged["packs"]]
    fbi = client.post("/api/v1/query", json=QUERY, headers=_auth(gateway["keys"]["FBI"]))
    assert fbi.status_code == 200


def test_an_unknown_adopted_pack_is_a_configuration_error(gateway: dict[str, Any]) -> None:
    """A mistyped pack id never falls back to the profile alone: 500, nothing released."""
    r = gateway["client_for"](gateway_packs="ocad").post("/api/v1/query", json=QUERY,
                                                         headers=_auth(gateway["keys"]["FBI"]))
    assert r.status_code == 500
    assert "SANCTUARYGATE_GATEWAY_PACKS: no pack 'ocad'" in r.json()["detail"]


def test_a_dataset_of_another_place_is_not_served(gateway: dict[str, Any]) -> None:
    r = gateway["client"].post("/api/v1/query", json={**QUERY, "dataset": "waukegan-pd-records"},
                               headers=_auth(gateway["keys"]["FBI"]))
    assert r.status_code == 422 and r.json()["field"] == "dataset"
    assert "kept by WAUKEGAN-PD; this gateway (chicago) serves only cpd-arrests" in r.json()["detail"]


def test_filter_on_withheld_column_is_refused(gateway: dict[str, Any]) -> None:
    q = {**QUERY, "filters": [{"field": "citizenship", "op": "eq", "value": "MEXICO"}]}
    r = gateway["client"].post("/api/v1/query", json=q, headers=_auth(gateway["keys"]["FBI"]))
    assert r.status_code == 403 and "withheld field" in r.json()["detail"]


def test_typed_filters_compare_as_their_column_type(gateway: dict[str, Any]) -> None:
    """A date filter compares dates and an integer filter numbers, on both engines."""
    records: Engine = gateway["records"]
    view = view_of(default_library().catalog.get("cpd-arrests"))
    since, district = dt.date(2022, 6, 1), 7
    with records.connect() as conn:
        expected = conn.execute(select(func.count()).select_from(view).where(
            (view.c.arrest_date >= since) & (view.c.district != district))).scalar_one()
    q = {**QUERY, "limit": 1000, "filters": [
        {"field": "arrest_date", "op": "ge", "value": since.isoformat()},
        {"field": "district", "op": "ne", "value": district}]}
    r = gateway["client"].post("/api/v1/query", json=q, headers=_auth(gateway["keys"]["FBI"]))
    assert r.status_code == 200, r.text
    rows = _lines(r.text)[:-1]
    assert 0 < len(rows) == expected
    assert all(row["arrest_date"] >= "2022-06-01" and row["district"] != 7 for row in rows)


@pytest.mark.parametrize(("flt", "message"), [
    ({"field": "arrest_date", "op": "ge", "value": "last spring"}, "a date as YYYY-MM-DD"),
    ({"field": "arrest_date", "op": "in", "value": ["2022-01-01", "2022-02-30"]}, "a date"),
    ({"field": "arrest_date", "op": "eq", "value": 20220101}, "a date YYYY-MM-DD"),
    ({"field": "district", "op": "eq", "value": "seven"}, "a whole number"),
    ({"field": "district", "op": "eq", "value": True}, "a whole number"),
    ({"field": "district", "op": "prefix", "value": "1"}, "'prefix' applies to text fields"),
    ({"field": "charge", "op": "eq", "value": 12}, "text, got 12"),
    ({"field": "charge", "op": "in", "value": ["A", None]}, "no null"),
    ({"field": "district", "op": "eq", "value": 3_000_000_000}, "a whole number from"),
    ({"field": "district", "op": "in", "value": [7, "999999999999999999"]}, "a whole number"),
    ({"field": "charge", "op": "eq", "value": "a\u0000b"}, "NUL character"),
    ({"field": "charge", "op": "prefix", "value": "\ud800"}, "unpaired surrogate"),
])
def test_a_filter_value_its_column_cannot_hold_is_422_before_any_row(
        gateway: dict[str, Any], flt: dict[str, Any], message: str) -> None:
    """Refused while validating, not by the database halfway through a stream (on PostgreSQL a
    date compared with 'last spring' would fail after the query was logged as released)."""
    log: DecisionLog = gateway["log"]
    size = log.size()
    r = _post_ascii(gateway, {**QUERY, "filters": [flt]})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"].startswith("filters[0]") and message in r.json()["detail"]
    # Nothing released; the attempt is on the record as rejected, without the value.
    use, query = [json.loads(e.body) for e in log.entries(size, log.size())]
    assert use["kind"] == "key-use"
    assert (query["kind"], query["status"], query["error_field"]) == (
        "query", "rejected", r.json()["field"])
    assert query["filters"] == []
    if isinstance(flt["value"], str) and len(flt["value"]) > 2:
        assert flt["value"] not in log.entries(size + 1, size + 2)[0].body


FILTER_VALUES = st.one_of(st.integers(), st.text(max_size=12), st.dates().map(str),
                          st.sampled_from(["2020-13-01", "20200101", "\x00", "\ud800", "%", "_",
                                           2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 10**19]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=st.fixed_dictionaries({"field": st.sampled_from(["arrest_id", "charge", "arrest_date",
                                                            "district", "statute"]),
                                  "op": st.sampled_from(["eq", "ne", "lt", "ge", "prefix"]),
                                  "value": FILTER_VALUES}))
def test_a_filter_is_refused_whole_or_runs_to_the_trailer(gateway: dict[str, Any],
                                                           flt: dict[str, Any]) -> None:
    """Fail closed, on both engines: a filter is either refused before anything is released
    (422) or the stream ends with its trailer; the database never refuses it mid-stream."""
    r = _post_ascii(gateway, {**QUERY, "filters": [flt]})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        assert "_trailer" in _lines(r.text)[-1] and '"_error"' not in r.text, r.text


@pytest.mark.parametrize("value", ["' OR 1=1 --", "x'); DROP VIEW cpd_arrests; --",
                                   "%", "_", "\\", "1; DELETE FROM persons"])
@pytest.mark.parametrize("op", ["eq", "prefix", "ne"])
def test_injection_in_filter_values_is_inert(gateway: dict[str, Any], value: str, op: str) -> None:
    records: Engine = gateway["records"]
    ds = default_library().catalog.get("cpd-arrests")
    with records.connect() as conn:
        before = conn.execute(select(func.count()).select_from(view_of(ds))).scalar_one()
    q = {**QUERY, "filters": [{"field": "charge", "op": op, "value": value}], "limit": 1000}
    r = gateway["client"].post("/api/v1/query", json=q, headers=_auth(gateway["keys"]["FBI"]))
    assert r.status_code == 200, r.text
    rows = _lines(r.text)[:-1]
    expected = 0 if op in ("eq", "prefix") else before
    assert len(rows) == expected
    with records.connect() as conn:
        assert conn.execute(select(func.count()).select_from(view_of(ds))).scalar_one() == before


def test_trace_names_the_recipient(gateway: dict[str, Any], tmp_path: Path) -> None:
    r = gateway["client"].post("/api/v1/query", json=QUERY, headers=_auth(gateway["keys"]["DEA"]))
    leak = tmp_path / "leak.jsonl"
    leak.write_text(r.text)
    lib = default_library()
    report = trace_file(leak, load_or_create_key(gateway["data_dir"]),
                        [a.id for a in lib.directory], lib.catalog)
    assert dict(report.recipients) == {("DEA", "cpd-arrests"): 100}


def test_plan_shows_what_would_be_released(gateway: dict[str, Any]) -> None:
    r = gateway["client"].get("/api/v1/query/plan",
                              params={"dataset": "cpd-arrests", "purpose": "criminal-investigation"},
                              headers=_auth(gateway["keys"]["FBI"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["allowed"] and "citizenship" in body["withheld"] and "charge" in body["released"]
    refused = gateway["client"].get("/api/v1/query/plan", params={"dataset": "cpd-arrests"},
                                    headers=_auth(gateway["keys"]["ICE-ERO"]))
    assert refused.status_code == 200 and refused.json()["allowed"] is False


@pytest.mark.parametrize("filters", ["[{field: charge}", "{}",
                                     '[{"field": "district", "op": "eq", "value": "x"}]'])
def test_plan_with_bad_filters_is_422_not_a_plan_without_them(gateway: dict[str, Any],
                                                              filters: str) -> None:
    r = gateway["client"].get("/api/v1/query/plan", params={
        "dataset": "cpd-arrests", "purpose": "criminal-investigation", "filters": filters},
        headers=_auth(gateway["keys"]["FBI"]))
    assert r.status_code == 422 and r.json()["field"].startswith("filters"), r.text


def test_database_outage_mid_stream_ends_with_an_error_record(gateway: dict[str, Any]) -> None:
    """A real outage: the records database backend is terminated while rows stream over a real
    HTTP server; the stream ends with an explicit error record and the failure is logged."""
    records: Engine = gateway["records"]
    if records.dialect.name != "postgresql":
        pytest.skip("a real outage (terminated backend) is staged on PostgreSQL")
    generate(records, 30_000, seed=4)  # more rows than the socket buffers hold
    with records.connect() as conn:
        schema = conn.exec_driver_sql("select current_schema()").scalar_one()
    # A records engine of its own, named, so the outage hits only this test's connections.
    served = create_engine(records.url, connect_args={
        "options": f"-csearch_path={schema}", "application_name": OUTAGE_APP})
    app = create_app(Settings(data_dir=gateway["data_dir"]), decider=default_decider(),
                     log=gateway["log"], records=served)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    admin = create_engine(records.url)
    lines: list[str] = []
    try:
        url = f"http://127.0.0.1:{server.config.port}/api/v1/query"
        with httpx.stream("POST", url, json={**QUERY, "limit": 50_000}, timeout=60,
                          headers=_auth(gateway["keys"]["FBI"])) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                lines.append(line)
                if len(lines) == 10:
                    _terminate_readers(admin)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        admin.dispose()
        served.dispose()
    last = json.loads(lines[-1])
    assert "_error" in last, last
    assert last["_error"]["rows_sent"] == len(lines) - 1 < 30_000
    for line in lines[:-1]:
        assert not (SENSITIVE & set(json.loads(line)))
    entries = [json.loads(e.body) for e in gateway["log"].entries(0, gateway["log"].size())]
    assert any(e.get("kind") == "query-error" for e in entries)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _terminate_readers(admin: Engine) -> None:
    """Kill the backends holding an open read (the gateway's server-side cursor)."""
    with admin.connect() as conn:
        killed = conn.execute(text(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity "
            "where pid <> pg_backend_pid() and datname = current_database() "
            "and application_name = :app"), {"app": OUTAGE_APP}).scalar_one()
        conn.commit()
    assert killed >= 1


def test_trace_command_names_the_recipient(gateway: dict[str, Any], tmp_path: Path) -> None:
    """`sanctuarygate trace FILE` on a CSV extract (the CLI reads the same data-dir key)."""
    import os

    r = gateway["client"].post("/api/v1/query", json={**QUERY, "format": "csv", "limit": 7},
                               headers=_auth(gateway["keys"]["FBI"]))
    leak = tmp_path / "leak.csv"
    leak.write_text(r.text)
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(gateway["data_dir"])}  # the app's key
    out = run_cli(["trace", str(leak)], env=env)
    assert out.returncode == 0, out.stderr
    assert "7 row(s) of cpd-arrests were released to FBI" in out.stdout
    leak.write_text("arrest_id,_wm\n1,00000000000000000000000000000000\n")
    unknown = run_cli(["trace", str(leak)], env=env)
    assert unknown.returncode == 1 and "no watermark of ours" in unknown.stdout


def test_a_body_sending_a_key_twice_is_refused_over_http_and_on_the_record(
        gateway: dict[str, Any]) -> None:
    # json.loads would keep the last purpose and decide criminal work; a reader of the body (a
    # proxy, a reviewer) sees the first: civil immigration enforcement.
    raw = ('{"dataset": "cpd-arrests", "purpose": "civil-immigration-enforcement", '
           '"purpose": "criminal-investigation", "limit": 5}')
    size = gateway["log"].size()
    answer = gateway["client"].post("/api/v1/query", content=raw, headers={
        **_auth(gateway["keys"]["FBI"]), "content-type": "application/json"})
    assert answer.status_code == 422 and answer.json()["field"] == "purpose"
    assert "twice" in answer.json()["detail"]
    assert gateway["log"].size() == size + 2  # the key's use and the rejected query


def test_the_query_body_is_documented_as_a_model(gateway: dict[str, Any]) -> None:
    spec = gateway["client"].get("/api/v1/openapi.json").json()
    body = spec["paths"]["/api/v1/query"]["post"]["requestBody"]["content"]["application/json"]
    model = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert model["required"] == ["dataset"] and model["additionalProperties"] is False
    assert model["properties"]["descending"]["type"] == "boolean"
    assert set(model["properties"]) == {"dataset", "fields", "filters", "purpose", "document",
                                        "onward_recipients", "limit", "sort", "descending",
                                        "format", "agency", "case_id"}
    ok = gateway["client"].post("/api/v1/query", json=body["example"],
                                headers=_auth(gateway["keys"]["FBI"]))
    assert ok.status_code == 200  # the documented example is a query the gateway runs
