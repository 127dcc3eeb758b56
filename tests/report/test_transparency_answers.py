"""Reviews and how they ended, and exceptions granted, from a real export (see conftest.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sanctuarygate.errors import InputError
from sanctuarygate.report import (
    Count,
    Families,
    render_text,
    report_from_export,
    report_from_log,
)
from sanctuarygate.report.render import EXCEPTION_COLUMNS, exceptions_csv
from sanctuarygate.report.source import read_export
from sanctuarygate.report.tally import tally
from sanctuarygate.report.transparency import transparency_report

from .conftest import CITED, REVIEWER, SECOND, Built, build

SMALL = Count(None, "small")


def test_reviews_are_counted_by_month_family_and_how_they_ended(answered: Built,
                                                                families: Families) -> None:
    entries, _ = read_export(answered.export, trust=answered.trust)
    counted = tally(entries, families)
    # FEMA's garage is 'other DHS'; the review of ICE-ERO's refused query is ICE's
    assert dict(counted.reviewed) == {("2025-03", "other DHS", "allow-with-conditions"): 1,
                                      ("2025-04", "other DHS", "deny"): 1,
                                      ("2025-04", "ICE", "deny"): 1}
    report = report_from_export(answered.export, trust=answered.trust, families=families,
                                min_cell=5)
    t = report.review_outcomes
    assert t.columns == ("allow", "allow-with-conditions", "deny")
    assert [r.key for r in t.rows] == [("2025-03", "other DHS"), ("2025-04", "ICE"),
                                       ("2025-04", "other DHS")]
    (march,) = [r for r in t.rows if r.key == ("2025-03", "other DHS")]
    assert march.cells == (Count(0), SMALL, Count(0)) and march.total == SMALL
    assert t.total == SMALL  # 3 reviews in all: fewer than 5, like every small count
    for n in (3, 4):  # suppressed like the other tables: nothing from 1 to n-1 is shown
        t = report_from_export(answered.export, trust=answered.trust, families=families,
                               min_cell=n).review_outcomes
        shown = [c.value for r in t.rows for c in (*r.cells, r.total)] + [
            c.value for c in (*t.column_totals, t.total)]
        assert all(v is None or v == 0 or v >= n for v in shown)


def test_each_exception_is_listed_with_its_state(answered: Built, families: Families) -> None:
    report = report_from_export(answered.export, trust=answered.trust, families=families,
                                min_cell=5)
    assert report.as_of == "2025-04-25T10:00:00Z"  # the newest entry: the last exception
    rows = {e.case: e for e in report.exceptions}
    assert [e.case for e in report.exceptions] == [1, 2, 3, 4]  # log order
    approved, unapproved, own_words, in_force = rows[1], rows[2], rows[3], rows[4]
    assert (approved.date, approved.rules_outcome, approved.outcome, approved.clause,
            approved.hours, approved.approver) == ("2025-04-10", "deny", "allow", CITED, "4",
                                                    REVIEWER)
    assert approved.second_required and approved.second_approval == approved.index + 1
    assert approved.expired and approved.state == "expired"
    assert unapproved.second_required and unapproved.second_approval is None
    assert unapproved.state == "expired-unapproved"
    assert not in_force.expired and in_force.state == "in-force" and in_force.hours == "24"
    assert not in_force.second_required and in_force.expires == "2025-04-26T10:00:00Z"
    # free text (an emergency power in the city's words, an actor that is no pseudonym) is
    # left in the log entry, never copied out
    assert own_words.clause is None and own_words.approver is None
    listed = render_text(report) + exceptions_csv(report)
    assert "Jane Roe" not in listed and "jroe" not in listed
    assert SECOND not in listed  # the second approver is the approval entry's, not listed


def test_the_exceptions_csv_has_a_line_per_exception(answered: Built,
                                                     families: Families) -> None:
    report = report_from_export(answered.export, trust=answered.trust, families=families,
                                min_cell=5)
    rows = list(csv.reader(exceptions_csv(report).splitlines()))
    assert rows[0] == list(EXCEPTION_COLUMNS)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first == {"log_index": str(report.exceptions[0].index), "date": "2025-04-10",
                     "case": "1", "rules_answer": "deny", "granted": "allow", "clause": CITED,
                     "hours": "4", "approver": REVIEWER, "second_approval_required": "yes",
                     "second_approval_entry": str(report.exceptions[0].index + 1),
                     "expires": "2025-04-10T14:00:00Z", "expired": "yes", "state": "expired"}
    assert [r[-1] for r in rows[1:]] == ["expired", "expired-unapproved", "expired",
                                         "in-force"]


def test_an_exception_awaiting_approval_is_said_so(families: Families) -> None:
    entries = [json.dumps({
        "v": 1, "kind": "exception", "time": "2025-05-01T10:00:00Z", "actor": REVIEWER,
        "case": 9, "decision": None, "rules_outcome": "deny", "outcome": "allow",
        "conditions": [], "clause": "not cited anywhere", "expires": "2025-05-01T12:30:00Z",
        "needs_second": True}).encode()]
    (e,) = transparency_report(entries, families=families, min_cell=5).exceptions
    assert e.state == "awaiting-approval" and not e.expired and e.hours == "2.5"
    assert e.clause is None  # no decision in the log cites it


@pytest.mark.parametrize(("entry", "message"), [
    ({"v": 1, "kind": "exception-approval", "time": "2025-05-01T10:00:00Z", "actor": SECOND,
      "case": 1, "exception": 0}, "not an exception before it"),
    ({"v": 1, "kind": "review", "time": "2025-05-01T10:00:00Z", "actor": REVIEWER, "case": 1,
      "decision": 0, "outcome": "review", "conditions": [], "clause": CITED},
     "unknown outcome"),
])
def test_a_malformed_answer_is_bad_input(families: Families, entry: dict[str, object],
                                         message: str) -> None:
    with pytest.raises(InputError, match=message):
        transparency_report([json.dumps(entry).encode()], families=families, min_cell=5)


def test_the_live_log_gives_the_same_list_as_its_export(db_engine: Engine, tmp_path: Path,
                                                       families: Families) -> None:
    """On SQLite and PostgreSQL: the page's path (the live log) and the export's agree."""
    answered = build(tmp_path, answered=True, engine=db_engine)
    exported = report_from_export(answered.export, trust=answered.trust, families=families,
                                  min_cell=5)
    live = report_from_log(answered.log, families=families, min_cell=5)
    assert live.tables == exported.tables
    assert live.exceptions == exported.exceptions and live.as_of == exported.as_of

