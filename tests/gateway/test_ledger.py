"""The city's private release ledger, on SQLite and PostgreSQL (ledger and records in the same
database): which rows went to whom, and ``trace`` naming the recipients of an extract whose
key and watermark columns are gone."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.ledger import LedgerMatcher, decode_keys, encode_keys
from sanctuarygate.gateway.release import Gateway, release
from sanctuarygate.gateway.trace import TraceReport, trace_file
from sanctuarygate.policy.default import default_decider
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.tables import release_ledger

QUERY: dict[str, Any] = {"dataset": "cpd-arrests", "fields": ["*"],
                         "purpose": "criminal-investigation"}
DS = "cpd-arrests"


@pytest.fixture
def gw(db_engine: Engine, tmp_path: Path) -> Iterator[Gateway]:
    upgrade(db_engine)
    generate(db_engine, 60, seed=11)
    log = DecisionLog(db_engine, origin="test.example/ledger", data_dir=tmp_path / "data")
    yield Gateway(default_decider(), log, db_engine, "chicago", tmp_path / "data")


def released(gw: Gateway, agency: str, **query: Any) -> tuple[int, list[dict[str, Any]]]:
    with gw.log.engine.begin() as conn:
        key = issue_key(conn, agency, "ledger test").info
    done = release(gw, key, {**QUERY, **query}, via="test: ledger")
    lines = [json.loads(x) for x in b"".join(done.chunks).decode().splitlines()]
    assert "_trailer" in lines[-1]
    return done.log_index, lines[:-1]


def trace(gw: Gateway, rows: list[dict[str, Any]], tmp_path: Path, *,
          records: bool = True) -> TraceReport:
    """Write the rows as a CSV extract (columns of the first row) and trace it."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    leak = tmp_path / "leak.csv"
    leak.write_text(out.getvalue(), encoding="utf-8")
    lib = gw.decider.library
    matcher = LedgerMatcher(gw.log.engine, gw.records if records else None, gw.watermark_key())
    return trace_file(leak, gw.watermark_key(), [a.id for a in lib.directory], lib.catalog,
                      matcher)


def strip(rows: list[dict[str, Any]], *drop: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in {"arrest_id", "_wm", *drop}} for r in rows]


def test_each_fetch_is_a_ledger_part_naming_the_recipient(gw: Gateway) -> None:
    index, rows = released(gw, "FBI", limit=25, sort="arrest_date", descending=True)
    with gw.log.engine.connect() as conn:
        parts = conn.execute(select(release_ledger)).all()
    assert [(p.query, p.part, p.agency, p.dataset, p.rows) for p in parts] == \
        [(index, 0, "FBI", DS, 25)]
    assert decode_keys(parts[0].row_keys) == [str(r["arrest_id"]) for r in rows]
    assert len(parts[0].fingerprints) == 8 * 25
    assert parts[0].fields.split(",")[0] == "arrest_id" and "citizenship" not in parts[0].fields
    assert "JSON" not in str(parts[0].row_keys) and rows[0]["name"].encode() not in \
        parts[0].row_keys + parts[0].fingerprints


def test_trace_names_both_recipients_of_a_mixed_extract_without_key_or_watermark(
        gw: Gateway, tmp_path: Path) -> None:
    """The brief's test: extracts sent to two agencies, every non-value column stripped
    (the key and ``_wm``), mixed; trace names both, with counts."""
    fbi_query, fbi = released(gw, "FBI", limit=15)
    dea_query, dea = released(gw, "DEA", limit=10, sort="arrest_id", descending=True)
    assert not {r["arrest_id"] for r in fbi} & {r["arrest_id"] for r in dea}
    leak = strip(fbi) + strip(dea)
    random.Random(4).shuffle(leak)
    report = trace(gw, leak, tmp_path)
    assert dict(report.matched) == {("FBI", DS): 15, ("DEA", DS): 10}
    assert report.matched.most_common(1) == [(("FBI", DS), 15)]
    assert report.queries == {("FBI", DS): {fbi_query}, ("DEA", DS): {dea_query}}
    assert not report.recipients and report.untraceable == 0 and report.rows == 25


def test_fewer_columns_are_matched_through_the_records(gw: Gateway, tmp_path: Path) -> None:
    """Only some value columns kept (no fingerprint covers them): each row is found in the
    records database by its values, and its key in the ledger."""
    released(gw, "FBI", limit=8)
    _, dea = released(gw, "DEA", limit=12)  # the same 8 rows, and 4 more
    kept = [{k: r[k] for k in ("name", "birth_date", "charge", "arrest_date")} for r in dea]
    report = trace(gw, kept, tmp_path)
    assert dict(report.matched) == {("FBI", DS): 8, ("DEA", DS): 12}
    without_records = trace(gw, kept, tmp_path, records=False)
    assert not without_records.matched and without_records.untraceable == 12


def test_rows_no_one_received_are_untraceable(gw: Gateway, tmp_path: Path) -> None:
    _, fbi = released(gw, "FBI", limit=5)
    _, others = released(gw, "ATF", limit=5, sort="arrest_id", descending=True)
    with gw.log.engine.begin() as conn:  # as if ATF's release had never been recorded
        conn.execute(release_ledger.delete().where(release_ledger.c.agency == "ATF"))
    edited = [{**r, "charge": "NOT WHAT WAS SENT"} for r in strip(fbi)[:2]]
    report = trace(gw, strip(fbi) + strip(others) + edited, tmp_path)
    assert dict(report.matched) == {("FBI", DS): 5} and report.untraceable == 7


def test_a_copied_watermark_is_overruled_by_the_ledger(gw: Gateway, tmp_path: Path) -> None:
    """FBI's tags pasted onto the rows DEA received: no tag verifies, and the ledger names
    DEA, not FBI."""
    _, fbi = released(gw, "FBI", limit=6, fields=["arrest_id", "charge"])
    _, dea = released(gw, "DEA", limit=6, sort="arrest_id", descending=True)
    forged = [{**d, "_wm": f["_wm"]} for d, f in zip(dea, fbi, strict=True)]
    report = trace(gw, forged, tmp_path)
    assert not report.recipients and dict(report.matched) == {("DEA", DS): 6}


@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), max_size=50)
       | st.lists(st.text(max_size=8), max_size=20))
def test_keys_decode_as_encoded(keys: list[Any]) -> None:
    texts = [str(k) for k in keys]
    assert decode_keys(encode_keys(texts)) == texts


def test_sorted_integer_keys_cost_about_a_byte_a_row() -> None:
    keys = [str(k) for k in range(1_000_000, 1_010_000, 3)]
    assert len(encode_keys(keys)) < len(keys) // 4


def test_a_fetch_the_ledger_cannot_record_is_not_sent(gw: Gateway) -> None:
    with gw.log.engine.begin() as conn:
        key = issue_key(conn, "FBI", "ledger test").info
    done = release(gw, key, {**QUERY, "limit": 5}, via="test: ledger")
    with gw.log.engine.begin() as conn:  # the ledger goes away after the query was logged
        release_ledger.drop(conn)
    lines = [json.loads(x) for x in b"".join(done.chunks).decode().splitlines()]
    assert len(lines) == 1 and lines[0]["_error"]["rows_sent"] == 0
    assert done.ended == "error"
