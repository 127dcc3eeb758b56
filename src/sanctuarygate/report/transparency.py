"""The transparency tables: what the city was asked and answered, from the log alone.

Anyone holding the public export computes the same numbers (``sanctuarygate report
transparency --from-export DIR``); the web page computes them from the live log with the same
code (:func:`report_from_log`). Seven tables, each with row totals, column totals and a grand
total (``docs/transparency.md`` says what each counts):

===================  ========================================  =================================
table                rows                                      columns
===================  ========================================  =================================
``decisions``        month x agency family x action            outcome
``reviews``          month                                     agency family (outcome review)
``review_outcomes``  month x agency family                     how the review ended
``refusals``         clause that decided a deny                agency family
``queries``          agency family x dataset                   released / refused / rejected
``rows_released``    agency family                             dataset (rows sent)
``key_events``       month x agency family                     key issued / used / revoked
===================  ========================================  =================================

Every count goes through small-cell suppression (``report/suppress.py``) before it leaves this
module: the typed result holds no suppressed value. ``reviews`` sums the ``decisions`` table's
review column, so both are suppressed as one system (its lines join them): a suppressed review
count cannot be recovered by setting one table against the other.

``review_outcomes`` counts the ``review`` entries (a reviewer's answer), by the month it was
given and the family of the request it answers. Beside the tables,
:attr:`TransparencyReport.exceptions` lists every exception granted
(``report/exceptions.py``): public entries listed one by one, not counts, so not suppressed.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sanctuarygate.audit.entries import stamp
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.audit.trust import TrustPolicy
from sanctuarygate.domain.vocabulary import OUTCOMES
from sanctuarygate.report.exceptions import ListedException, listed
from sanctuarygate.report.family import Families
from sanctuarygate.report.source import Source, log_entries, read_export
from sanctuarygate.report.suppress import GridKey, Line, Suppression, grid, suppress
from sanctuarygate.report.tally import DECIDED, KEY_KINDS, QUERY_STATUSES, Tally, tally

__all__ = ["Count", "Row", "Table", "TransparencyReport", "publish_tally", "report_from_export",
           "report_from_log", "transparency_report"]

Mark = Literal["shown", "small", "withheld"]


@dataclass(frozen=True, slots=True)
class Count:
    """A published count: its value when ``shown``; else only its mark (``small``: from 1 to
    N-1; ``withheld``: not shown so that another cannot be worked out, of any size)."""

    value: int | None
    mark: Mark = "shown"


@dataclass(frozen=True, slots=True)
class Row:
    key: tuple[str, ...]
    cells: tuple[Count, ...]
    total: Count


@dataclass(frozen=True, slots=True)
class Table:
    """One table as published: rows (a row not listed is all zeros), column totals, total."""

    name: str
    title: str
    key_names: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    column_totals: tuple[Count, ...]
    total: Count


@dataclass(frozen=True, slots=True)
class TransparencyReport:
    """The tables, with what they were computed from."""

    min_cell: int
    source: Source
    months: tuple[str, ...]
    decisions: Table
    reviews: Table
    review_outcomes: Table
    refusals: Table
    queries: Table
    rows_released: Table
    key_events: Table
    #: Every exception granted, in log order (listed, not counted).
    exceptions: tuple[ListedException, ...] = ()
    #: The time the exceptions' expiry is judged at: the newest entry counted (ISO 8601).
    as_of: str | None = None
    #: Entries skipped because they were what-ifs (never recorded by this version).
    hypothetical: int = 0
    #: Entries of the log's other kinds (not requests), by kind.
    other: tuple[tuple[str, int], ...] = field(default=())
    #: Entries of kinds or versions this version cannot read, by ``kind vN``.
    unknown: tuple[tuple[str, int], ...] = field(default=())

    @property
    def tables(self) -> tuple[Table, ...]:
        return (self.decisions, self.reviews, self.review_outcomes, self.refusals,
                self.queries, self.rows_released, self.key_events)


def transparency_report(entries: Iterable[bytes], *, families: Families, min_cell: int,
                        source: Source | None = None) -> TransparencyReport:
    """Count the entries (their exact bytes, oldest first) and publish the tables.

    >>> from sanctuarygate.domain.agency import Directory
    >>> fam = Families(Directory.from_mapping({"agencies": [{"id": "FBI", "level": "federal"}]}))
    >>> r = transparency_report([], families=fam, min_cell=5)
    >>> r.decisions.total, r.decisions.rows
    (Count(value=0, mark='shown'), ())
    """
    return publish_tally(tally(entries, families), families=families, min_cell=min_cell,
                         source=source)


def publish_tally(counted: Tally, *, families: Families, min_cell: int,
                  source: Source | None = None) -> TransparencyReport:
    """The tables of a tally, suppressed (``counted`` is not changed)."""
    builder = _Builder(min_cell)
    _add_tables(builder, counted, families)
    tables = builder.publish()
    return TransparencyReport(
        min_cell=min_cell, source=source or Source(entries=counted.entries),
        months=tuple(sorted(counted.months)), hypothetical=counted.hypothetical,
        other=tuple(sorted(counted.other.items())),
        unknown=tuple(sorted(counted.unknown.items())),
        exceptions=listed(counted.exceptions, citations=counted.citations, as_of=counted.latest),
        as_of=None if counted.latest is None else stamp(counted.latest), **tables)


def report_from_export(folder: Path, *, trust: TrustPolicy | None, families: Families,
                       min_cell: int) -> TransparencyReport:
    """The report of a log export, verified first against ``trust`` (``None``: not verified).

    Raises ``BundleError`` when the export does not verify: no number is computed from it.
    """
    entries, source = read_export(folder, trust=trust)
    return transparency_report(entries, families=families, min_cell=min_cell, source=source)


def report_from_log(log: DecisionLog, *, families: Families, min_cell: int,
                    size: int | None = None) -> TransparencyReport:
    """The report of the live log, for the web page: the same numbers as its export's.

    ``size``: count the first ``size`` entries only (the size of the checkpoint the page
    shows beside the tables, so that its export gives the very same numbers); default all.
    """
    size = log.size() if size is None else size
    return transparency_report(log_entries(log, size=size), families=families,
                               min_cell=min_cell, source=Source(entries=size))


# --- building ------------------------------------------------------------------------------------

_TITLES = {
    "decisions": "Requests decided, by month, agency family, action and outcome",
    "reviews": "Requests sent to a person for review, by month and agency family",
    "review_outcomes": "Reviews decided, by month, agency family and how they ended",
    "refusals": "Refusals (deny) by the clause of law that decided them, by agency family",
    "queries": "Data gateway queries by agency family and dataset",
    "rows_released": "Rows released by the data gateway, by agency family and dataset",
    "key_events": "Agency API keys issued, used and revoked, by month and agency family",
}


@dataclass(slots=True)
class _Layout:
    key_names: tuple[str, ...]
    rows: list[Hashable]
    columns: list[str]


class _Builder:
    """Tables as one system of entries and lines, suppressed together, then published."""

    def __init__(self, min_cell: int) -> None:
        self.min_cell = min_cell
        self.counts: dict[GridKey, int] = {}
        self.lines: list[Line[GridKey]] = []
        self.layouts: dict[str, _Layout] = {}

    def table(self, name: str, key_names: tuple[str, ...], rows: Sequence[Hashable],
              columns: Sequence[str], cells: Mapping[tuple[Any, Any], int]) -> None:
        counts, lines = grid(name, rows, columns, cells)
        self.counts.update(counts)
        self.lines.extend(lines)
        self.layouts[name] = _Layout(key_names, list(rows), list(columns))

    def link(self, total: GridKey, members: Sequence[GridKey]) -> None:
        """Say that one entry is the sum of entries of other tables."""
        self.lines.append(Line(total, tuple(members)))

    def publish(self) -> dict[str, Table]:
        hidden = suppress(self.counts, self.lines, min_cell=self.min_cell)
        return {name: self._table(name, layout, hidden) for name, layout in self.layouts.items()}

    def _table(self, name: str, layout: _Layout, hidden: Suppression[GridKey]) -> Table:
        def count(key: GridKey) -> Count:
            if key in hidden.small:
                return Count(None, "small")
            if key in hidden.withheld:
                return Count(None, "withheld")
            return Count(self.counts[key])

        rows = tuple(Row(_key(r), tuple(count((name, "cell", r, c)) for c in layout.columns),
                         count((name, "row", r, None))) for r in layout.rows)
        return Table(name, _TITLES[name], layout.key_names, tuple(layout.columns), rows,
                     tuple(count((name, "column", None, c)) for c in layout.columns),
                     count((name, "all", None, None)))


def _key(row: Hashable) -> tuple[str, ...]:
    return tuple(str(part) for part in row) if isinstance(row, tuple) else (str(row),)


def _add_tables(b: _Builder, t: Tally, families: Families) -> None:
    rank = {f: i for i, f in enumerate(families.order)}
    fam = list(families.order)

    decision_rows = sorted({(m, f, a) for m, f, a, _ in t.decisions},
                           key=lambda r: (r[0], rank[r[1]], r[2]))
    b.table("decisions", ("month", "family", "action"), decision_rows, list(OUTCOMES),
            {((m, f, a), o): n for (m, f, a, o), n in t.decisions.items()})

    months = sorted({m for m, _, _ in decision_rows})
    reviews: dict[tuple[str, str], int] = {}
    of_month_family: dict[tuple[str, str], list[GridKey]] = {}
    for (m, f, _, o), n in t.decisions.items():
        if o == "review":
            reviews[(m, f)] = reviews.get((m, f), 0) + n
    for r in decision_rows:
        of_month_family.setdefault((r[0], r[1]), []).append(("decisions", "cell", r, "review"))
    b.table("reviews", ("month",), months, fam, reviews)
    for (m, f), members in of_month_family.items():
        b.link(("reviews", "cell", m, f), members)
    b.link(("reviews", "all", None, None), [("decisions", "column", None, "review")])

    reviewed_rows = sorted({(m, f) for m, f, _ in t.reviewed}, key=lambda r: (r[0], rank[r[1]]))
    b.table("review_outcomes", ("month", "family"), reviewed_rows, list(DECIDED),
            {((m, f), o): n for (m, f, o), n in t.reviewed.items()})

    clauses = sorted({c for c, _ in t.refusals})
    b.table("refusals", ("clause",), clauses, fam, dict(t.refusals))

    query_rows = sorted({(f, d) for f, d, _ in t.queries}, key=lambda r: (rank[r[0]], r[1]))
    b.table("queries", ("family", "dataset"), query_rows, list(QUERY_STATUSES),
            {((f, d), s): n for (f, d, s), n in t.queries.items()})

    datasets = sorted({d for _, d in t.rows} | {d for _, d, s in t.queries if s == "released"})
    released_by = sorted({f for f, _ in t.rows} | {f for f, _, s in t.queries
                                                  if s == "released"}, key=rank.__getitem__)
    b.table("rows_released", ("family",), released_by, datasets, dict(t.rows))

    key_rows = sorted({(m, f) for m, f, _ in t.keys}, key=lambda r: (r[0], rank[r[1]]))
    b.table("key_events", ("month", "family"), key_rows, list(KEY_KINDS),
            {((m, f), k): n for (m, f, k), n in t.keys.items()})
