"""The gateway query as a library operation (``gateway.release``): no HTTP, on SQLite and
PostgreSQL records databases. What is released, what is logged and in which order."""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.errors import DatasetNotServedError, InputError
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.plan import QueryRefusedError, parse_spec
from sanctuarygate.gateway.release import Gateway, preview, release
from sanctuarygate.gateway.watermark import key_id, load_or_create_key
from sanctuarygate.policy.default import default_decider
from sanctuarygate.settings import Settings
from sanctuarygate.store.credential import KeyInfo
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SENSITIVE = {"birthplace", "citizenship", "immigration_status_note", "subject_birthplace"}
QUERY: dict[str, Any] = {"dataset": "cpd-arrests", "fields": ["*"],
                         "purpose": "criminal-investigation", "limit": 20}
VIA = "test: release"


@pytest.fixture
def gw(db_engine: Engine, tmp_path: Path) -> Iterator[Gateway]:
    generate(db_engine, 60, seed=5)
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(engine)
    log = DecisionLog(engine, origin="test.example/release", data_dir=tmp_path / "data")
    yield Gateway(default_decider(), log, db_engine, "chicago", tmp_path / "data")
    engine.dispose()


def _key(gw: Gateway, agency: str) -> KeyInfo:
    with gw.log.engine.begin() as conn:
        return issue_key(conn, agency, "release test").info


def _spec(gw: Gateway, **changes: Any) -> Any:
    return parse_spec({**QUERY, **changes}, gw.decider.library.catalog)


def _entries(gw: Gateway, start: int) -> list[dict[str, Any]]:
    return [json.loads(e.body) for e in gw.log.entries(start, gw.log.size())]


def test_a_release_logs_key_use_query_and_completion_in_order(gw: Gateway) -> None:
    key = _key(gw, "FBI")
    before = gw.log.size()
    done = release(gw, key, _spec(gw), via=VIA)
    logged = _entries(gw, before)  # written before any row is read
    assert [e["kind"] for e in logged] == ["key-use", "query"]
    assert logged[0]["what"] == VIA and done.log_index == before + 1
    assert done.ended is None
    lines = [json.loads(line) for line in b"".join(done.chunks).decode().split("\n") if line]
    trailer = lines.pop()["_trailer"]
    assert len(lines) == 20 == trailer["rows"]
    assert all(not (SENSITIVE & set(row)) and len(row["_wm"]) == 32 for row in lines)
    assert done.ended == "complete" and trailer["completion_log_index"] == done.end_log_index
    query, complete = _entries(gw, before + 1)
    assert query["status"] == "released" and query["agency"] == "FBI"
    assert query["withheld"] == list(done.plan.withheld) and "citizenship" in query["withheld"]
    assert query["watermark_key"] == done.watermark_key_id == trailer["watermark_key"]
    assert done.watermark_key_id == key_id(load_or_create_key(gw.data_dir))
    assert complete == {"v": 1, "kind": "query-complete", "query": done.log_index, "rows": 20}
    assert trailer["terms"] == done.terms and {t["kind"] for t in done.terms} >= {"purpose-limit"}


def test_csv_release_has_a_header_and_a_comment_trailer(gw: Gateway) -> None:
    done = release(gw, _key(gw, "DEA"), _spec(gw, format="csv", limit=5), via=VIA)
    text = b"".join(done.chunks).decode()
    body, trailer = text.rstrip("\n").rsplit("\n", 1)
    assert trailer.startswith('# {"_trailer":{"rows":5')
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 5 and list(rows[0]) == [*done.plan.released, "_wm"]


def test_a_refusal_is_logged_with_its_decision_and_releases_nothing(gw: Gateway) -> None:
    key = _key(gw, "ICE-ERO")
    before = gw.log.size()
    with pytest.raises(QueryRefusedError) as refused:
        release(gw, key, _spec(gw, filters=[{"field": "charge", "op": "eq", "value": "Jane Doe"}]),
                via=VIA)
    assert refused.value.decision is not None and refused.value.decision.outcome == "deny"
    use, query = _entries(gw, before)
    assert use["kind"] == "key-use" and refused.value.log_index == before + 1
    assert query["kind"] == "query" and query["status"] == "refused"
    assert query["outcome"] == "deny" and query["rules"] and query["watermark_key"] is None
    assert query["released"] == [] and query["filters"] == [{"field": "charge", "op": "eq"}]
    assert "Jane Doe" not in gw.log.entries(before + 1, before + 2)[0].body


def test_a_rejection_before_the_rules_is_logged_without_its_values(gw: Gateway) -> None:
    key = _key(gw, "FBI")
    before = gw.log.size()
    with pytest.raises(DatasetNotServedError):
        release(gw, key, _spec(gw, dataset="waukegan-pd-records"), via=VIA)
    with pytest.raises(InputError):
        release(gw, key, {**QUERY, "sort": "no_such_field_x9"}, via=VIA)
    logged = _entries(gw, before)
    assert [(e["kind"], e.get("status")) for e in logged] == [
        ("key-use", None), ("query", "rejected"), ("key-use", None), ("query", "rejected")]
    assert (logged[1]["dataset"], logged[1]["error"]) == ("waukegan-pd-records",
                                                          "DatasetNotServedError")
    assert (logged[3]["error"], logged[3]["error_field"]) == ("InputError", "sort")
    assert all("no_such_field_x9" not in e.body for e in gw.log.entries(before, gw.log.size()))


def test_a_stream_that_fails_ends_with_an_error_record_and_logs_it(gw: Gateway,
                                                                   tmp_path: Path) -> None:
    """The records database has no views (as after a failed restore): the first fetch fails,
    the stream ends with its error record and the log says so."""
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    broken = Gateway(gw.decider, gw.log, empty, gw.profile, gw.data_dir)
    done = release(broken, _key(gw, "FBI"), _spec(gw), via=VIA)
    (line,) = b"".join(done.chunks).decode().splitlines()
    assert json.loads(line)["_error"]["rows_sent"] == 0
    assert done.ended == "error" and done.end_log_index is not None
    error = _entries(gw, done.end_log_index)[0]
    assert error["kind"] == "query-error" and error["query"] == done.log_index
    assert error["rows"] == 0 and error["error"] == "OperationalError"
    empty.dispose()


def test_preview_reads_no_row_and_logs_only_the_key_use_it_is_asked_to(gw: Gateway) -> None:
    fbi, ice = _key(gw, "FBI"), _key(gw, "ICE-ERO")
    before = gw.log.size()
    shown = preview(gw, fbi, _spec(gw))
    assert shown["allowed"] and "citizenship" in shown["withheld"] and "charge" in shown["released"]
    refused = preview(gw, ice, _spec(gw))
    assert refused["allowed"] is False and refused["decision"]["outcome"] == "deny"
    assert gw.log.size() == before
    preview(gw, fbi, _spec(gw), via=VIA)
    assert [e["kind"] for e in _entries(gw, before)] == ["key-use"]


def test_the_http_route_sends_what_the_library_releases(gw: Gateway) -> None:
    """Same rows, watermarks, headers and terms: the route only wraps the operation."""
    with gw.log.engine.begin() as conn:
        issued = issue_key(conn, "FBI", "http test")
    app = create_app(Settings(data_dir=gw.data_dir), decider=gw.decider, log=gw.log,
                     records=gw.records)
    assert app.state.gateway == gw  # the app's gateway, built from its settings, is this one
    r = TestClient(app).post("/api/v1/query", json=QUERY,
                             headers={"Authorization": f"Bearer {issued.key}"})
    done = release(gw, issued.info, _spec(gw), via=VIA)
    library = b"".join(done.chunks).decode().splitlines()
    assert r.status_code == 200, r.text
    assert r.text.splitlines()[:-1] == library[:-1]
    assert r.headers["X-Watermark-Key"] == done.watermark_key_id
    assert json.loads(r.headers["X-Sanctuarygate-Terms"]) == done.terms
    assert r.headers["X-Sanctuarygate-Withheld"] == ",".join(done.plan.withheld)
