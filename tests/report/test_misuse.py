"""The misuse counts table: the transparency report's suppression, so that no count from 1 to
N-1 is published and none can be worked back out of the published totals."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sanctuarygate.report.misuse import monthly_table
from sanctuarygate.report.suppress import bounds, grid
from sanctuarygate.report.transparency import Count, Table

MONTHS = ["2026-09", "2026-10", "2026-11"]
COUNTS = st.dictionaries(st.tuples(st.sampled_from(["NC-LOT-14", "NC-GAR-2", "map point"]),
                                   st.sampled_from(MONTHS)),
                         st.integers(min_value=0, max_value=12), max_size=9)


@settings(max_examples=60, deadline=None)
@given(counts=COUNTS)
def test_no_small_count_is_published_or_given_back(counts: dict[tuple[str, str], int]) -> None:
    counts = {k: v for k, v in counts.items() if v}
    table = monthly_table(counts, min_cell=5)
    cells: list[Count] = [c for row in table.rows for c in (*row.cells, row.total)]
    cells += [*table.column_totals, table.total]
    assert all(c.value is None or c.value == 0 or c.value >= 5 for c in cells)
    # what a reader knows: the published values, small ones in [1, 4], withheld ones >= 1
    rows = [r.key[0] for r in table.rows]
    entries, lines = grid("misuse", rows, list(table.columns), counts)
    published = _published(table)
    small = {k for k, c in published.items() if c.mark == "small"}
    withheld = {k for k, c in published.items() if c.mark == "withheld"}
    known = bounds(entries, lines, small, withheld, min_cell=5)
    for key in small | withheld:
        low, high = known[key]
        assert low != high, f"{key} can be worked out: {low}"


def _published(table: Table) -> dict[tuple[object, ...], Count]:
    out: dict[tuple[object, ...], Count] = {}
    for row in table.rows:
        for month, cell in zip(table.columns, row.cells, strict=True):
            out[("misuse", "cell", row.key[0], month)] = cell
        out[("misuse", "row", row.key[0], None)] = row.total
    for month, cell in zip(table.columns, table.column_totals, strict=True):
        out[("misuse", "column", None, month)] = cell
    out[("misuse", "all", None, None)] = table.total
    return out


def test_months_without_reports_are_zeros_between_the_first_and_the_last() -> None:
    table = monthly_table({("NC-LOT-14", "2026-11"): 7, ("NC-LOT-14", "2027-01"): 8},
                          min_cell=5)
    assert table.columns == ("2026-11", "2026-12", "2027-01")
    assert [c.value for c in table.rows[0].cells] == [7, 0, 8]
