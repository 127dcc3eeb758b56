"""The departmental property report (``report property``), numbers known by hand.

The registry of Chicago holds two departments: Streets with Lot A (signed 2026-09-01 by the
Streets crew, gates lock) and Lot B (no sign, gates not known), and Parks with Park C, a
sister agency's park the rules send to a person. Misuse reports: Lot A in October (reviewed,
linked to a case) and November (new, with the reporter's contact), Lot A in August (before the
period), one on a map point in November. The log: the rules refuse Border Patrol staging on
Lot B in the period (by property id), once before it, and once for a garage named by kind
only; a what-if refusal and a North Chicago refusal are not counted.

Expected, for 2026-10-01..2026-11-30:

- Lot A: covered yes, sign 2026-09-01 by Streets crew, gates yes, 2 reports (2026-10: 1;
  2026-11: 1), 1 reviewed, 1 linked, 0 refusals;
- Lot B: covered yes, no sign, gates not known, 0 reports, 1 refusal;
- Park C: a person decides (review), no sign, gates no, 0 reports, 0 refusals;
- whole place: 1 map point report, 1 refusal naming no property.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from cli_run import run_cli
from sanctuarygate.audit.bundle import published_policy
from sanctuarygate.audit.default import open_log
from sanctuarygate.audit.entries import DecisionEntry, encode
from sanctuarygate.audit.tree import append
from sanctuarygate.domain.misuse import ReportForm
from sanctuarygate.domain.property import Property, with_registry
from sanctuarygate.domain.request import parse_request
from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_decider
from sanctuarygate.report.property_report import (
    CSV_FIELDS,
    NO_PROPERTY,
    PropertyReport,
    build_property_report,
    check_period,
    csv_rows,
    property_refusals,
    render_text,
    write_property_csv,
    write_property_pdf,
)
from sanctuarygate.settings import Settings
from sanctuarygate.store.case import open_case
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.misuse import add_report, link_case, list_reports, mark_reviewed
from sanctuarygate.store.property import import_properties, list_properties

START, END = dt.date(2026, 10, 1), dt.date(2026, 11, 30)
POINT = {"type": "Point", "coordinates": [-87.65, 41.87]}
REGISTRY = [
    Property("CHI-LOT-A", "chicago", "Lot A", "parking-lot", "city", department="Streets",
             gates_lockable=True, sign_posted_on=dt.date(2026, 9, 1),
             sign_posted_by="Streets crew", geometry=POINT),
    Property("CHI-LOT-B", "chicago", "Lot B", "parking-lot", "city", department="Streets",
             geometry=POINT),
    Property("CHI-PARK-C", "chicago", "Park C", "park", "sister-agency", department="Parks",
             gates_lockable=False, geometry=POINT),
]


@pytest.fixture(scope="module")
def decider() -> Decider:
    return default_decider()


def _form(pid: str | None, seen: dt.date, contact: str | None = None) -> ReportForm:
    return ReportForm("chicago", pid, None if pid else (41.87, -87.65), seen, None,
                      ("vehicles",), "Vans by the gate.", contact)


def _refusal(decider: Decider, *, at: dt.datetime, place: str = "chicago",
             resource: dict[str, Any] | None = None, what_if: bool = False) -> bytes:
    asked = parse_request({
        "profile": place, "date": at.date().isoformat(), "principal": {"agency": "CBP-USBP"},
        "action": "use-property",
        "resource": resource or {"type": "Property", "property_id": "CHI-LOT-B"},
        "context": {"purpose": "civil-immigration-enforcement", "use": "staging-area",
                    "document": {"kind": "none"}},
        **({"extra_packs": ["ocad-proposed-eo-2019"]} if what_if else {})})
    found = {p.id: p for p in REGISTRY}.get(str(asked.resource.get("property_id")))
    if found is not None:
        asked = with_registry(asked, found)
    decision = decider.decide(asked)
    assert decision.outcome == "deny"
    return encode(DecisionEntry.of(asked, decision, actor="desk", at=at))


def _entries(decider: Decider) -> list[bytes]:
    utc = dt.UTC
    return [
        _refusal(decider, at=dt.datetime(2026, 11, 20, 15, tzinfo=utc)),
        _refusal(decider, at=dt.datetime(2026, 10, 1, 4, tzinfo=utc)),  # Sep 30 in Chicago
        _refusal(decider, at=dt.datetime(2026, 10, 9, 15, tzinfo=utc),
                 resource={"type": "Property", "kind": "garage", "owner": "city"}),
        _refusal(decider, at=dt.datetime(2026, 11, 2, 15, tzinfo=utc), what_if=True),
        _refusal(decider, at=dt.datetime(2026, 11, 3, 15, tzinfo=utc), place="north-chicago",
                 resource={"type": "Property", "kind": "parking-lot", "owner": "city"}),
    ]


@pytest.fixture
def report(db_engine: Engine, decider: Decider) -> PropertyReport:
    upgrade(db_engine)
    with db_engine.begin() as conn:
        import_properties(conn, "chicago", REGISTRY)
        october = add_report(conn, _form("CHI-LOT-A", dt.date(2026, 10, 5)), photos=[])
        add_report(conn, _form("CHI-LOT-A", dt.date(2026, 11, 12), contact="555-0100"),
                   photos=[])
        add_report(conn, _form("CHI-LOT-A", dt.date(2026, 8, 30)), photos=[])
        add_report(conn, _form(None, dt.date(2026, 11, 13)), photos=[])
        mark_reviewed(conn, october.id, staff_id="s-0a1b2c3d")
        case = open_case(conn, {"action": "use-property"}, {"outcome": "deny"},
                         agency="CBP-USBP", source="desk", log_index=None,
                         actor="staff:s-0a1b2c3d")
        link_case(conn, october.id, case)
    with db_engine.connect() as conn:
        properties, reports = list_properties(conn, place="chicago"), list_reports(conn)
    refusals, read = property_refusals(_entries(decider), place="chicago", start=START,
                                       end=END, timezone="America/Chicago")
    assert read == 5
    return build_property_report(decider, "chicago", properties=properties, reports=reports,
                                 refusals=refusals, start=START, end=END, entries_read=read)


def test_the_rows_as_counted_by_hand(report: PropertyReport, tmp_path: Path) -> None:
    rows = csv_rows(report)
    picked = [{k: r[k] for k in ("department", "property_id", "order_covers", "rules_answer",
                                 "sign_posted_on", "sign_posted_by", "gates_lockable",
                                 "reports", "reports_by_month", "reviewed", "linked_to_case",
                                 "refusals_logged")} for r in rows]
    assert picked == [
        {"department": "Parks", "property_id": "CHI-PARK-C", "order_covers": "a person decides",
         "rules_answer": "review", "sign_posted_on": "", "sign_posted_by": "",
         "gates_lockable": "no", "reports": "0", "reports_by_month": "", "reviewed": "0",
         "linked_to_case": "0", "refusals_logged": "0"},
        {"department": "Streets", "property_id": "CHI-LOT-A", "order_covers": "yes",
         "rules_answer": "deny", "sign_posted_on": "2026-09-01",
         "sign_posted_by": "Streets crew", "gates_lockable": "yes", "reports": "2",
         "reports_by_month": "2026-10: 1; 2026-11: 1", "reviewed": "1", "linked_to_case": "1",
         "refusals_logged": "0"},
        {"department": "Streets", "property_id": "CHI-LOT-B", "order_covers": "yes",
         "rules_answer": "deny", "sign_posted_on": "", "sign_posted_by": "",
         "gates_lockable": "not known", "reports": "0", "reports_by_month": "",
         "reviewed": "0", "linked_to_case": "0", "refusals_logged": "1"},
    ]
    assert report.map_points == 1 and report.other_refusals == {NO_PROPERTY: 1}

    text = render_text(report)
    assert "INTERNAL" in text and "mayor's office" in text
    assert ("Streets: 2 properties, 2 covered by the order, 1 signed, 1 with lockable gates; "
            "2 misuse reports (1 reviewed, 1 linked to a case); 1 refusals logged") in text
    assert "to do: post signs on CHI-LOT-B" in text
    assert "555-0100" not in text and "Vans" not in text

    out = write_property_csv(report, tmp_path / "p.csv")
    with out.open(encoding="utf-8") as f:
        read = list(csv.DictReader(f))
    assert tuple(read[0]) == CSV_FIELDS and len(read) == 3
    assert not any("contact" in name or "photo" in name for name in CSV_FIELDS)
    assert "555-0100" not in out.read_text(encoding="utf-8")


def test_one_department_and_the_refusals(report: PropertyReport, decider: Decider) -> None:
    streets = build_property_report(decider, "chicago", properties=list(REGISTRY), reports=[],
                                    refusals={"CHI-LOT-B": 1}, start=START, end=END,
                                    department="Streets")
    assert [d.name for d in streets.departments] == ["Streets"]
    assert [line.site.id for line in streets.lines] == ["CHI-LOT-A", "CHI-LOT-B"]
    assert streets.map_points == 0 and streets.other_refusals == {}
    with pytest.raises(InputError, match="names no department 'Roads'"):
        build_property_report(decider, "chicago", properties=list(REGISTRY), reports=[],
                              refusals={}, start=START, end=END, department="Roads")
    with pytest.raises(InputError, match=r"ends .* before it starts"):
        check_period("2026-11-30", "2026-10-01")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        check_period("2026-13-01", "2026-10-01")


def test_the_pdf_says_it_is_internal(report: PropertyReport, tmp_path: Path) -> None:
    pdf = write_property_pdf(report, tmp_path / "p.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    assert "INTERNAL" in text and "CHI-LOT-B" in text and "555-0100" not in text


def test_the_command_end_to_end(tmp_path: Path, decider: Decider) -> None:
    """The registry, a report and a logged refusal put in a fresh data directory's database,
    then the command run on it (the report from the same rows, and the refusals)."""
    settings = Settings(data_dir=tmp_path / "data")
    engine = open_log(settings).engine
    with engine.begin() as conn:
        import_properties(conn, "chicago", REGISTRY)
        add_report(conn, _form("CHI-LOT-A", dt.date(2026, 10, 5), contact="555-0100"),
                   photos=[])
        append(conn, _entries(decider)[0], at=dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC))
    pinned = tmp_path / "city.policy"  # what the city published, saved before the report
    pinned.write_text(published_policy(open_log(settings)).text(), encoding="utf-8")
    engine.dispose()
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(settings.data_dir),
           "SANCTUARYGATE_TIMEZONE": "America/Chicago",
           "SANCTUARYGATE_LOG_POLICY": str(pinned)}

    def sg(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(["report", "property", "--place", "chicago", *args], env=env)

    ran = sg("--from", "2026-10-01", "--to", "2026-11-30", "--csv", str(tmp_path / "r.csv"),
             "--out", str(tmp_path / "r.pdf"))
    assert ran.returncode == 0, ran.stderr
    assert "INTERNAL" in ran.stdout and "555-0100" not in ran.stdout
    assert "(1 log entries read;" in ran.stdout
    with (tmp_path / "r.csv").open(encoding="utf-8") as f:
        rows = {r["property_id"]: r for r in csv.DictReader(f)}
    assert sorted(rows) == ["CHI-LOT-A", "CHI-LOT-B", "CHI-PARK-C"]
    assert rows["CHI-LOT-B"]["refusals_logged"] == "1"
    assert rows["CHI-LOT-A"]["reports_by_month"] == "2026-10: 1"
    assert rows["CHI-PARK-C"]["rules_answer"] == "review"
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"

    for args, says in [
        (("--department", "Roads"), "names no department 'Roads'"),
        (("--to", "2026-09-30"), "before it starts"),
    ]:
        bad = sg("--from", "2026-10-01", "--to", "2026-11-30", *args)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
        assert says in bad.stderr

    stranger = tmp_path / "stranger.policy"  # another log's key: this log does not verify
    stranger.write_text(published_policy(open_log(Settings(data_dir=tmp_path / "other"))).text(),
                        encoding="utf-8")
    refused = sg("--from", "2026-10-01", "--to", "2026-11-30", "--policy", str(stranger),
                 "--csv", str(tmp_path / "refused.csv"))
    assert refused.returncode == 1 and "the log does not verify" in refused.stderr, refused.stderr
    assert refused.stdout == "" and not (tmp_path / "refused.csv").exists()
    env.pop("SANCTUARYGATE_LOG_POLICY")
    unpinned = sg("--from", "2026-10-01", "--to", "2026-11-30")
    assert unpinned.returncode == 2 and "nothing to trust" in unpinned.stderr
