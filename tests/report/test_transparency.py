"""The transparency tables from a real log export, checked by hand (see conftest.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sanctuarygate.audit.bundle import BundleError, BundleReport, export_bundle, published_policy
from sanctuarygate.audit.entries import KINDS, LogEntry
from sanctuarygate.audit.keys import Verifier, generate_key
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.trust import policy_from_keys
from sanctuarygate.errors import InputError
from sanctuarygate.report import (
    Count,
    Families,
    Table,
    render_text,
    report_from_export,
    report_from_log,
    transparency_report,
)
from sanctuarygate.report import source as source_module
from sanctuarygate.report.source import read_export
from sanctuarygate.report.tally import tally
from sanctuarygate.store.db import make_engine, upgrade

from .conftest import Built, fill

SMALL = Count(None, "small")
HOW = "5 ILCS 805/15(h)(7); 805/10 (contact information)"


def cell(table: Table, key: tuple[str, ...], column: str) -> Count:
    (row,) = [r for r in table.rows if r.key == key]
    return row.cells[table.columns.index(column)]


def test_the_raw_counts_are_the_ones_recorded(built: Built, families: Families) -> None:
    entries, source = read_export(built.export, trust=built.trust)
    counted = tally(entries, families)
    assert source.verified and source.entries == counted.entries == 27
    assert dict(counted.decisions) == {
        ("2025-03", "ICE", "notify-release", "deny"): 7,
        ("2025-03", "CBP", "notify-release", "deny"): 2,
        ("2025-03", "ICE", "grant-access", "deny"): 3,
        ("2025-03", "other DHS", "use-property", "review"): 3,
        ("2025-04", "ICE", "notify-release", "deny"): 6,
        ("2025-04", "other DHS", "use-property", "allow"): 1,
    }
    # each notify-release refusal cites two clauses: counted once under each
    assert counted.refusals[("MCC 2-173-020(a)(3)", "ICE")] == 13
    assert counted.refusals[(HOW, "CBP")] == 2
    assert counted.refusals[("MCC 2-173-020(a)(2)", "ICE")] == 3
    assert dict(counted.queries) == {("DOJ", "cpd-arrests", "released"): 1,
                                     ("ICE", "cpd-arrests", "refused"): 1}
    assert dict(counted.rows) == {("DOJ", "cpd-arrests"): 12}
    assert dict(counted.keys) == {("2025-03", "DOJ", "key-issue"): 1,
                                  ("2025-03", "DOJ", "key-use"): 1}


def test_the_published_tables(built: Built, families: Families) -> None:
    report = report_from_export(built.export, trust=built.trust, families=families, min_cell=5)
    d = report.decisions
    assert d.columns == ("allow", "allow-with-conditions", "deny", "review")
    assert [r.key for r in d.rows] == [
        ("2025-03", "ICE", "grant-access"), ("2025-03", "ICE", "notify-release"),
        ("2025-03", "CBP", "notify-release"), ("2025-03", "other DHS", "use-property"),
        ("2025-04", "ICE", "notify-release"), ("2025-04", "other DHS", "use-property")]
    assert cell(d, ("2025-03", "ICE", "notify-release"), "deny") == Count(7)
    assert cell(d, ("2025-04", "ICE", "notify-release"), "deny") == Count(6)
    assert cell(d, ("2025-03", "CBP", "notify-release"), "deny") == SMALL
    assert cell(d, ("2025-03", "ICE", "grant-access"), "deny") == SMALL
    assert cell(d, ("2025-04", "other DHS", "use-property"), "allow") == SMALL
    assert cell(d, ("2025-03", "CBP", "notify-release"), "allow") == Count(0)  # zeros are shown
    assert d.column_totals[2] == Count(18) and d.total == Count(22)
    assert report.months == ("2025-03", "2025-04")

    r = report.reviews
    assert r.columns == families.order and [row.key for row in r.rows] == [("2025-03",),
                                                                           ("2025-04",)]
    assert cell(r, ("2025-03",), "other DHS") == SMALL
    assert cell(r, ("2025-04",), "ICE") == Count(0)

    f = report.refusals
    assert cell(f, (HOW,), "CBP") == SMALL
    # each clause's row adds up to 15: showing ICE's 13 would give CBP's 2 back
    assert cell(f, (HOW,), "ICE") == cell(f, ("MCC 2-173-020(a)(3)",), "ICE") == Count(
        None, "withheld")
    assert f.total == Count(33)
    assert cell(f, ("MCC 2-173-020(a)(2)",), "ICE") == SMALL

    assert cell(report.queries, ("DOJ", "cpd-arrests"), "released") == SMALL
    assert cell(report.queries, ("ICE", "cpd-arrests"), "refused") == SMALL
    assert cell(report.rows_released, ("DOJ",), "cpd-arrests") == Count(12)
    assert cell(report.key_events, ("2025-03", "DOJ"), "key-issue") == SMALL


def test_no_published_count_is_small_and_every_shown_one_is_true(built: Built,
                                                                 families: Families) -> None:
    for n in (3, 5, 8):
        report = report_from_export(built.export, trust=built.trust, families=families,
                                    min_cell=n)
        for table in report.tables:
            for count in (*(c for row in table.rows for c in (*row.cells, row.total)),
                          *table.column_totals, table.total):
                assert count.mark != "shown" or count.value == 0 or count.value >= n  # type: ignore[operator]


def test_the_live_log_gives_the_same_numbers_as_its_export(built: Built,
                                                          families: Families) -> None:
    exported = report_from_export(built.export, trust=built.trust, families=families,
                                  min_cell=5)
    live = report_from_log(built.log, families=families, min_cell=5)
    assert live.tables == exported.tables
    assert not live.source.verified and live.source.entries == exported.source.entries
    fill(built.log)  # the log grows; the page still shows the numbers at its checkpoint
    assert report_from_log(built.log, families=families, min_cell=5,
                           size=exported.source.entries).tables == exported.tables
    assert report_from_log(built.log, families=families, min_cell=5).tables != exported.tables


def test_a_tampered_export_is_refused(built: Built, families: Families) -> None:
    path = built.export / "entries.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"deny"', b'"allow"', 1)
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(BundleError, match="do not hash to the checkpoint"):
        report_from_export(built.export, trust=built.trust, families=families, min_cell=5)


def test_an_export_signed_by_another_key_is_refused(built: Built, families: Families) -> None:
    _, other = generate_key("test.example/log")
    with pytest.raises(BundleError, match="checkpoint"):
        report_from_export(built.export, trust=policy_from_keys([Verifier.from_key(other)]),
                           families=families, min_cell=5)


def test_entries_changed_after_verifying_are_refused(built: Built, families: Families,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def verified_something_else(folder: Path, *, trust: object) -> BundleReport:
        return BundleReport(size=27, root_hash=b"\x00" * 32)

    monkeypatch.setattr(source_module, "verify_bundle", verified_something_else)
    with pytest.raises(BundleError, match="changed after it was verified"):
        read_export(built.export, trust=built.trust)


def test_an_entry_holding_a_line_separator_is_one_entry(tmp_path: Path,
                                                        families: Families) -> None:
    """Split on the byte \\n only: U+2028 in an entry is not a line end."""
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    log = DecisionLog(engine, origin="test.example/log", data_dir=tmp_path / "data")
    fill(log, actor="desk\u2028front")
    export_bundle(log, tmp_path / "export")
    data = (tmp_path / "export" / "entries.jsonl").read_bytes()
    assert "\u2028".encode() in data
    assert len(data.decode().splitlines()) > 27  # what a careless reader would count
    report = report_from_export(tmp_path / "export", trust=published_policy(log),
                                families=families, min_cell=5)
    assert report.source.entries == 27 and report.decisions.total == Count(22)


def test_what_ifs_and_other_kinds_are_skipped_and_said(families: Families,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    class Note(LogEntry):  # a kind the log defines that is no request (say, a key rotation)
        KIND = "test-note"
        VERSION = 1

    monkeypatch.setitem(KINDS, "test-note", Note)
    decision = {"v": 1, "kind": "decision", "time": "2025-05-01T00:00:00Z", "actor": "desk",
                "outcome": "deny", "rules": [{"id": "x", "citation": "C"}], "obligations": [],
                "unresolved_facts": [], "packs": [],
                "request": {"profile": "chicago", "date": "2025-05-01",
                            "principal": {"agency": "ICE-ERO"}, "action": "notify-release",
                            "resource_type": "Person", "purpose": "p", "document_kind": "none",
                            "document_verified": False, "onward_recipients": []}}
    what_if = {**decision, "request": {**decision["request"],  # type: ignore[dict-item]
                                       "extra_packs": ["ocad-proposed-eo-2019"]}}
    entries = [json.dumps(e).encode() for e in (
        decision, {**decision, "hypothetical": True}, what_if,
        {"v": 1, "kind": "witness-note", "time": "2025-05-01T00:00:00Z"},
        {"v": 1, "kind": "test-note"}, {"v": 2, "kind": "test-note"}, {**decision, "v": 2})]
    report = transparency_report(entries, families=families, min_cell=5)
    assert report.decisions.total == SMALL  # the one real decision
    assert report.hypothetical == 2
    assert report.other == (("test-note", 1),)
    assert report.unknown == (("decision v2", 1), ("test-note v2", 1), ("witness-note v1", 1))
    text = render_text(report)
    assert "Not part of these tables: 1 test-note entries." in text
    assert "Skipped 2 what-if entries" in text and "cannot read: witness-note v1" in text


@pytest.mark.parametrize(("raw", "message"), [
    (b"not json", "log entry 0: not a JSON object"),
    (b'{"v":1,"kind":"query-complete","query":5,"rows":3}', "not a released query"),
    (b'{"v":1,"kind":"key-use","time":"yesterday","key_id":"a","agency":"FBI","what":"x"}',
     "not ISO 8601"),
])
def test_a_malformed_entry_is_bad_input(families: Families, raw: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        transparency_report([raw], families=families, min_cell=5)


def test_a_folder_that_is_no_export_is_bad_input(tmp_path: Path, built: Built) -> None:
    with pytest.raises(InputError, match="not a log export"):
        read_export(tmp_path / "nothing", trust=built.trust)
    shutil.copytree(built.export, tmp_path / "copy")
    (tmp_path / "copy" / "entries.jsonl").write_bytes(b'{"v":1}')
    with pytest.raises(InputError, match="newline"):
        read_export(tmp_path / "copy", trust=None)
