"""Small-cell suppression: no hidden count comes back by subtracting along a row or column.

The attacks here are written again, independently of ``report/suppress.py``'s own audit: plain
subtraction (the spec of the rule), bounds from the marks line by line, and, on tables small
enough, every table a reader could complete from what is published.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sanctuarygate.report.suppress import GridKey, Line, Suppression, grid, suppress

N = 5


def published(counts: Mapping[GridKey, int], s: Suppression[GridKey]) -> dict[GridKey, int | None]:
    return {k: None if s.hidden(k) else v for k, v in counts.items()}


def subtraction_leaks(lines: Sequence[Line[GridKey]], shown: Mapping[GridKey, int | None]
                      ) -> list[GridKey]:
    """Hidden entries given back by one line: the only hidden entry of a line."""
    leaks = []
    for line in lines:
        hidden = [k for k in (line.total, *line.members) if shown[k] is None]
        if len(hidden) == 1:
            leaks.append(hidden[0])
    return leaks


def bound_leaks(lines: Sequence[Line[GridKey]], shown: Mapping[GridKey, int | None],
                s: Suppression[GridKey]) -> list[GridKey]:
    """Hidden entries pinned to one value by a line and what the marks say of the others:
    '<N' is 1..N-1, 'withheld' is at least 1."""
    leaks = []
    for line in lines:
        entries = (line.total, *line.members)
        for target in entries:
            if shown[target] is not None:
                continue
            low: float = 0
            high: float = 0
            sign_total = target == line.total
            for other in entries:
                if other == target:
                    continue
                if shown[other] is not None:
                    lo = hi = float(shown[other] or 0)
                elif other in s.small:
                    lo, hi = 1, N - 1
                else:
                    lo, hi = 1, math.inf
                if sign_total or other == line.total:  # add members (or the total) ...
                    low, high = low + lo, high + hi
                else:  # ... and take the other members away
                    low, high = low - hi, high - lo
            own = (1, N - 1) if target in s.small else (1, math.inf)
            if max(low, own[0]) == min(high, own[1]):
                leaks.append(target)
    return leaks


def rank(rows: list[list[Fraction]]) -> int:
    """The rank of a matrix (exact)."""
    m = [r[:] for r in rows]
    found = 0
    for col in range(len(m[0]) if m else 0):
        pivot = next((i for i in range(found, len(m)) if m[i][col] != 0), None)
        if pivot is None:
            continue
        m[found], m[pivot] = m[pivot], m[found]
        for i in range(len(m)):
            if i != found and m[i][col] != 0:
                f = m[i][col] / m[found][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[found], strict=True)]
        found += 1
    return found


def sum_leaks(lines: Sequence[Line[GridKey]], shown: Mapping[GridKey, int | None]
              ) -> list[GridKey]:
    """Hidden entries that some sum and difference of lines gives exactly: their unit vector
    is in the row space of the lines' equations over the hidden entries."""
    hidden = sorted({k for k, v in shown.items() if v is None}, key=str)
    where = {k: i for i, k in enumerate(hidden)}
    matrix = []
    for line in lines:
        row = [Fraction(0)] * len(hidden)
        for key, sign in ((line.total, 1), *((m, -1) for m in line.members)):
            if key in where:
                row[where[key]] += sign
        if any(row):
            matrix.append(row)
    if not matrix:
        return []
    base = rank(matrix)
    return [k for k in hidden
            if rank([*matrix, [Fraction(int(i == where[k])) for i in range(len(hidden))]]) == base]


def completions(rows: Sequence[Hashable], columns: Sequence[Hashable],
                counts: Mapping[GridKey, int], s: Suppression[GridKey], cap: int) -> set[tuple[int, ...]]:
    """Every table of interior cells that agrees with everything published (small: 1..N-1,
    withheld: a cell 1..cap, a total any size from 1; totals as shown or as marked)."""
    cells = [("t", "cell", r, c) for r in rows for c in columns]

    def allowed(key: GridKey, value: int) -> bool:
        if not s.hidden(key):
            return value == counts[key]
        return 1 <= value <= (N - 1 if key in s.small else math.inf)

    choices = [range(1, N) if k in s.small else range(1, cap + 1) if s.hidden(k)
               else (counts[k],) for k in cells]
    found = set()
    for values in itertools.product(*choices):
        cell = dict(zip(cells, values, strict=True))
        row_sums = {r: sum(cell[("t", "cell", r, c)] for c in columns) for r in rows}
        col_sums = {c: sum(cell[("t", "cell", r, c)] for r in rows) for c in columns}
        if all(allowed(("t", "row", r, None), row_sums[r]) for r in rows) and all(
                allowed(("t", "column", None, c), col_sums[c]) for c in columns) and allowed(
                ("t", "all", None, None), sum(row_sums.values())):
            found.add(values)
    return found


tables = st.integers(1, 5).flatmap(lambda r: st.integers(1, 5).flatmap(lambda c: st.tuples(
    st.just(r), st.just(c), st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 40]),
                                     min_size=r * c, max_size=r * c))))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_no_suppressed_cell_comes_back_from_the_totals(table: tuple[int, int, list[int]]) -> None:
    r, c, values = table
    rows, columns = list(range(r)), list(range(c))
    counts, lines = grid("t", rows, columns,
                         {(i, j): values[i * c + j] for i in rows for j in columns})
    s = suppress(counts, lines, min_cell=N)
    shown = published(counts, s)
    assert {k for k, v in counts.items() if 0 < v < N} <= set(s.small) | set(s.withheld)
    assert all(counts[k] > 0 for k in (*s.small, *s.withheld)), "a zero was hidden"
    assert all(0 < counts[k] < N for k in s.small), "a count of N or more was called small"
    assert not s.small & s.withheld
    assert subtraction_leaks(lines, shown) == []
    assert bound_leaks(lines, shown, s) == []
    assert sum_leaks(lines, shown) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.sampled_from([(2, 2), (2, 3), (3, 2)]).flatmap(lambda rc: st.tuples(
    st.just(rc), st.lists(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8]), min_size=rc[0] * rc[1],
                          max_size=rc[0] * rc[1]))))
def test_no_completion_of_a_small_table_pins_a_small_count(
        table: tuple[tuple[int, int], list[int]]) -> None:
    """Brute force: over every table a reader could fill in, each small count takes 2 values."""
    (r, c), values = table
    rows, columns = list(range(r)), list(range(c))
    counts, lines = grid("t", rows, columns,
                         {(i, j): values[i * c + j] for i in rows for j in columns})
    s = suppress(counts, lines, min_cell=N)
    hidden_cells = sum(1 for k in s.small | s.withheld if k[1] == "cell")
    assume(hidden_cells <= 4)
    found = completions(rows, columns, counts, s, cap=12)
    cells = [("t", "cell", i, j) for i in rows for j in columns]
    assert tuple(counts[k] for k in cells) in found
    for position, key in enumerate(cells):
        if key in s.small:
            assert len({f[position] for f in found}) > 1, (key, found)


def test_one_small_cell_beside_a_published_total_takes_another_with_it() -> None:
    counts, lines = grid("t", ["r", "s"], ["a", "b", "c"], {
        ("r", "a"): 2, ("r", "b"): 9, ("r", "c"): 30,
        ("s", "a"): 10, ("s", "b"): 11, ("s", "c"): 12})
    s = suppress(counts, lines, min_cell=N)
    assert s.small == {("t", "cell", "r", "a")}
    # row r: 9 is the next smallest non-zero cell (else 41 - 9 - 30 = 2); then column b needs
    # a second hidden cell (11), and column a (10): a block of four no line gives back
    assert s.withheld == {("t", "cell", "r", "b"), ("t", "cell", "s", "b"),
                          ("t", "cell", "s", "a")}


def test_a_count_fixed_by_a_sum_of_rows_and_columns_is_not_left_fixed() -> None:
    """Total - row 1 - column 0 gives the 1 of cell (0, 2) (rows 0 and 2 and column 0 hidden
    otherwise), though no single line does."""
    values = [[3, 0, 1], [0, 5, 6], [6, 0, 0]]
    counts, lines = grid("t", range(3), range(3),
                         {(i, j): values[i][j] for i in range(3) for j in range(3)})
    s = suppress(counts, lines, min_cell=N)
    assert s.hidden(("t", "cell", 0, 2))
    assert sum_leaks(lines, published(counts, s)) == []
    assert bound_leaks(lines, published(counts, s), s) == []


def test_zeros_are_published() -> None:
    counts, lines = grid("t", ["r", "s"], ["a", "b"], {("r", "a"): 0, ("r", "b"): 12,
                                                       ("s", "a"): 0, ("s", "b"): 7})
    s = suppress(counts, lines, min_cell=N)
    assert s.small == s.withheld == frozenset()


def test_two_small_cells_that_add_up_to_two_are_not_left_pinned() -> None:
    """1 + 1 beside a published 10 in a row of 12: both would be 1."""
    counts, lines = grid("t", ["r"], ["a", "b", "c"], {("r", "a"): 1, ("r", "b"): 1,
                                                       ("r", "c"): 10})
    s = suppress(counts, lines, min_cell=N)
    shown = published(counts, s)
    assert bound_leaks(lines, shown, s) == []
    assert s.hidden(("t", "cell", "r", "c")) or s.hidden(("t", "row", "r", None))


def test_small_cells_whose_small_total_pins_them_are_re_marked() -> None:
    """Four '<5' cells of a '<5' row are all 1: one of them becomes 'withheld'."""
    counts, lines = grid("t", ["r"], list("abcd"), {("r", x): 1 for x in "abcd"})
    s = suppress(counts, lines, min_cell=N)
    assert s.withheld and bound_leaks(lines, published(counts, s), s) == []


def test_a_withheld_mark_says_nothing_of_the_size() -> None:
    """'withheld' must not read as 'at least N': 1 + withheld = 6 would make the small one 1."""
    counts, lines = grid("t", ["r"], ["a", "b"], {("r", "a"): 1, ("r", "b"): 5})
    s = suppress(counts, lines, min_cell=N)
    assert ("t", "cell", "r", "a") in s.small
    assert s.hidden(("t", "cell", "r", "b"))
    assert bound_leaks(lines, published(counts, s), s) == []


def test_linked_tables_are_suppressed_together() -> None:
    """A table that sums another (reviews by month sums reviews by month and action) is a line
    of the same system: its published sum cannot give back the other's hidden cell."""
    counts, lines = grid("t", ["x", "y"], ["a"], {("x", "a"): 2, ("y", "a"): 20})
    counts[("u", "cell", "x+y", "a")] = 22
    lines.append(Line(("u", "cell", "x+y", "a"), (("t", "cell", "x", "a"),
                                                  ("t", "cell", "y", "a"))))
    s = suppress(counts, lines, min_cell=N)
    assert subtraction_leaks(lines, published(counts, s)) == []


@pytest.mark.parametrize("bad", [2, 1, 0])
def test_a_threshold_under_3_is_refused(bad: int) -> None:
    counts, lines = grid("t", ["r"], ["a"], {("r", "a"): 1})
    with pytest.raises(ValueError, match="at least 3"):
        suppress(counts, lines, min_cell=bad)


def test_inconsistent_lines_are_refused() -> None:
    with pytest.raises(ValueError, match="not the sum"):
        suppress({"t": 3, "a": 1}, [Line("t", ("a",))], min_cell=N)
