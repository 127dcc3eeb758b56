"""Strict query input: one meaning per body. Types are not coerced (``"false"`` is not false),
the purpose is normalised once (what is decided is what is logged), a key sent twice is
refused, naming it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.errors import InputError
from sanctuarygate.gateway.body import load_query_body
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.plan import parse_spec
from sanctuarygate.gateway.release import Gateway, release
from sanctuarygate.policy.default import default_decider, default_library
from sanctuarygate.store.db import make_engine, upgrade

BASE: dict[str, Any] = {"dataset": "cpd-arrests", "purpose": "criminal-investigation"}


def spec(**changes: Any) -> Any:
    return parse_spec({**BASE, **changes}, default_library().catalog)


@pytest.mark.parametrize(("name", "value"), [
    ("descending", "false"), ("descending", "true"), ("descending", 0), ("descending", 1),
    ("limit", "5"), ("limit", True), ("limit", 2.0), ("limit", 0),
    ("sort", 3), ("sort", ["arrest_id"]), ("format", ["csv"]),
    ("onward_recipients", [1]), ("onward_recipients", [None]), ("purpose", 7),
])
def test_wrong_types_are_refused_not_coerced(name: str, value: Any) -> None:
    with pytest.raises(InputError) as info:
        spec(**{name: value})
    assert info.value.field == name


def test_booleans_mean_what_they_say() -> None:
    assert spec(descending=False).descending is False
    assert spec(descending=True).descending is True
    assert spec().descending is False and spec(descending=None).descending is False


@given(st.sampled_from([" ", "\t", "\n", "  \r\n"]), st.sampled_from(["", " ", "\n"]))
def test_the_purpose_is_stripped_once(before: str, after: str) -> None:
    assert spec(purpose=f"{before}criminal-investigation{after}").purpose == \
        "criminal-investigation"


@pytest.fixture
def gw(db_engine: Engine, tmp_path: Path) -> Iterator[Gateway]:
    generate(db_engine, 10, seed=2)
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(engine)
    log = DecisionLog(engine, origin="test.example/strict", data_dir=tmp_path / "data")
    yield Gateway(default_decider(), log, db_engine, "chicago", tmp_path / "data")
    engine.dispose()


def test_what_is_decided_is_what_is_logged(gw: Gateway) -> None:
    with gw.log.engine.begin() as conn:
        key = issue_key(conn, "FBI", "strict test").info
    done = release(gw, key, spec(purpose="  criminal-investigation\n", limit=2), via="test")
    b"".join(done.chunks)
    logged = json.loads(gw.log.entries(done.log_index, done.log_index + 1)[0].body)
    assert logged["purpose"] == "criminal-investigation" == done.plan.spec.purpose
    assert done.plan.request.context.purpose == "criminal-investigation"


@pytest.mark.parametrize("raw", [
    b'{"dataset": "cpd-arrests", "purpose": "civil-immigration-enforcement",'
    b' "purpose": "criminal-investigation"}',
    b'{"dataset": "cpd-arrests", "filters": [{"field": "district", "op": "eq", "value": 1,'
    b' "value": 2}]}',
])
def test_a_key_sent_twice_is_refused_naming_it(raw: bytes) -> None:
    with pytest.raises(InputError) as info:
        load_query_body(raw)
    assert info.value.field in {"purpose", "value"}
    assert "twice" in str(info.value)


@pytest.mark.parametrize("raw", [b'{"limit": NaN}', b'{"limit": Infinity}', b"\xff{}",
                                 b'{"a": 1', b""])
def test_what_is_not_strict_json_is_refused(raw: bytes) -> None:
    with pytest.raises(InputError) as info:
        load_query_body(raw)
    assert info.value.field == "body"


def test_a_strict_body_reads_as_json_does() -> None:
    raw = json.dumps({**BASE, "filters": [{"field": "district", "op": "in", "value": [1, 2]}],
                      "document": {"kind": "none"}}).encode()
    assert load_query_body(raw) == json.loads(raw)


def test_a_body_with_a_key_twice_is_rejected_on_the_record(gw: Gateway) -> None:
    """release() given the body's bytes reads it strictly: the key sent twice is a 422-class
    error naming it, logged as a rejected query without the offending values."""
    with gw.log.engine.begin() as conn:
        key = issue_key(conn, "FBI", "strict test").info
    before = gw.log.size()
    raw = (b'{"dataset": "cpd-arrests", "purpose": "civil-immigration-enforcement",'
           b' "purpose": "criminal-investigation"}')
    with pytest.raises(InputError) as info:
        release(gw, key, raw, via="test")
    assert info.value.field == "purpose"
    use, entry = (json.loads(e.body) for e in gw.log.entries(before, gw.log.size()))
    assert use["kind"] == "key-use" and entry["status"] == "rejected"
    assert entry["error_field"] == "purpose" and "civil" not in json.dumps(entry)
    done = release(gw, key, json.dumps({**BASE, "limit": 1}).encode(), via="test")
    assert b"".join(done.chunks).count(b"\n") == 2
