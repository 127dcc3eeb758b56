"""Misuse reports by property and month, published with the transparency report's suppression.

The orders ask departments to report attempted use of city property; the public sees how many
residents' reports each property drew each month. Each count from 1 to ``min_cell - 1`` is
shown as *fewer than N*, and totals that would give it back are withheld too
(:mod:`sanctuarygate.report.suppress`, the same method as the transparency tables): one report
about one lot in one month may point to the one neighbour who saw it. Reports live in the
database, not in the public log, so this table is read from the store
(:func:`sanctuarygate.store.misuse.monthly_counts`) and served at ``/reports/counts.csv``.

>>> table = monthly_table({("NC-LOT-14", "2026-11"): 6, ("NC-LOT-14", "2026-12"): 2,
...                        ("map point", "2026-11"): 9}, min_cell=5)
>>> print(table_csv(table, 5), end="")
property,2026-11,2026-12,total
NC-LOT-14,withheld,<5,8
map point,9,0,9
total,withheld,<5,17
"""

from __future__ import annotations

from collections.abc import Mapping

from sanctuarygate.report.render import table_csv
from sanctuarygate.report.suppress import grid, suppress
from sanctuarygate.report.transparency import Count, Row, Table

__all__ = ["monthly_table", "table_csv"]

TITLE = "Misuse reports by property and month"


def monthly_table(counts: Mapping[tuple[str, str], int], *, min_cell: int) -> Table:
    """The counts (by ``(property, "YYYY-MM")``) as a published table: a row per property,
    a column per month from the first to the last with a report (months between included,
    as zeros), with margins, suppressed."""
    months = _months(sorted({m for _, m in counts}))
    rows = sorted({p for p, _ in counts})
    entries, lines = grid("misuse", rows, months, counts)
    hidden = suppress(entries, lines, min_cell=min_cell)

    def count(key: tuple[object, ...]) -> Count:
        if key in hidden.small:
            return Count(None, "small")
        if key in hidden.withheld:
            return Count(None, "withheld")
        return Count(entries[key])  # type: ignore[index]

    return Table(
        "misuse", TITLE, ("property",), tuple(months),
        tuple(Row((r,), tuple(count(("misuse", "cell", r, m)) for m in months),
                  count(("misuse", "row", r, None))) for r in rows),
        tuple(count(("misuse", "column", None, m)) for m in months),
        count(("misuse", "all", None, None)))


def _months(seen: list[str]) -> list[str]:
    """Every month from the first to the last of ``seen`` (``YYYY-MM``)."""
    if not seen:
        return []
    year, month = map(int, seen[0].split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= seen[-1]:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
