"""The transparency report as CSV files (one per table, and ``exceptions.csv``: every exception
granted, one row each) and as plain text for a terminal.

A shown count is written as its number; a small one as ``<N`` (fewer than N); a withheld one as
``withheld`` (not shown so that a small one cannot be worked out from the totals).

>>> from sanctuarygate.report.transparency import Count
>>> [cell_text(c, 5) for c in (Count(0), Count(12), Count(None, "small"),
...                            Count(None, "withheld"))]
['0', '12', '<5', 'withheld']
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sanctuarygate.report.exceptions import ListedException
from sanctuarygate.report.transparency import Count, Table, TransparencyReport

__all__ = ["EXCEPTIONS", "EXCEPTION_COLUMNS", "WITHHELD", "cell_text", "exception_cells",
           "exceptions_csv", "render_text", "table_csv", "write_csv"]

WITHHELD = "withheld"
#: The name of the exceptions' CSV file (``exceptions.csv``), beside the tables'.
EXCEPTIONS = "exceptions"
#: The exceptions' columns, as the CSV file and the text name them.
EXCEPTION_COLUMNS = ("log_index", "date", "case", "rules_answer", "granted", "clause", "hours",
                     "approver", "second_approval_required", "second_approval_entry",
                     "expires", "expired", "state")
#: What stands for a field the list leaves in the log entry (``report/exceptions.py``).
IN_ENTRY = "(in the log entry)"


def cell_text(count: Count, min_cell: int) -> str:
    """A count as published: its number, ``<N`` or ``withheld``."""
    if count.mark == "small":
        return f"<{min_cell}"
    if count.mark == "withheld":
        return WITHHELD
    return str(count.value)


def _grid(table: Table, min_cell: int) -> list[list[str]]:
    rows = [[*table.key_names, *table.columns, "total"]]
    for row in table.rows:
        rows.append([*row.key, *(cell_text(c, min_cell) for c in row.cells),
                     cell_text(row.total, min_cell)])
    blanks = [""] * (len(table.key_names) - 1)
    rows.append(["total", *blanks, *(cell_text(c, min_cell) for c in table.column_totals),
                 cell_text(table.total, min_cell)])
    return rows


def table_csv(table: Table, min_cell: int) -> str:
    """One table as CSV text: a header, a line per row, and a last line of totals.

    >>> from sanctuarygate.report.transparency import Row
    >>> t = Table("t", "T", ("month",), ("a",), (Row(("2025-01",), (Count(None, "small"),),
    ...           Count(None, "small")),), (Count(None, "small"),), Count(None, "small"))
    >>> print(table_csv(t, 5), end="")
    month,a,total
    2025-01,<5,<5
    total,<5,<5
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(_grid(table, min_cell))
    return out.getvalue()


def exception_cells(row: ListedException) -> list[str]:
    """One exception's cells, in :data:`EXCEPTION_COLUMNS` order."""
    return [str(row.index), row.date, str(row.case), row.rules_outcome, row.outcome,
            row.clause or IN_ENTRY, row.hours, row.approver or IN_ENTRY,
            "yes" if row.second_required else "no",
            "" if row.second_approval is None else str(row.second_approval), row.expires,
            "yes" if row.expired else "no", row.state]


def exceptions_csv(report: TransparencyReport) -> str:
    """The exceptions granted as CSV text: a header and a line per exception (no totals: they
    are listed, not counted)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXCEPTION_COLUMNS)
    writer.writerows(exception_cells(row) for row in report.exceptions)
    return out.getvalue()


def write_csv(report: TransparencyReport, folder: Path) -> list[Path]:
    """Write ``<table>.csv`` for every table, and ``exceptions.csv``, into ``folder``
    (created); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    files = [(table.name, table_csv(table, report.min_cell)) for table in report.tables]
    for name, text in [*files, (EXCEPTIONS, exceptions_csv(report))]:
        path = folder / f"{name}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(path)
    return paths


def render_text(report: TransparencyReport) -> str:
    """The whole report as plain text: where the numbers come from, then every table."""
    n = report.min_cell
    source = report.source
    lines = [f"Transparency report from {source.entries} log entries"
             + (f" of {source.origin}, verified (root {source.root_hash})" if source.verified
                else " (NOT verified)")]
    if report.months:
        lines.append(f"Months: {report.months[0]} to {report.months[-1]}")
    lines.append(f"<{n}: fewer than {n} (from 1 to {n - 1}); {WITHHELD}: not shown, so that a "
                 f"count under {n} cannot be worked out from the totals; 0 is zero.")
    if report.hypothetical:
        lines.append(f"Skipped {report.hypothetical} what-if entries (never counted).")
    if report.other:
        lines.append("Not part of these tables: " + ", ".join(
            f"{number} {kind}" for kind, number in report.other) + " entries.")
    for kind, number in report.unknown:
        lines.append(f"Skipped {number} entries of a kind this version cannot read: {kind}.")
    for table in report.tables:
        lines += ["", table.title, ""]
        lines += _aligned(_grid(table, n), len(table.key_names)) if table.rows else ["(none)"]
    lines += ["", "Exceptions granted (break-glass), each listed"
              + (f"; expired or not as of {report.as_of}" if report.as_of else ""), ""]
    rows = [list(EXCEPTION_COLUMNS), *(exception_cells(r) for r in report.exceptions)]
    lines += _aligned(rows, len(EXCEPTION_COLUMNS)) if report.exceptions else ["(none)"]
    return "\n".join(lines) + "\n"


def _aligned(grid: list[list[str]], keys: int) -> list[str]:
    """Columns padded to one width: the row keys to the left, the counts to the right."""
    widths = [max(len(row[i]) for row in grid) for i in range(len(grid[0]))]
    return ["  ".join(cell.ljust(w) if i < keys else cell.rjust(w)
                      for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in grid]
