"""The TRUST Act report (5 ILCS 805/25) on a log seeded through the real decide and record path.

The log (times in UTC; Chicago is UTC-6 in winter, UTC-5 in summer), profile chicago unless
said, each decided by the default decider and recorded with ``record_decision``:

====  ====================  =================================================  ===============
 idx  time (UTC)            request                                            in 2025 report?
====  ====================  =================================================  ===============
  0   2024-12-31 12:00      ICE-ERO honor-detainer, detainer: deny             no (2024)
  1   2025-01-01 05:30      ICE-ERO honor-detainer, detainer: deny             no (Dec 31 in
                                                                               Chicago)
  2   2025-03-10 15:00      ICE-ERO honor-detainer, detainer: deny             B
  3   2025-03-11 15:00      ICE-ERO assist-operation (perimeter), civil: deny  A
  4   2025-04-02 15:00      FBI assist-operation, criminal: allow              no (not DHS)
  5   2025-05-05 15:00      ICE-ERO notify-release, no document: deny          no
  6   2025-06-01 15:00      CBP-USBP assist-operation, federal criminal
                            warrant not yet verified: review (case 1 opened)   A
  7   2025-06-02 15:00      review of case 1: deny                             (row of 6)
  8   2025-07-01 15:00      ICE-ERO transfer-custody, administrative warrant:
                            deny                                               B
  9   2026-01-01 03:00      ICE-ERO detain, NCIC immigration hit: deny         B (Dec 31)
 10   2026-01-01 07:00      ICE-ERO honor-detainer, detainer: deny             no (2026)
 11   2025-08-01 15:00      cook-county: ICE-ERO honor-detainer: deny          no (other place)
====  ====================  =================================================  ===============

Every decision is about a person recorded under a keyed hash of "booking 4711"; the case names
the officer who asked and a contact; the reviewer gives a reason naming someone. None of these
may reach the report.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from sanctuarygate.audit.bundle import BundleError, export_bundle, published_policy
from sanctuarygate.audit.entries import ExceptionApprovalEntry, ExceptionEntry, encode
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.record import record_decision
from sanctuarygate.audit.trust import TrustPolicy
from sanctuarygate.cli import main
from sanctuarygate.cli.report import case_reader
from sanctuarygate.domain.case import parse_exception, parse_review
from sanctuarygate.domain.request import parse_request
from sanctuarygate.domain.vocabulary import DOCUMENT_KINDS
from sanctuarygate.errors import InputError, UnknownAgencyError
from sanctuarygate.policy.default import default_decider, default_library
from sanctuarygate.report.ag80525 import (
    ASSIST_ACTION,
    DETAINER_ACTION,
    DETAINER_DOCUMENTS,
    HOLD_ACTIONS,
    TRANSFER_ACTIONS,
    AgReport,
    ag_report,
    ag_report_from_export,
    ag_rows,
    build_ag_report,
)
from sanctuarygate.report.ag_document import csv_text, render_html, write_ag_csv, write_ag_pdf
from sanctuarygate.report.source import Source
from sanctuarygate.review.exception import grant_exception
from sanctuarygate.review.queue import case_decision, decide_case
from sanctuarygate.review.split import clauses
from sanctuarygate.store import case as cases
from sanctuarygate.store.db import Engine, make_engine, upgrade
from sanctuarygate.store.tables import log_entry

CIVIL, CRIMINAL = "civil-immigration-enforcement", "criminal-investigation"
PERSON = {"type": "Person", "in_custody": True}
ORIGIN = "test.example/log"
ZONE = "America/Chicago"
TODAY = dt.date(2026, 12, 3)
#: What must never be in the report: the person's id and its hash, the officer who asked and
#: their contact, the reviewer's reason, the staff ids.
SECRETS = ("4711", "Jane Roe", "roe@example.org", "Sergeant Pepper", "staff:s-", "hmac-sha256")


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def ask(agency: str, action: str, purpose: str, doc: str = "none", *, date: str,
        profile: str = "chicago", verified: bool | str = True, **context: Any) -> dict[str, Any]:
    return {"profile": profile, "date": date, "principal": {"agency": agency},
            "action": action, "resource": PERSON,
            "context": {"purpose": purpose, "document": {"kind": doc, "verified": verified},
                        **context}}


#: (time, request, opens a case): the plan of the module docstring, in log order.
PLAN: list[tuple[str, dict[str, Any]]] = [
    ("2024-12-31T12:00", ask("ICE-ERO", "honor-detainer", CIVIL, "detainer", date="2024-12-31")),
    ("2025-01-01T05:30", ask("ICE-ERO", "honor-detainer", CIVIL, "detainer", date="2024-12-31")),
    ("2025-03-10T15:00", ask("ICE-ERO", "honor-detainer", CIVIL, "detainer", date="2025-03-10")),
    ("2025-03-11T15:00", ask("ICE-ERO", "assist-operation", CIVIL, date="2025-03-11",
                             assistance="perimeter")),
    ("2025-04-02T15:00", ask("FBI", "assist-operation", CRIMINAL, date="2025-04-02",
                             assistance="perimeter")),
    ("2025-05-05T15:00", ask("ICE-ERO", "notify-release", CIVIL, date="2025-05-05")),
    ("2025-06-01T15:00", ask("CBP-USBP", "assist-operation", CIVIL, "federal-criminal-warrant",
                             date="2025-06-01", verified="unknown", assistance="perimeter")),
    # index 7 is the review of the case index 6 opened
    ("2025-07-01T15:00", ask("ICE-ERO", "transfer-custody", CIVIL, "administrative-warrant",
                             date="2025-07-01")),
    ("2026-01-01T03:00", ask("ICE-ERO", "detain", CIVIL, "ncic-immigration-hit",
                             date="2025-12-31")),
    ("2026-01-01T07:00", ask("ICE-ERO", "honor-detainer", CIVIL, "detainer", date="2026-01-01")),
    ("2025-08-01T15:00", ask("ICE-ERO", "honor-detainer", CIVIL, "detainer", date="2025-08-01",
                             profile="cook-county")),
]


@dataclass
class City:
    log: DecisionLog
    trust: TrustPolicy
    policy_file: Path
    db_url: str


def seed(engine: Engine, data_dir: Path) -> DecisionLog:
    """The plan, recorded as the desk records it: a review answer opens its case in the same
    transaction (``record_and_queue``'s two steps, at a chosen time), and is decided with
    ``decide_case``."""
    upgrade(engine)
    log = DecisionLog(engine, origin=ORIGIN, data_dir=data_dir)
    decider = default_decider()
    _ = log.signer
    for when, data in PLAN:
        if data["action"] == "transfer-custody":  # after the case's request: its review first
            with engine.connect() as conn:
                case_id = cases.list_cases(conn)[0].id
            answer = parse_review("deny", [], "Sergeant Pepper could not reach the court.",
                                  "5 ILCS 805/15(h)(1)")
            decide_case(log, decider, case_id, answer, actor="staff:s-0a1b2c3d",
                        at=utc("2025-06-02T15:00"))
        request = parse_request(data)
        decision = decider.decide(request)
        with engine.begin() as conn:
            index = record_decision(conn, request, decision, actor="desk", at=utc(when),
                                    subject=log.subject("booking 4711"))
            if decision.outcome == "review":
                case_request = {**data, "context": {**data["context"], "document": {
                    **data["context"]["document"], "form": "AO 442"}}}
                cases.open_case(conn, case_request, case_decision(decision),
                                agency=request.principal.id, log_index=index, source="desk",
                                actor="staff:s-0a1b2c3d", asked_by="Agent Jane Roe",
                                contact="roe@example.org", at=utc(when))
    return log


@pytest.fixture
def city(tmp_path: Path) -> City:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    log = seed(make_engine(url), tmp_path / "data")
    trust = published_policy(log)
    policy_file = tmp_path / "policy"
    policy_file.write_text(trust.text(), encoding="utf-8")
    return City(log, trust, policy_file, url)


def build(log: DecisionLog, trust: TrustPolicy, year: int = 2025,
          agency: str = "CPD") -> AgReport:
    return build_ag_report(log, default_library(), trust, agency=agency, year=year,
                           timezone=ZONE, today=TODAY, cases=case_reader(log))


# Hand-checked against the plan: (section, indexes, received, agency, handled, held,
# released or transferred, to whom).
EXPECTED = [
    ("assist", (3,), "2025-03-11", "ICE-ERO", "rules: refused", "n/a", "n/a", "n/a"),
    ("assist", (6, 7), "2025-06-01", "CBP-USBP",
     "rules: sent to review; review (case 1): refused", "n/a", "n/a", "n/a"),
    ("detainer", (2,), "2025-03-10", "ICE-ERO", "rules: refused", "hold refused",
     "not recorded", "not recorded"),
    ("detainer", (8,), "2025-07-01", "ICE-ERO", "rules: refused", "not recorded",
     "transfer refused", "no one: transfer refused"),
    ("detainer", (9,), "2025-12-31", "ICE-ERO", "rules: refused", "hold refused",
     "not recorded", "not recorded"),
]


def test_the_rows_and_their_log_indexes(city: City) -> None:
    report = build(city.log, city.trust)
    got = [(r.section, r.indexes, r.received, r.agency, r.handled, r.held,
            r.released_or_transferred, r.to_whom) for r in report.rows]
    assert got == EXPECTED
    # The entries behind each row are the ones the plan says: read them back from the log.
    kinds = {i: e.body for i, e in enumerate(city.log.entries(0, city.log.size()))}
    assert '"kind":"review"' in kinds[7] and '"decision":6' in kinds[7]
    assert '"action":"detain"' in kinds[9] and '"time":"2026-01-01T03:00:00Z"' in kinds[9]
    # What only the case file knows: the form number and the help asked for.
    assert report.assist[1].case_details == "case 1; form AO 442; help asked: perimeter"
    assert report.assist[1].document == "federal criminal warrant (AO 442)"
    assert report.assist[0].case_details == "no case (not sent to review)"
    # What the log never holds is never filled in.
    assert {r.hold_duration for r in report.detainers} == {"not recorded"}
    assert {r.when for r in report.detainers} == {"not recorded"}
    assert "5 ILCS 805/15(a)" in report.detainers[0].clauses
    assert report.source.entries == 12 and report.source.origin == ORIGIN
    assert not report.partial and report.due == dt.date(2026, 3, 1)


def test_a_year_with_none_gives_the_zero_certification(city: City, tmp_path: Path) -> None:
    report = build(city.log, city.trust, year=2023)
    assert report.rows == ()
    text = render_html(report)
    assert "Zero certification: CPD received no requests from the Department of Homeland " \
           "Security" in text
    assert "Zero certification: CPD received no immigration detainers" in text
    assert csv_text(report).splitlines() == [csv_text(report).splitlines()[0]]
    # A log with no entry at all certifies zero too (its checkpoint of 0 entries verifies).
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    upgrade(engine)
    empty = DecisionLog(engine, origin=ORIGIN, data_dir=tmp_path / "empty")
    nothing = build(empty, published_policy(empty))
    assert nothing.rows == () and nothing.source.entries == 0
    assert "(a checkpoint of 0 entries, verified)" in nothing.certification("detainer")
    # The current year is reported, marked partial; a year not begun is refused.
    assert build(city.log, city.trust, year=2026).partial
    with pytest.raises(InputError, match="has not begun"):
        build(city.log, city.trust, year=2027)


def test_a_tampered_log_is_refused(city: City) -> None:
    with city.log.engine.begin() as conn:
        body = city.log.entries(2, 3)[0].body
        conn.execute(update(log_entry).where(log_entry.c.idx == 2).values(
            body=body.replace('"deny"', '"allow"')))
    with pytest.raises(BundleError, match="root"):
        build(city.log, city.trust)


def test_an_unknown_or_non_police_agency_is_refused(city: City) -> None:
    with pytest.raises(UnknownAgencyError):
        build(city.log, city.trust, agency="NOPE")
    with pytest.raises(InputError, match="not a law-enforcement agency"):
        build(city.log, city.trust, agency="CHICAGO-WATER")
    with pytest.raises(InputError, match="not bound by Illinois law"):
        build(city.log, city.trust, agency="NYPD")
    # Cook County's sheriff reports the request recorded under its own place (index 11).
    sheriff = build(city.log, city.trust, agency="COOK-SHERIFF")
    assert [r.indexes for r in sheriff.rows] == [(11,)]


def test_no_personal_data_in_the_pdf_or_the_csv(city: City, tmp_path: Path) -> None:
    report = build(city.log, city.trust)
    pdf = write_ag_pdf(report, tmp_path / "report.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    data = write_ag_csv(report, tmp_path / "report.csv").read_text(encoding="utf-8")
    for found in (text, data):
        for secret in SECRETS:
            assert secret not in found
    # The PDF says what it is and from where, and every row's indexes are in it.
    flat = " ".join(text.split())
    for words in ("TRUST Act", "5 ILCS 805/25 (confidence: C)", "Chicago Police Department",
                  "January 1 to December 31, 2025", "checkpoint of 12 entries",
                  report.source.root_hash or "?", "I certify"):
        assert words in flat, words
    rows = list(csv.DictReader(io.StringIO(data)))
    assert [(r["section"], r["log_indexes"]) for r in rows] == [
        (s, " ".join(map(str, i))) for s, i, *_ in EXPECTED]
    assert len(PdfReader(pdf).pages) >= 1 and PdfReader(pdf).pages[0].mediabox.width == 792


def test_rows_from_entries_alone_need_no_database() -> None:
    entry = (b'{"actor":"desk","kind":"decision","obligations":[],"outcome":"allow","packs":[],'
             b'"request":{"action":"assist-operation","date":"2025-02-01","document_kind":"none",'
             b'"document_verified":true,"onward_recipients":[],"principal":{"agency":"USCIS"},'
             b'"profile":"chicago","purpose":"benefits-adjudication","resource_type":"Facility"},'
             b'"rules":[],"time":"2025-02-01T12:00:00Z","unresolved_facts":[],"v":1}')
    report = ag_report([entry], library=default_library(), agency="CPD", year=2025,
                       timezone=ZONE, today=TODAY, source=Source(1))
    # USCIS is part of DHS: its request to assist is listed, whatever purpose it stated.
    assert [(r.section, r.agency, r.purpose, r.handled) for r in report.rows] == [
        ("assist", "USCIS", "benefits adjudication", "rules: allowed")]


def test_the_command_writes_both_files_or_refuses_in_one_line(
        city: City, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SANCTUARYGATE_DATABASE_URL", city.db_url)
    monkeypatch.setenv("SANCTUARYGATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SANCTUARYGATE_LOG_ORIGIN", ORIGIN)
    monkeypatch.setenv("SANCTUARYGATE_LOG_POLICY", str(city.policy_file))
    monkeypatch.delenv("SANCTUARYGATE_WITNESSES", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["sanctuarygate", "report", "ag-805-25", *args])
        with pytest.raises(SystemExit) as ended:
            main.run()
        out, err = capsys.readouterr()
        return int(ended.value.code or 0), out, err

    out, csv_out = tmp_path / "r.pdf", tmp_path / "r.csv"
    code, said, err = run("--agency", "CPD", "--year", "2025", "--out", str(out),
                          "--csv", str(csv_out))
    assert code == 0, err
    assert said.startswith("CPD 2025: 2 DHS assistance requests, 3 detainers or civil warrants")
    assert out.read_bytes()[:5] == b"%PDF-" and len(csv_out.read_text().splitlines()) == 6
    export_bundle(city.log, tmp_path / "export")
    offline = tmp_path / "offline.csv"
    code, said, err = run("--agency", "CPD", "--year", "2025", "--out", str(tmp_path / "o.pdf"),
                          "--csv", str(offline), "--from-export", str(tmp_path / "export"))
    assert code == 0, err
    assert [line.split(",")[:3] for line in offline.read_text().splitlines()] == \
        [line.split(",")[:3] for line in csv_out.read_text().splitlines()]
    code, said, err = run("--agency", "NOPE", "--year", "2025", "--out", str(tmp_path / "x.pdf"))
    assert (code, said) == (2, "") and len(err.strip().splitlines()) == 1
    code, said, err = run("--agency", "CPD", "--year", "2025", "--out",
                          str(tmp_path / "nowhere" / "x.pdf"))
    assert (code, said) == (2, "") and "is not a folder" in err
    with city.log.engine.begin() as conn:
        conn.execute(update(log_entry).where(log_entry.c.idx == 3).values(
            body=city.log.entries(3, 4)[0].body.replace("ICE-ERO", "ICE-HSI")))
    code, said, err = run("--agency", "CPD", "--year", "2025", "--out", str(tmp_path / "t.pdf"))
    assert code == 1 and said == "" and not (tmp_path / "t.pdf").exists()  # a failed check
    assert len(err.strip().splitlines()) == 1 and "does not verify" in err


def test_on_postgresql_too(db_engine: Engine, tmp_path: Path) -> None:
    log = seed(db_engine, tmp_path / "data")
    report = build(log, published_policy(log))
    assert [(r.section, r.indexes) for r in report.rows] == [(s, i) for s, i, *_ in EXPECTED]
    assert report.assist[1].case_details == "case 1; form AO 442; help asked: perimeter"


def test_reviews_and_exceptions_answer_their_rows(tmp_path: Path) -> None:
    """USMS asks to take a person on a detainer (review: a person decides; a reviewer allows the
    transfer), CBP asks for help with a warrant not yet verified (review; an exception refuses
    it in an emergency), and a hand-made exception that still waits for its second approver
    changes nothing."""
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    log = DecisionLog(engine, origin=ORIGIN, data_dir=tmp_path / "data")
    decider = default_decider()
    plan = [ask("USMS", "transfer-custody", CRIMINAL, "detainer", date="2025-09-01",
                verified="unknown"),
            ask("CBP-USBP", "assist-operation", CIVIL, "federal-criminal-warrant",
                date="2025-09-02", verified="unknown", assistance="transport")]
    case_ids = []
    for day, data in enumerate(plan, start=1):
        request = parse_request(data)
        decision = decider.decide(request)
        assert decision.outcome == "review"
        with engine.begin() as conn:
            index = record_decision(conn, request, decision, actor="desk",
                                    at=utc(f"2025-09-0{day}T15:00"))
            case_ids.append(cases.open_case(conn, data, case_decision(decision),
                                            agency=request.principal.id, log_index=index,
                                            source="desk", actor="staff:s-0a1b2c3d",
                                            at=utc(f"2025-09-0{day}T15:00")))
    usms = parse_request(plan[0])
    clause = clauses(decider, usms, decider.decide(usms))[0]
    decide_case(log, decider, case_ids[0], parse_review("allow", [], "Marshals' order checked.",
                                                        clause),
                actor="staff:s-0a1b2c3d", at=utc("2025-09-03T15:00"))  # index 2
    grant_exception(log, decider, case_ids[1],
                    parse_exception("deny", [], "Flood: no units to spare.",
                                    "Emergency order of Chief Sergeant Pepper", 4),
                    actor="staff:s-0a1b2c3d", at=utc("2025-09-04T15:00"))  # index 3
    report = build(log, published_policy(log))
    got = [(r.section, r.indexes, r.handled, r.released_or_transferred, r.to_whom)
           for r in report.rows]
    assert got == [
        ("assist", (1, 3), "rules: sent to review; exception (case 2): refused until "
         "2025-09-04T19:00:00Z", "n/a", "n/a"),
        ("detainer", (0, 2), "rules: sent to review; review (case 1): allowed",
         "transfer allowed (carried out: not recorded)", "USMS, if carried out")]
    assert clause in report.detainers[0].clauses
    # An exception's clause is free text: it stays in its log entry, out of the report.
    assert "Pepper" not in csv_text(report) and "Pepper" not in render_html(report)
    # An exception waiting for its second approver has no effect on the row (index 4 here).
    entries = [e.body.encode() for e in log.entries(0, log.size())]
    waiting = encode(ExceptionEntry(
        time=utc("2025-09-05T15:00"), actor="staff:s-1", case=1, decision=0,
        rules_outcome="review", outcome="deny", conditions=(), clause="X",
        expires=utc("2025-09-05T19:00"), needs_second=True))
    rows = ag_rows([*entries, waiting], directory=default_library().directory,
                   profile="chicago", year=2025, timezone=ZONE)
    assert rows[1].indexes == (0, 2, 4)
    assert rows[1].handled.endswith("exception (case 1) not approved: no effect")
    assert rows[1].released_or_transferred == "transfer allowed (carried out: not recorded)"
    approval = encode(ExceptionApprovalEntry(time=utc("2025-09-05T16:00"), actor="staff:s-2",
                                             case=1, exception=4))
    rows = ag_rows([*entries, waiting, approval], directory=default_library().directory,
                   profile="chicago", year=2025, timezone=ZONE)
    assert rows[1].indexes == (0, 2, 4, 5)
    assert rows[1].released_or_transferred == "transfer refused"


@pytest.mark.parametrize("pack", ["il-trust-2017", "il-trust-2021"])
def test_the_report_lists_what_the_trust_act_packs_decide(pack: str) -> None:
    """The mapping of the module docstring, held to the packs: the documents the TRUST Act's
    civil-warrant rule names (805/15(a) with 805/10's definition) are section B's documents;
    the actions its 805/15(a) rules govern are the hold and transfer actions, one of them the
    detainer action; its 805/15(h)(1) rules govern section A's action."""
    rules = default_library().packs[pack].rules
    named = {lit for r in rules if r.ref.id == f"{pack}/15a-civil-warrant"
             for lit in r.read.literals}
    assert named & DOCUMENT_KINDS == DETAINER_DOCUMENTS
    held = {a for r in rules if r.ref.citation.startswith("5 ILCS 805/15(a)")
            for a in r.read.actions or ()}
    assert DETAINER_ACTION in held and held <= HOLD_ACTIONS | TRANSFER_ACTIONS
    assist = {a for r in rules if r.ref.citation.startswith("5 ILCS 805/15(h)(1)")
              for a in r.read.actions or ()}
    assert assist <= {ASSIST_ACTION, "enter-agreement"}


def test_an_export_gives_the_same_rows_but_the_case_file_column(city: City,
                                                                  tmp_path: Path) -> None:
    live = build(city.log, city.trust)
    export_bundle(city.log, tmp_path / "export")
    offline = ag_report_from_export(tmp_path / "export", default_library(), city.trust,
                                    agency="CPD", year=2025, timezone=ZONE, today=TODAY)
    assert offline.source == live.source
    assert [dataclasses.replace(r, case_details="", document=r.document.split(" (")[0])
            for r in offline.rows] == \
        [dataclasses.replace(r, case_details="", document=r.document.split(" (")[0])
         for r in live.rows]
    assert offline.assist[1].case_details == "not recorded"  # sent to review: its case is
    assert offline.assist[1].document == "federal criminal warrant"  # the city's, not public
    # An export changed after it was written is refused, as the live log is.
    path = tmp_path / "export" / "entries.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"detain"', b'"notify-release"', 1))
    with pytest.raises(BundleError):
        ag_report_from_export(tmp_path / "export", default_library(), city.trust,
                              agency="CPD", year=2025, timezone=ZONE, today=TODAY)
