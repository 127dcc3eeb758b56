"""The departmental report the property orders require (Chicago EO 2025-8, REFERENCE CHI-9;
North Chicago, NC-1; Waukegan, WK-1): for each department, its exposed sites, its signs, its
gates and the attempted use reported, over a period.

For each registered property of the department:

1. exposed site: id, name, kind, owner (leased or not) and whether the order covers it, asked
   through the one door on the period's last day (``report.sign.staging_outcome``: "may Border
   Patrol stage here?"; ``deny`` means covered, ``review`` that a person must decide);
2. sign: posted (date, by whom) or not yet (the to-do list);
3. gates: lockable yes, no, or not known;
4. attempted use: misuse reports of sightings in the period, by month of the sighting (as the
   transparency pages count them), how many were marked reviewed and how many linked to a
   case; and the rules' refusals of ``use-property``/``use-facility`` requests for the place
   recorded in the public log in the period (city time), by the property id the request named.

The report is internal to the city (for the mayor's office): counts are exact, not suppressed
as on the public pages. It still holds no reporter contact details, no report text and no
photos: only counts by property and month.

>>> p = Property("NC-L-1", "north-chicago", "Lot 1", "parking-lot", "city", department="DPW")
>>> line = PropertyLine(p, "deny", {"2026-10": 2}, reviewed=1, linked=0, refusals=3)
>>> line.covered, line.reports, line.months
('yes', 2, '2026-10: 2')
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Protocol

from sanctuarygate.domain.misuse import ReportState
from sanctuarygate.domain.property import Property
from sanctuarygate.errors import InputError
from sanctuarygate.policy.decide import Decider
from sanctuarygate.report.entry import entry_day, parse_entry
from sanctuarygate.report.pdf import render_document, write_pdf
from sanctuarygate.report.sign import staging_outcome


class StoredReport(Protocol):
    """What this report reads of a stored misuse report (``store.misuse.StoredReport`` is one;
    the report layer reads no store itself: the command passes the reports in)."""

    @property
    def place(self) -> str: ...
    @property
    def property_id(self) -> str | None: ...
    @property
    def seen_on(self) -> dt.date: ...
    @property
    def state(self) -> ReportState: ...
    @property
    def case_id(self) -> int | None: ...

__all__ = ["CSV_FIELDS", "INTERNAL", "PROPERTY_ACTIONS", "Department", "PropertyLine",
           "PropertyReport", "build_property_report", "check_period", "property_refusals",
           "render_text", "write_property_csv", "write_property_pdf"]

#: The requests to use city property the orders are about.
PROPERTY_ACTIONS: Final = ("use-property", "use-facility")
#: Said at the top of every form of the report.
INTERNAL: Final = ("INTERNAL: for the city (the mayor's office), not for publication. Counts are "
                   "exact; no reporter contact details, report text or photos are in it.")
#: A refusal whose request named no registered property.
NO_PROPERTY: Final = "(no property id)"

COVERED: Final = {"deny": "yes", "review": "a person decides", "allow": "no",
                  "allow-with-conditions": "no"}

CSV_FIELDS: Final = ("department", "property_id", "name", "kind", "owner", "leased",
                     "order_covers", "rules_answer", "sign_posted_on", "sign_posted_by",
                     "gates_lockable", "reports", "reports_by_month", "reviewed",
                     "linked_to_case", "refusals_logged")


@dataclass(frozen=True, slots=True)
class PropertyLine:
    """One property of a department, and where it stands."""

    site: Property
    #: The rules' answer to "may Border Patrol stage here?" on the period's last day.
    outcome: str
    #: Misuse reports of sightings in the period, by month ``YYYY-MM``.
    by_month: Mapping[str, int] = field(default_factory=dict)
    reviewed: int = 0
    linked: int = 0
    refusals: int = 0

    @property
    def covered(self) -> str:
        return COVERED.get(self.outcome, f"not known ({self.outcome})")

    @property
    def reports(self) -> int:
        return sum(self.by_month.values())

    @property
    def months(self) -> str:
        return "; ".join(f"{m}: {n}" for m, n in sorted(self.by_month.items()))

    @property
    def gates(self) -> str:
        lockable = self.site.gates_lockable
        return "not known" if lockable is None else "yes" if lockable else "no"

    @property
    def sign(self) -> str:
        p = self.site
        if p.sign_posted_on is None:
            return "not yet"
        return f"posted {p.sign_posted_on.isoformat()} by {p.sign_posted_by or 'not recorded'}"


@dataclass(frozen=True, slots=True)
class Department:
    """A managing department and its properties."""

    name: str
    lines: tuple[PropertyLine, ...]

    def count(self, what: str) -> int:
        """Sum of a line attribute (``reports``, ``reviewed``, ``linked``, ``refusals``)."""
        return sum(int(getattr(line, what)) for line in self.lines)

    @property
    def unsigned(self) -> tuple[PropertyLine, ...]:
        """The to-do list: covered or not, every property without a sign yet."""
        return tuple(line for line in self.lines if not line.site.signed)

    @property
    def covered(self) -> int:
        return sum(1 for line in self.lines if line.outcome == "deny")

    @property
    def lockable(self) -> int:
        return sum(1 for line in self.lines if line.site.gates_lockable is True)


@dataclass(frozen=True, slots=True)
class PropertyReport:
    """The report for a place (every department, or the one asked) over ``start``..``end``."""

    place: str
    start: dt.date
    end: dt.date
    departments: tuple[Department, ...]
    #: Only for the whole place: reports on a map point, not a registered property.
    map_points: int = 0
    #: Only for the whole place: refusals logged by property id not in these departments'
    #: registry (``NO_PROPERTY`` when the request named none).
    other_refusals: Mapping[str, int] = field(default_factory=dict)
    department: str | None = None
    entries_read: int = 0

    @property
    def lines(self) -> tuple[PropertyLine, ...]:
        return tuple(line for d in self.departments for line in d.lines)


def check_period(start: str, end: str) -> tuple[dt.date, dt.date]:
    """The period's first and last days from ``YYYY-MM-DD`` text; :class:`InputError` for a
    bad date or a range that ends before it starts.

    >>> check_period("2026-10-01", "2026-09-30")
    Traceback (most recent call last):
    ...
    sanctuarygate.errors.InputError: to: the period ends (2026-09-30) before it starts (2026-10-01)
    """
    days = []
    for name, text in (("from", start), ("to", end)):
        try:
            days.append(dt.date.fromisoformat(text))
        except ValueError:
            raise InputError(f"--{name} is a date as YYYY-MM-DD, not {text[:20]!r}",
                             field=name) from None
    if days[1] < days[0]:
        raise InputError(f"the period ends ({days[1]}) before it starts ({days[0]})",
                         field="to")
    return days[0], days[1]


def property_refusals(entries: Iterable[bytes], *, place: str, start: dt.date, end: dt.date,
                      timezone: str) -> tuple[Counter[str], int]:
    """The rules' refusals (outcome ``deny``) of ``use-property``/``use-facility`` requests for
    ``place`` logged in ``start``..``end`` (city days), by the property id the request named
    (:data:`NO_PROPERTY` when none); what-ifs are not requests received and are skipped. Also
    returns how many entries were read."""
    zone = zoneinfo.ZoneInfo(timezone)
    found: Counter[str] = Counter()
    read = 0
    for index, raw in enumerate(entries):
        read += 1
        if b'"kind":"decision"' not in raw:
            continue
        entry = parse_entry(index, raw)
        asked = entry.get("request")
        if entry.get("kind") != "decision" or not isinstance(asked, Mapping):
            continue
        if (asked.get("profile") != place or asked.get("action") not in PROPERTY_ACTIONS
                or entry.get("outcome") != "deny" or asked.get("extra_packs")
                or entry.get("hypothetical") is True):
            continue
        if start <= entry_day(index, entry, zone) <= end:
            pid = asked.get("resource_id")
            found[pid if isinstance(pid, str) and pid else NO_PROPERTY] += 1
    return found, read


def build_property_report(decider: Decider, place: str, *, properties: Sequence[Property],
                          reports: Iterable[StoredReport], refusals: Mapping[str, int],
                          start: dt.date, end: dt.date, department: str | None = None,
                          entries_read: int = 0) -> PropertyReport:
    """The report from the registry's ``properties`` of ``place`` (all of them: the department
    filter is applied here, so the whole-place leftovers are known), the stored misuse
    ``reports`` and the logged ``refusals`` by property id (:func:`property_refusals`).

    :class:`InputError` for a department the place's registry does not name."""
    ours = [p for p in properties if p.place == place]
    names = sorted({p.department or "(no department)" for p in ours})
    if department is not None and department not in names:
        raise InputError(f"{place}'s property registry names no department {department[:80]!r}"
                         f" (known: {', '.join(names) or 'none'})", field="department")
    by_month: dict[str, Counter[str]] = defaultdict(Counter)
    reviewed: Counter[str] = Counter()
    linked: Counter[str] = Counter()
    map_points = 0
    for r in reports:
        if r.place != place or not start <= r.seen_on <= end:
            continue
        if r.property_id is None:
            map_points += 1
            continue
        by_month[r.property_id][r.seen_on.strftime("%Y-%m")] += 1
        reviewed[r.property_id] += r.state is ReportState.REVIEWED
        linked[r.property_id] += r.case_id is not None
    groups: dict[str, list[PropertyLine]] = defaultdict(list)
    for p in sorted(ours, key=lambda p: p.id):
        name = p.department or "(no department)"
        if department is not None and name != department:
            continue
        groups[name].append(PropertyLine(p, staging_outcome(decider, p, end),
                                         dict(by_month.get(p.id, {})), reviewed[p.id],
                                         linked[p.id], int(refusals.get(p.id, 0))))
    shown = {p.id for p in ours}
    other = {} if department else {k: int(n) for k, n in sorted(refusals.items())
                                   if k not in shown}
    return PropertyReport(place, start, end,
                          tuple(Department(n, tuple(ls)) for n, ls in sorted(groups.items())),
                          map_points=0 if department else map_points, other_refusals=other,
                          department=department, entries_read=entries_read)


def render_text(report: PropertyReport) -> str:
    """The plain-text summary (what the command prints)."""
    out = [f"Property report: {report.place}"
           + (f", {report.department}" if report.department else ", every department")
           + f", {report.start} to {report.end}", INTERNAL, ""]
    for d in report.departments:
        sites = f"{len(d.lines)} propert{'y' if len(d.lines) == 1 else 'ies'}"
        out.append(f"{d.name}: {sites}, {d.covered} covered by the order, "
                   f"{len(d.lines) - len(d.unsigned)} signed, {d.lockable} with lockable gates; "
                   f"{d.count('reports')} misuse reports ({d.count('reviewed')} reviewed, "
                   f"{d.count('linked')} linked to a case); {d.count('refusals')} refusals "
                   "logged")
        for line in d.lines:
            p = line.site
            out.append(f"  {p.id}  {p.name} ({p.kind}, {p.owner}"
                       f"{', leased' if p.leased else ''}): covered {line.covered}; sign "
                       f"{line.sign}; gates lockable {line.gates}; reports {line.reports}"
                       + (f" ({line.months})" if line.reports else "")
                       + f", reviewed {line.reviewed}, linked {line.linked}; refusals "
                       f"{line.refusals}")
        if d.unsigned:
            out.append(f"  to do: post signs on {', '.join(x.site.id for x in d.unsigned)}")
    if not report.departments:
        out.append("The registry lists no property for this place.")
    if report.map_points:
        out.append(f"Reports on a map point (no property picked): {report.map_points}")
    for pid, n in report.other_refusals.items():
        out.append(f"Refusals logged for {pid} (not in the registry): {n}")
    out.append(f"({report.entries_read} log entries read; reports counted by the month of the "
               "sighting)")
    return "\n".join(out) + "\n"


def csv_rows(report: PropertyReport) -> list[dict[str, str]]:
    """One row per property (:data:`CSV_FIELDS`)."""
    rows = []
    for d in report.departments:
        for line in d.lines:
            p = line.site
            rows.append({
                "department": d.name, "property_id": p.id, "name": p.name, "kind": p.kind,
                "owner": p.owner, "leased": "yes" if p.leased else "no",
                "order_covers": line.covered, "rules_answer": line.outcome,
                "sign_posted_on": p.sign_posted_on.isoformat() if p.sign_posted_on else "",
                "sign_posted_by": p.sign_posted_by or "", "gates_lockable": line.gates,
                "reports": str(line.reports), "reports_by_month": line.months,
                "reviewed": str(line.reviewed), "linked_to_case": str(line.linked),
                "refusals_logged": str(line.refusals)})
    return rows


def write_property_csv(report: PropertyReport, out: Path) -> Path:
    """Write :func:`csv_rows` to ``out`` (whole or not at all)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(report))
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    tmp.replace(out)
    return out


def write_property_pdf(report: PropertyReport, out: Path) -> Path:
    """The report printed (``templates/property_report.html``)."""
    return write_pdf(render_document("property_report.html", r=report, internal=INTERNAL), out)
