"""Property: whatever a partner agency asks (fields, filters, sorts, formats), no masked
column's name or value is in any response of the gateway."""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.records import view_of
from sanctuarygate.policy.default import default_library
from sanctuarygate.store.db import make_engine, upgrade
from sanctuarygate.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CATALOG = default_library().catalog
DATASETS = [d for d in CATALOG if d.keeper == "CPD"]
MASKED_TAGS = {"immigration", "citizenship", "birthplace"}
#: Filter values of each column type, including attempts at injection and LIKE wildcards.
VALUES = {"text": ["A", "MEXICO", "' OR 1=1 --", "%"], "integer": [1, 7, -3],
          "date": ["2020-01-01", "1999-12-31"]}


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix="sg-mask-"))
    records = make_engine(f"sqlite:///{folder / 'records.db'}")
    generate(records, 150, seed=9)
    log_engine = make_engine(f"sqlite:///{folder / 'log.db'}")
    upgrade(log_engine)
    log = DecisionLog(log_engine, origin="test.example/mask", data_dir=folder / "data")
    with log_engine.begin() as conn:
        keys = {a: issue_key(conn, a, "t").key for a in ("FBI", "DEA", "ISP", "USMS")}
    secrets: dict[str, set[str]] = {}
    with records.connect() as conn:  # every value of every masked column, to look for leaks
        for ds in DATASETS:
            masked = [n for n, tags in ds.fields if set(tags) & MASKED_TAGS]
            view = view_of(ds)
            values = conn.execute(select(*[view.c[n] for n in masked])).fetchall() if masked else []
            secrets[ds.id] = {str(v) for row in values for v in row if v and len(str(v)) > 5}
    yield {"client": TestClient(create_app(log=log, records=records)), "keys": keys,
           "secrets": secrets}
    records.dispose()
    log_engine.dispose()


@st.composite
def queries(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    ds = draw(st.sampled_from(DATASETS))
    names = [n for n, _ in ds.fields]
    fields = draw(st.one_of(st.just(["*"]), st.lists(st.sampled_from(names), min_size=1,
                                                       max_size=5, unique=True)))
    filters = []
    for name in draw(st.lists(st.sampled_from(names), max_size=2)):
        kind = ds.field_type(name)
        op = draw(st.sampled_from(["eq", "ne", "ge", "is-null", "not-null",
                                   *(["prefix"] if kind == "text" else [])]))
        value = draw(st.sampled_from(VALUES[kind]))
        filters.append({"field": name, "op": op} if op.endswith("null") else
                       {"field": name, "op": op, "value": value})
    body = {"dataset": ds.id, "fields": fields, "filters": filters, "limit": 50,
            "purpose": draw(st.sampled_from(["criminal-investigation", "unknown"])),
            "format": draw(st.sampled_from(["jsonl", "csv"])),
            "sort": draw(st.none() | st.sampled_from(names))}
    return draw(st.sampled_from(["FBI", "DEA", "ISP", "USMS"])), body


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries())
def test_masked_columns_never_leave(world: dict[str, Any], query: tuple[str, dict[str, Any]]) -> None:
    agency, body = query
    r = world["client"].post("/api/v1/query", json=body,
                             headers={"Authorization": f"Bearer {world['keys'][agency]}"})
    assert r.status_code in (200, 403), r.text
    ds = CATALOG.get(body["dataset"])
    masked = [n for n, tags in ds.fields if set(tags) & MASKED_TAGS]
    text = r.text
    if r.status_code == 200:
        assert '"_error"' not in text  # typed filters never fail in the database
        header = text.splitlines()[0]
        for name in masked:
            assert f'"{name}"' not in text and name not in header.split(",")
        for secret in world["secrets"][ds.id]:
            assert secret not in text
