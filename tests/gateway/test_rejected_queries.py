"""Every attempt is on the record: a query rejected before the rules are asked (the 422s: a
dataset unknown or not served, a body that is not a query, an unknown agency) leaves a ``query``
entry with status ``rejected``, the error's class and field, and the key's use, and never the
offending value. On SQLite and PostgreSQL records databases; the library and the HTTP route."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.errors import InputError, UnknownAgencyError, UnknownDatasetError
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.release import Gateway, release
from sanctuarygate.policy.default import default_decider
from sanctuarygate.settings import Settings
from sanctuarygate.store.credential import KeyInfo, list_keys
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

QUERY: dict[str, Any] = {"dataset": "cpd-arrests", "purpose": "criminal-investigation",
                         "limit": 5}
VIA = "test: rejected"
#: A value planted in each bad query: it must never reach the log.
PLANTED = "Zq-Planted-7731"


@pytest.fixture
def gw(db_engine: Engine, tmp_path: Path) -> Iterator[Gateway]:
    generate(db_engine, 10, seed=8)
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(engine)
    log = DecisionLog(engine, origin="test.example/rejected", data_dir=tmp_path / "data")
    yield Gateway(default_decider(), log, db_engine, "chicago", tmp_path / "data")
    engine.dispose()


def _key(gw: Gateway, agency: str) -> tuple[KeyInfo, str]:
    with gw.log.engine.begin() as conn:
        issued = issue_key(conn, agency, "rejected test")
    return issued.info, issued.key


def _logged(gw: Gateway, start: int) -> list[dict[str, Any]]:
    return [json.loads(e.body) for e in gw.log.entries(start, gw.log.size())]


def _bodies(gw: Gateway, start: int) -> str:
    return "\n".join(e.body for e in gw.log.entries(start, gw.log.size()))


@pytest.mark.parametrize(("body", "error", "field", "dataset"), [
    ({**QUERY, "dataset": PLANTED}, UnknownDatasetError, "dataset", "(unknown)"),
    ({**QUERY, "filters": [{"field": "charge", "op": PLANTED, "value": PLANTED}]}, InputError,
     "filters[0].op", "cpd-arrests"),
    ({**QUERY, "onward_recipients": [PLANTED]}, UnknownAgencyError, None, "cpd-arrests"),
    ({**QUERY, "purpose": PLANTED}, InputError, None, "cpd-arrests"),
    ([PLANTED], InputError, None, "(unknown)"),
])
def test_a_rejected_query_is_logged_with_its_error_never_its_values(
        gw: Gateway, body: Any, error: type[Exception], field: str | None, dataset: str) -> None:
    key, _ = _key(gw, "ICE-ERO")
    before = gw.log.size()
    with pytest.raises(error) as raised:
        release(gw, key, body, via=VIA)
    use, query = _logged(gw, before)
    assert (use["kind"], use["key_id"], use["what"]) == ("key-use", key.key_id, VIA)
    assert (query["kind"], query["status"], query["outcome"]) == ("query", "rejected", "rejected")
    assert query["error"] == type(raised.value).__name__
    assert query.get("error_field") == (field or raised.value.field)
    assert (query["agency"], query["key_id"], query["dataset"]) == ("ICE-ERO", key.key_id, dataset)
    assert query["released"] == [] and query["watermark_key"] is None
    assert PLANTED not in _bodies(gw, before)


def test_the_key_use_is_recorded_on_the_key(gw: Gateway) -> None:
    key, _ = _key(gw, "FBI")
    with pytest.raises(UnknownDatasetError):
        release(gw, key, {**QUERY, "dataset": "nope"}, via=VIA)
    with gw.log.engine.connect() as conn:
        (stored,) = [k for k in list_keys(conn) if k.key_id == key.key_id]
    assert stored.last_used_at is not None


def test_http_422s_are_logged_as_rejected(gw: Gateway, tmp_path: Path) -> None:
    """The route hands the body as sent to the gateway: a body that is not an object, an
    unknown dataset and one not served are each a 422 with an entry."""
    app = create_app(Settings(data_dir=tmp_path / "data"), decider=gw.decider, log=gw.log,
                     records=gw.records)
    _, secret = _key(gw, "ICE-HSI")
    auth = {"Authorization": f"Bearer {secret}"}
    before = gw.log.size()
    with TestClient(app) as client:
        for body in ([PLANTED], {**QUERY, "dataset": PLANTED},
                     {**QUERY, "dataset": "waukegan-pd-records"}):
            r = client.post("/api/v1/query", json=body, headers=auth)
            assert r.status_code == 422, r.text
    queries = [e for e in _logged(gw, before) if e["kind"] == "query"]
    assert [(q["status"], q["error"], q["dataset"]) for q in queries] == [
        ("rejected", "InputError", "(unknown)"),
        ("rejected", "UnknownDatasetError", "(unknown)"),
        ("rejected", "DatasetNotServedError", "waukegan-pd-records")]
    assert [e["kind"] for e in _logged(gw, before)].count("key-use") == 3
    assert PLANTED not in _bodies(gw, before)


def test_the_transparency_tally_counts_rejected_queries() -> None:
    import datetime as dt

    from sanctuarygate.audit.entries import QueryEntry, encode
    from sanctuarygate.policy.default import default_library
    from sanctuarygate.report.family import Families
    from sanctuarygate.report.tally import tally

    entry = QueryEntry.rejected(at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), agency="ICE-ERO",
                                key_id="0a1b2c3d", error="UnknownDatasetError")
    counted = tally([encode(entry)], Families(default_library().directory))
    assert sum(counted.queries.values()) == 1
    ((_family, dataset, status),) = counted.queries
    assert (dataset, status) == ("(unknown)", "rejected")


def test_the_transparency_tally_counts_the_rows_of_an_aborted_query() -> None:
    import datetime as dt

    from sanctuarygate.audit.entries import QueryAbortedEntry, QueryEntry, encode
    from sanctuarygate.domain.decision import Decision
    from sanctuarygate.policy.default import default_library
    from sanctuarygate.report.family import Families
    from sanctuarygate.report.tally import tally

    released = QueryEntry.of(
        status="released", at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), agency="FBI",
        key_id="0a1b2c3d", dataset="cpd-arrests", purpose="criminal-investigation",
        document_kind="none", onward_recipients=[], released=["charge"], withheld=[],
        filters=[], row_rules=[], decision=Decision("allow"), terms=[], watermark_key="k")
    counted = tally([encode(released), encode(QueryAbortedEntry(query=0, rows=1000))],
                    Families(default_library().directory))
    assert list(counted.rows.values()) == [1000] and not counted.other
