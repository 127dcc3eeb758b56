"""The annual TRUST Act report to the Illinois Attorney General (5 ILCS 805/25), from the log.

Every Illinois law-enforcement agency reports, by March 1, for the prior calendar year: each
request from DHS to assist in a civil immigration operation and how it was handled, and each
immigration detainer or civil immigration warrant received (the date received, whether and how
long the person was held on it, released or transferred, when and to whom); it certifies zero
when there were none; the report holds no names and no personal data (REFERENCE.md IL-16 [C]).

:func:`ag_report` reads the log's entries (their exact bytes, verified first by the caller:
:func:`verified_entries` exports the live log and checks the export against the pinned trust
policy, as ``log verify`` does) and makes one :class:`AgRow` per recorded request:

- **assist** (section A): a ``decision`` whose action is ``assist-operation`` and whose
  principal is an agency of the department flagged ``immigration-parent`` in the directory
  (DHS: ICE, CBP and every other part of it), whatever purpose it stated (the purpose is a
  column: the agency, not the requester, says whether the operation was civil);
- **detainer** (section B): a ``decision`` that came with a document of
  :data:`~sanctuarygate.domain.vocabulary.CIVIL_IMMIGRATION_DOCUMENTS` (an immigration detainer,
  an administrative warrant, an NCIC immigration hit: documents "not approved or ordered by a
  judge", 805/10), whatever it asked for (hold, detain, transfer, notify of release...), and any
  ``honor-detainer`` request, whatever document came with it. A request that meets both
  definitions is listed in both sections.

A row is one recorded request, with the index of its ``decision`` entry and of the entries
that answered it later (``review``, ``exception``, ``exception-approval``), so an auditor can
check each line against the public log. The log records decisions, not what officers did
afterwards: whether a hold or transfer was carried out, when a person was released or handed
over, and how long anyone was held are not in it, and the row says "not recorded" rather than
guess. What it does say is reported as such: a hold or transfer asked for was "refused" or
"allowed" (the decision, and the review that answered it).

The agency's requests are those recorded under its place's profile (its ``jurisdiction`` in
the directory): the log names the place whose rules applied, not the department that was asked.
The year is the city's calendar year, in its time zone (``SANCTUARYGATE_TIMEZONE``).

>>> from sanctuarygate.domain.agency import Directory
>>> d = Directory.from_mapping({"agencies": [
...     {"id": "DHS", "level": "federal", "flags": ["immigration-parent"],
...      "children": [{"id": "ICE", "flags": ["civil-immigration"]}]},
...     {"id": "CITY", "level": "city", "jurisdiction": "chicago",
...      "children": [{"id": "CPD", "flags": ["law-enforcement"]}]}]})
>>> e = (b'{"actor":"desk","kind":"decision","obligations":[],"outcome":"deny","packs":[],'
...      b'"request":{"action":"honor-detainer","date":"2025-03-10","document_kind":"detainer",'
...      b'"document_verified":true,"onward_recipients":[],"principal":{"agency":"ICE"},'
...      b'"profile":"chicago","purpose":"civil-immigration-enforcement","resource_type":"Person"},'
...      b'"rules":[{"citation":"5 ILCS 805/15(a)","id":"r"}],"time":"2025-03-10T15:00:00Z",'
...      b'"unresolved_facts":[],"v":1}')
>>> [(r.section, r.indexes, r.received, r.held) for r in ag_rows([e], directory=d,
...     profile="chicago", year=2025, timezone="America/Chicago")]
[('detainer', (0,), '2025-03-10', 'hold refused')]
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from sanctuarygate.audit.bundle import BundleError, export_bundle
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.note import NoteError
from sanctuarygate.audit.trust import TrustPolicy
from sanctuarygate.domain.agency import Agency, Directory
from sanctuarygate.domain.vocabulary import ACTIONS, CIVIL_IMMIGRATION_DOCUMENTS, DOCUMENT_KINDS
from sanctuarygate.errors import InputError
from sanctuarygate.policy.library import PolicyLibrary
from sanctuarygate.report.entry import entry_day, parse_entry
from sanctuarygate.report.source import Source, read_export

__all__ = ["AgReport", "AgRow", "CaseFacts", "ag_report", "ag_report_from_export", "ag_rows",
           "build_ag_report", "case_facts", "reporting_agency", "verified_entries"]

Section = Literal["assist", "detainer"]

#: The law and its confidence tag (REFERENCE.md, rule IL-16 and its sources: [C]).
CITATION: Final = "5 ILCS 805/25"
CONFIDENCE: Final = "C"
#: Due to the Attorney General by this day of the following year (805/25 [C]).
DUE_MONTH, DUE_DAY = 3, 1
#: The action that asks for help in an operation (section A).
ASSIST_ACTION: Final = "assist-operation"
#: The action that asks to hold a person on a detainer: listed whatever document came with it.
DETAINER_ACTION: Final = "honor-detainer"
#: Documents that are detainers or civil immigration warrants (805/10): section B.
DETAINER_DOCUMENTS: Final = CIVIL_IMMIGRATION_DOCUMENTS
#: Actions that ask to hold a person (held: what was decided on the hold).
HOLD_ACTIONS: Final = frozenset({"honor-detainer", "detain"})
#: Actions that ask to hand a person over (transferred: what was decided on the transfer).
TRANSFER_ACTIONS: Final = frozenset({"transfer-custody"})
assert {ASSIST_ACTION, DETAINER_ACTION} | HOLD_ACTIONS | TRANSFER_ACTIONS <= ACTIONS
assert DETAINER_DOCUMENTS <= DOCUMENT_KINDS

NOT_RECORDED: Final = "not recorded"
NOT_APPLICABLE: Final = "n/a"
#: A document's form number as a desk may type it (I-247A, I-200, AO 442); anything else is
#: free text and is left out (it could name someone).
_FORM = re.compile(r"^(?:[A-Z]{1,3}[- ]?\d{2,4}[A-Z]?)$")

REQUEST_LABELS: Final = {
    "assist-operation": "assist an operation",
    "honor-detainer": "hold on a detainer",
    "detain": "detain",
    "transfer-custody": "transfer custody",
    "notify-release": "notify of release",
    "answer-inquiry": "answer an inquiry",
    "grant-access": "access to a person in custody",
}
DOCUMENT_LABELS: Final = {
    "detainer": "immigration detainer",
    "administrative-warrant": "civil immigration warrant (administrative)",
    "ncic-immigration-hit": "NCIC immigration record (civil warrant)",
}
OUTCOME_LABELS: Final = {"allow": "allowed", "allow-with-conditions": "allowed with conditions",
                         "deny": "refused", "review": "sent to review"}


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What a review case adds to a row (no personal data): the document's form number and the
    kind of help asked for, as the desk recorded them; not in the public log."""

    case: int
    form: str | None = None
    assistance: str | None = None


#: Case facts by decision index, or a function giving them for the indexes listed.
Cases = Mapping[int, CaseFacts] | Callable[[list[int]], Mapping[int, CaseFacts]]


@dataclass(frozen=True, slots=True)
class AgRow:
    """One recorded request, as the report lists it (every value a word, a date or an agency)."""

    section: Section
    indexes: tuple[int, ...]
    received: str
    agency: str
    request: str
    document: str
    purpose: str
    decision: str
    handled: str
    clauses: str
    held: str
    hold_duration: str
    released_or_transferred: str
    when: str
    to_whom: str
    case_details: str = NOT_RECORDED

    @property
    def log_indexes(self) -> str:
        return " ".join(str(i) for i in self.indexes)


#: The CSV's columns, in order (the PDF's tables show the same values).
COLUMNS: Final = ("section", "log_indexes", "received", "agency", "request", "document",
                  "purpose", "decision", "handled", "clauses", "held", "hold_duration",
                  "released_or_transferred", "when", "to_whom", "case_details")


@dataclass(frozen=True, slots=True)
class AgReport:
    """The report: who reports, for which year, from which checkpoint, and its rows."""

    agency: str
    agency_name: str
    profile: str
    year: int
    timezone: str
    due: dt.date
    partial: bool
    source: Source
    rows: tuple[AgRow, ...]
    built_on: dt.date

    @property
    def assist(self) -> tuple[AgRow, ...]:
        return tuple(r for r in self.rows if r.section == "assist")

    @property
    def detainers(self) -> tuple[AgRow, ...]:
        return tuple(r for r in self.rows if r.section == "detainer")

    @property
    def period(self) -> str:
        return f"January 1 to December 31, {self.year} ({self.timezone})"

    def certification(self, section: Section) -> str:
        """The certification for one section: its count, or zero."""
        rows = self.assist if section == "assist" else self.detainers
        what = ("requests from the Department of Homeland Security to assist in a civil "
                "immigration operation" if section == "assist" else
                "immigration detainers or civil immigration warrants")
        if not rows:
            return (f"Zero certification: {self.agency} received no {what} in calendar year "
                    f"{self.year}, according to its decision log (a checkpoint of "
                    f"{self.source.entries} entries, verified).")
        return (f"{self.agency} received {len(rows)} {what} in calendar year {self.year}, "
                "listed below with the log entries behind each.")


def reporting_agency(library: PolicyLibrary, agency_id: str) -> tuple[Agency, str]:
    """The agency (``--agency``) and the profile its requests are logged under.

    Refused with :class:`InputError`: an id the directory does not know, an agency that is not
    a law-enforcement agency (the TRUST Act binds those only), one with no place in the
    directory, or whose place is not bound by Illinois law.

    >>> from sanctuarygate.policy.default import default_library
    >>> agency, profile = reporting_agency(default_library(), "CPD")
    >>> agency.name, profile
    ('Chicago Police Department', 'chicago')
    """
    agency = library.directory.get(agency_id.strip().upper(), field="agency")
    if not agency.law_enforcement:
        raise InputError(f"{agency.id} is not a law-enforcement agency: the TRUST Act's report "
                         "is theirs", field="agency")
    place = agency.jurisdiction
    if place is None or place not in library.profiles:
        raise InputError(f"{agency.id} has no place in the agency directory: the log cannot "
                         "tell which requests it received", field="agency")
    if not any(library.packs[p].jurisdiction == "illinois"
               for p in library.profile(place).packs):
        raise InputError(f"{agency.id} ({place}) is not bound by Illinois law: 5 ILCS 805/25 "
                         "does not apply", field="agency")
    return agency, place


def verified_entries(log: DecisionLog, trust: TrustPolicy, *,
                     note: str | None = None) -> tuple[list[bytes], Source]:
    """The log's entries up to its checkpoint (``note``: the one to use, e.g. the witnessed
    one; default the current one), once an export of them verifies against ``trust``, the
    pinned policy (as ``log verify`` checks it). Raises ``BundleError`` otherwise."""
    with tempfile.TemporaryDirectory(prefix="sanctuarygate-ag-") as folder:
        export_bundle(log, Path(folder), note=note)
        return read_export(Path(folder), trust=trust)


def case_facts(case_id: int, request: Any) -> CaseFacts:
    """What a review case adds to its row, from the case's number and stored request (the
    scenario-case format): a form number that looks like one, and the help asked for.

    >>> case_facts(4, {"context": {"document": {"kind": "detainer", "form": "I-247A"}}})
    CaseFacts(case=4, form='I-247A', assistance=None)
    >>> case_facts(5, {"context": {"document": {"form": "CALL JOHN"}}}).form is None
    True
    """
    context = request.get("context") if isinstance(request, Mapping) else None
    context = context if isinstance(context, Mapping) else {}
    document = context.get("document")
    form = document.get("form") if isinstance(document, Mapping) else None
    assistance = context.get("assistance")
    return CaseFacts(case_id,
                     form if isinstance(form, str) and _FORM.match(form) else None,
                     assistance if isinstance(assistance, str) else None)


def build_ag_report(log: DecisionLog, library: PolicyLibrary, trust: TrustPolicy, *,
                    agency: str, year: int, timezone: str, today: dt.date,
                    note: str | None = None, cases: Cases | None = None) -> AgReport:
    """The report of ``agency`` for ``year`` from the live log, verified first against
    ``trust`` (:func:`verified_entries`; ``BundleError`` when it does not verify: no row is
    read from it), with what the review cases add: ``cases`` gives them for the decision
    indexes of the rows (the caller reads the city's case files; see :func:`case_facts`).

    The agency and the year are checked before the log is read (:class:`InputError`).
    """
    reporting_agency(library, agency)
    _check_year(year, today, timezone)
    try:
        entries, source = verified_entries(log, trust, note=note)
    except NoteError as exc:
        raise BundleError(f"the log does not verify: {exc}") from None
    return ag_report(entries, library=library, agency=agency, year=year, timezone=timezone,
                     today=today, source=source, cases=cases)


def ag_report_from_export(folder: Path, library: PolicyLibrary, trust: TrustPolicy, *,
                          agency: str, year: int, timezone: str, today: dt.date) -> AgReport:
    """The report rebuilt from a log export (``log export``), verified first against ``trust``:
    what an auditor runs to check the city's report line by line. It has the same rows, less
    what only the city's case files hold (``case_details`` and a form number then read "not
    recorded"). ``BundleError`` when the export does not verify."""
    reporting_agency(library, agency)
    _check_year(year, today, timezone)
    entries, source = read_export(folder, trust=trust)
    return ag_report(entries, library=library, agency=agency, year=year, timezone=timezone,
                     today=today, source=source)


def ag_report(entries: Sequence[bytes], *, library: PolicyLibrary, agency: str, year: int,
              timezone: str, today: dt.date, source: Source, cases: Cases | None = None
              ) -> AgReport:
    """The report of ``agency`` for the city's calendar ``year`` from verified ``entries``.

    ``today`` is the city's date: a year not begun is refused; the current year is reported
    as partial. ``cases``: what review cases add, by decision index (:func:`case_facts`), or a
    function giving them for the decision indexes listed.
    """
    found, profile = reporting_agency(library, agency)
    _check_year(year, today, timezone)
    rows = ag_rows(entries, directory=library.directory, profile=profile, year=year,
                   timezone=timezone, cases=cases)
    return AgReport(agency=found.id, agency_name=found.name, profile=profile, year=year,
                    timezone=timezone, due=dt.date(year + 1, DUE_MONTH, DUE_DAY),
                    partial=year == today.year, source=source, rows=rows, built_on=today)


def _check_year(year: int, today: dt.date, timezone: str) -> None:
    if year < 2017:  # the TRUST Act took effect on 2017-08-28 (P.A. 100-463 [C])
        raise InputError(f"{year} is before the TRUST Act (2017)", field="year")
    if year > today.year:
        raise InputError(f"{year} has not begun (today is {today} in {timezone})", field="year")


def ag_rows(entries: Iterable[bytes], *, directory: Directory, profile: str, year: int,
            timezone: str, cases: Cases | None = None) -> tuple[AgRow, ...]:
    """The rows of ``profile``'s requests received in ``year`` (city time), oldest first:
    section A's, then section B's (see the module docstring)."""
    zone = zoneinfo.ZoneInfo(timezone)
    dhs = {a.id for a in directory if _root(a, directory).flags >= {"immigration-parent"}}
    picked: list[tuple[int, Section, Mapping[str, Any], str]] = []
    answers: dict[int, list[tuple[int, Mapping[str, Any]]]] = {}
    approvals: dict[int, int] = {}
    for index, raw in enumerate(entries):
        if b'"kind":"decision"' not in raw and b'"kind":"review"' not in raw \
                and b'"kind":"exception' not in raw:
            continue
        entry = parse_entry(index, raw)
        kind = entry.get("kind")
        if kind in ("review", "exception") and isinstance(entry.get("decision"), int):
            answers.setdefault(entry["decision"], []).append((index, entry))
        elif kind == "exception-approval" and isinstance(entry.get("exception"), int):
            approvals[entry["exception"]] = index
        elif kind == "decision" and entry.get("v") == 1:
            for section in _sections(entry, profile, dhs):
                day = entry_day(index, entry, zone)
                if day.year == year:
                    picked.append((index, section, entry, day.isoformat()))
    found = cases([i for i, *_ in picked]) if callable(cases) else cases or {}
    rows = [_row(index, section, entry, day, answers.get(index, []), approvals,
                 found.get(index)) for index, section, entry, day in picked]
    return tuple(sorted(rows, key=lambda r: (r.section != "assist", r.indexes[0])))


def _sections(entry: Mapping[str, Any], profile: str, dhs: set[str]) -> list[Section]:
    asked = entry.get("request")
    if not isinstance(asked, Mapping) or asked.get("profile") != profile:
        return []
    if asked.get("extra_packs") or entry.get("hypothetical") is True:
        return []  # a what-if: never the law in force, never a request received
    principal = asked.get("principal")
    if not isinstance(principal, Mapping) or "agency" not in principal:
        return []  # a city employee acting: not a request received
    out: list[Section] = []
    if asked.get("action") == ASSIST_ACTION and principal["agency"] in dhs:
        out.append("assist")
    if asked.get("document_kind") in DETAINER_DOCUMENTS or asked.get("action") == DETAINER_ACTION:
        out.append("detainer")
    return out


def _row(index: int, section: Section, entry: Mapping[str, Any], day: str,
         answers: list[tuple[int, Mapping[str, Any]]], approvals: Mapping[int, int],
         case: CaseFacts | None) -> AgRow:
    asked = entry["request"]
    action, outcome = str(asked.get("action")), str(entry.get("outcome"))
    indexes = [index]
    final, steps = outcome, [f"rules: {OUTCOME_LABELS.get(outcome, outcome)}"]
    clauses = [str(r.get("citation")) for r in entry.get("rules") or () if isinstance(r, Mapping)]
    for at, answer in answers:
        indexes.append(at)
        said = OUTCOME_LABELS.get(str(answer.get("outcome")), str(answer.get("outcome")))
        if answer.get("kind") == "review":
            final = str(answer.get("outcome"))
            steps.append(f"review (case {answer.get('case')}): {said}")
        else:
            approved = approvals.get(at)
            if approved is not None:
                indexes.append(approved)
            if answer.get("needs_second") is True and approved is None:
                steps.append(f"exception (case {answer.get('case')}) not approved: no effect")
                continue
            final = str(answer.get("outcome"))
            steps.append(f"exception (case {answer.get('case')}): {said} until "
                         f"{answer.get('expires')}")
        # A review's clause is a citation of a rule in force (checked when it was recorded); an
        # exception's is free text (an emergency power) that could name someone: it stays in
        # the log entry the row lists.
        if answer.get("kind") == "review" and answer.get("clause"):
            clauses.append(str(answer["clause"]))
    if final == "review":
        steps.append("not yet reviewed")
    doc = str(asked.get("document_kind"))
    form = case.form if case and case.form else None
    custody = section == "detainer"
    agency = str(asked["principal"]["agency"])
    return AgRow(
        section=section, indexes=tuple(sorted(indexes)), received=day, agency=agency,
        request=REQUEST_LABELS.get(action, action),
        document=DOCUMENT_LABELS.get(doc, doc.replace("-", " ")) + (f" ({form})" if form else ""),
        purpose=str(asked.get("purpose")).replace("-", " "), decision=OUTCOME_LABELS.get(outcome, outcome),
        handled="; ".join(steps), clauses="; ".join(dict.fromkeys(c for c in clauses if c)),
        held=_decided(final, "hold") if custody and action in HOLD_ACTIONS
        else NOT_RECORDED if custody else NOT_APPLICABLE,
        hold_duration=NOT_RECORDED if custody else NOT_APPLICABLE,
        released_or_transferred=_decided(final, "transfer") if custody
        and action in TRANSFER_ACTIONS else NOT_RECORDED if custody else NOT_APPLICABLE,
        when=NOT_RECORDED if custody else NOT_APPLICABLE,
        to_whom=_to_whom(final, action, agency) if custody else NOT_APPLICABLE,
        case_details=_case_details(case, outcome))


def _decided(final: str, what: str) -> str:
    """What was decided on a hold or a transfer (the log's fact; not whether it was done)."""
    if final == "deny":
        return f"{what} refused"
    if final in ("allow", "allow-with-conditions"):
        return f"{what} allowed (carried out: not recorded)"
    return f"{what} not decided (pending review)"


def _to_whom(final: str, action: str, agency: str) -> str:
    if action in TRANSFER_ACTIONS and final in ("allow", "allow-with-conditions"):
        return f"{agency}, if carried out"
    if action in TRANSFER_ACTIONS and final == "deny":
        return "no one: transfer refused"
    return NOT_RECORDED


def _case_details(case: CaseFacts | None, outcome: str) -> str:
    if case is None:
        return NOT_RECORDED if outcome == "review" else "no case (not sent to review)"
    return (f"case {case.case}" + (f"; form {case.form}" if case.form else "")
            + (f"; help asked: {case.assistance}" if case.assistance else ""))


def _root(agency: Agency, directory: Directory) -> Agency:
    return directory.get(agency.ancestors[0]) if agency.ancestors else agency
