"""Small-cell suppression that the published totals cannot undo.

A count from 1 to ``min_cell - 1`` about one month, one agency family and one action may point
to one person, so it is never published: it is shown as *fewer than N* (``<N`` in CSV). Zeros
are published: a zero is no one, and hiding it would only hide that nothing happened.

Hiding a small count is not enough when its row or column total is published beside it: the
total minus the published cells gives it back. So suppression is done on a *system of lines*:
every published count is an *entry*, and each :class:`Line` says that one entry (a row total,
a column total, the grand total, or a cell of a linked table) is the sum of others. A 2-D table
with its margins is one such system (:func:`grid`); tables that are sums of one another are
linked by adding their lines to the same system.

The method (complementary suppression, iterated to a fixed point):

1. *Primary*: every entry from 1 to ``min_cell - 1`` is suppressed and marked *small* (shown
   as *fewer than N*).
2. *Audit*: take what a reader knows: a published entry is its value; a *small* one lies in
   ``[1, N-1]``; a *withheld* one (step 3) is at least 1 (zeros are always shown) and could be
   any size. Through every line, tighten these bounds (a total lies between the sums of its
   members' bounds; a member between the total's bounds minus the others') until nothing
   moves. This finds every suppressed count that subtraction along a row or column gives
   back, also through a chain of lines (a withheld cell given back by its column, then the
   small one beside it by its row), and counts made exact by the marks themselves (four
   *fewer than 5* cells whose total is *fewer than 5* are all 1).
3. *Complementary*: for each suppressed entry whose bounds close on one value, take a line
   that pins it and withhold one more of its entries: the smallest published non-zero entry
   whose hiding frees it (a cell, else the line's total), else a *small* entry re-marked
   *withheld* (its bound ``N-1`` is what pins it), else the smallest published non-zero entry
   and go round again. Back to 2, until no suppressed entry can be worked out exactly.
4. *Sums of lines*: when no line pins anything, solve all the lines at once (exact
   Gauss-Jordan elimination over the hidden entries, :func:`fixed_by_sums`): a hidden entry
   that some sum and difference of rows and columns gives exactly (total - row 1 - column 0)
   gets the smallest published non-zero entry of the nearest lines withheld too; back to 2.

So there are two marks, both true: *fewer than N* (a count from 1 to N-1) and *withheld* (a
count not shown so that another cannot be worked out; it may be of any size, and a reader
cannot tell a large withheld count from a small one). A mark that said "withheld, so at least
N" would itself give small counts back (``1 + withheld = 6`` makes the small one 1).

What the audit does not model is a reader combining several lines *and* the marks' bounds at
once (an integer programme: ``x = (row 0 + row 1) - column 2`` where column 2 is *fewer than
5*). On random 3 x 3 tables with margins about one in two thousand still lets such a solver
pin one small count; ``tests/report/test_suppress.py`` tries every completion of tables up to
2 x 3, where none does.

>>> counts = {"a": 1, "b": 9, "t": 10}
>>> s = suppress(counts, [Line("t", ("a", "b"))], min_cell=5)
>>> sorted(s.small), sorted(s.withheld)
(['a'], ['b'])
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Generic, TypeVar

__all__ = ["GridKey", "Line", "Suppression", "bounds", "fixed_by_sums", "grid", "suppress"]

K = TypeVar("K", bound=Hashable)

#: A reader's bounds on an entry: low and high (``math.inf`` when unbounded above).
Bounds = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Line(Generic[K]):
    """One published identity: ``total`` is the sum of ``members``."""

    total: K
    members: tuple[K, ...]


@dataclass(frozen=True, slots=True)
class Suppression(Generic[K]):
    """Which entries are not published: ``small`` (shown as fewer than N: 1 to N-1) and
    ``withheld`` (complementary: not shown, of any size)."""

    small: frozenset[K]
    withheld: frozenset[K]

    def hidden(self, key: K) -> bool:
        """Whether ``key`` is not published (small or withheld)."""
        return key in self.small or key in self.withheld


def suppress(counts: Mapping[K, int], lines: Sequence[Line[K]], *,
             min_cell: int) -> Suppression[K]:
    """Suppress small entries and enough others that no suppressed entry can be worked out.

    ``counts`` holds every entry (each line's total and members must be in it, and each line
    must hold: its total is the sum of its members). ``min_cell`` is N: entries from 1 to N-1
    are small. Deterministic: ties go to the entry listed first in ``counts``.

    >>> cells = {("r", 0): 2, ("r", 1): 0, ("r", 2): 7, "total": 9}
    >>> s = suppress(cells, [Line("total", (("r", 0), ("r", 1), ("r", 2)))], min_cell=5)
    >>> sorted(s.small), sorted(map(str, s.withheld))   # the 0 stays published
    ([('r', 0)], ["('r', 2)"])
    """
    if min_cell < 3:
        raise ValueError("min_cell must be at least 3 (with 2, 'fewer than 2' would say 1)")
    _check(counts, lines)
    order = {key: i for i, key in enumerate(counts)}
    by_entry = _index(lines)
    small = {k for k, v in counts.items() if 0 < v < min_cell}
    withheld: set[K] = set()
    while True:
        known = bounds(counts, lines, small, withheld, min_cell=min_cell)
        pinned = {k for k in (*small, *withheld) if known[k][0] == known[k][1]}
        by_sums = not pinned
        if by_sums:
            pinned = fixed_by_sums(counts, lines, small | withheld)
        exposed = sorted(pinned, key=order.__getitem__)
        if not exposed:
            return Suppression(frozenset(small), frozenset(withheld))
        touched: set[int] = set()
        sums: dict[int, tuple[float, float, int]] = {}
        progress = False
        for key in exposed:
            numbers = by_entry.get(key, [])
            pinning = [n for n in numbers if _pins(lines[n], key, _prior(key, small, min_cell),
                                                   known, sums, n)] or numbers
            if touched.intersection(pinning):
                progress = True  # a line of it changed this round: audit again first
                continue
            chosen = _nearest(key, lines, by_entry, counts, small | withheld, order) if by_sums \
                else _complement(key, pinning, lines, counts, small, withheld, known, sums,
                                 min_cell, order)
            if chosen is None:
                continue
            small.discard(chosen)
            withheld.add(chosen)
            touched.update(by_entry[chosen])
            progress = True
        if not progress:  # cannot happen for consistent lines; never publish if it does
            raise RuntimeError("small-cell suppression found no entry left to withhold")


def fixed_by_sums(counts: Mapping[K, int], lines: Sequence[Line[K]],
                  hidden: set[K] | frozenset[K]) -> set[K]:
    """Hidden entries that the lines fix by adding and subtracting several of them at once
    (exact Gauss-Jordan elimination over the hidden entries), whatever their marks say.

    >>> lines = [Line("r0", ("a", "b")), Line("r1", ("c",)), Line("all", ("r0", "r1")),
    ...          Line("c0", ("a", "c"))]
    >>> sorted(fixed_by_sums({"a": 1, "b": 9, "c": 2, "r0": 10, "r1": 2, "all": 12, "c0": 3},
    ...                      lines, {"a", "c", "r1"}))   # c0 - a = c = r1 = all - r0 = 2
    ['a', 'c', 'r1']
    """
    pivots: dict[K, tuple[dict[K, Fraction], Fraction]] = {}
    for line in lines:
        row: dict[K, Fraction] = {}
        const = Fraction(0)
        for key, sign in ((line.total, 1), *((m, -1) for m in line.members)):
            if key in hidden:
                row[key] = row.get(key, Fraction(0)) + sign
            else:
                const -= sign * counts[key]
        for key in [k for k in row if k in pivots]:
            factor = row.pop(key)
            p_row, p_const = pivots[key]
            for other, a in p_row.items():
                if other != key:
                    row[other] = row.get(other, Fraction(0)) - factor * a
            const -= factor * p_const
        row = {k: a for k, a in row.items() if a}
        if not row:
            continue
        pivot = next(iter(row))
        scale = row[pivot]
        row = {k: a / scale for k, a in row.items()}
        const /= scale
        for key, (q_row, q_const) in pivots.items():
            if pivot in q_row:
                factor = q_row.pop(pivot)
                for other, a in row.items():
                    if other != pivot:
                        value = q_row.get(other, Fraction(0)) - factor * a
                        if value:
                            q_row[other] = value
                        else:
                            q_row.pop(other, None)
                pivots[key] = (q_row, q_const - factor * const)
        pivots[pivot] = (row, const)
    return {key for key, (row, _) in pivots.items() if len(row) == 1}


def _nearest(key: K, lines: Sequence[Line[K]], by_entry: Mapping[K, list[int]],
             counts: Mapping[K, int], hidden: set[K], order: Mapping[K, int]) -> K | None:
    """The smallest published non-zero entry in the lines nearest to ``key``, going from line
    to line through hidden entries: what to withhold when several lines together fix it."""
    seen_lines: set[int] = set()
    frontier = {key}
    seen = {key}
    while frontier:
        numbers = {n for k in frontier for n in by_entry.get(k, []) if n not in seen_lines}
        seen_lines |= numbers
        entries = {k for n in numbers for k in (lines[n].total, *lines[n].members)}
        shown = [k for k in entries if counts[k] > 0 and k not in hidden]
        if shown:
            return min(shown, key=lambda k: (counts[k], order[k]))
        frontier = {k for k in entries if k in hidden and k not in seen}
        seen |= frontier
    return None


def _complement(key: K, pinning: Sequence[int], lines: Sequence[Line[K]],
                counts: Mapping[K, int], small: set[K], withheld: set[K],
                known: Mapping[K, Bounds], sums: dict[int, tuple[float, float, int]],
                min_cell: int, order: Mapping[K, int]) -> K | None:
    """The entry to withhold so that ``key`` is no longer pinned: in a line that pins it, the
    smallest published non-zero entry that frees it alone, else a small entry (unmarked to
    *withheld*) that does, else the smallest published non-zero entry (more will follow)."""
    in_lines = list(dict.fromkeys(k for n in pinning for k in (lines[n].total,
                                                                 *lines[n].members)))
    shown = sorted((k for k in in_lines if counts[k] > 0 and k not in small
                    and k not in withheld), key=lambda k: (counts[k], order[k]))
    marked = sorted((k for k in in_lines if k in small), key=order.__getitem__)
    for candidate in (*shown, *marked):
        prior = (1, math.inf) if candidate == key else _prior(key, small, min_cell)
        if not any(_pins(lines[n], key, prior, known, sums, n, hiding=candidate)
                   for n in pinning):
            return candidate
    return shown[0] if shown else (marked[0] if marked else None)


def _prior(key: K, small: set[K] | frozenset[K], min_cell: int) -> Bounds:
    """What a reader knows of a suppressed entry from its mark alone."""
    return (1, min_cell - 1) if key in small else (1, math.inf)


def _index(lines: Sequence[Line[K]]) -> dict[K, list[int]]:
    by_entry: dict[K, list[int]] = {}
    for number, line in enumerate(lines):
        for key in dict.fromkeys((line.total, *line.members)):
            by_entry.setdefault(key, []).append(number)
    return by_entry


def bounds(counts: Mapping[K, int], lines: Sequence[Line[K]], small: frozenset[K] | set[K],
           withheld: frozenset[K] | set[K], *, min_cell: int) -> dict[K, Bounds]:
    """What a reader can work out about every entry from what is published, line by line.

    >>> b = bounds({"a": 2, "b": 6, "t": 8}, [Line("t", ("a", "b"))], {"a"}, set(), min_cell=5)
    >>> b["a"]   # 8 - 6: the small count is given back
    (2, 2)
    """
    known: dict[K, Bounds] = {}
    for key, value in counts.items():
        hidden = key in small or key in withheld
        known[key] = _prior(key, small, min_cell) if hidden else (value, value)
    by_entry = _index(lines)
    dirty = set(range(len(lines)))
    while dirty:  # in rounds: a long line is tightened once a round, not once per change
        changed: set[K] = set()
        for number in sorted(dirty):
            changed.update(_tighten(lines[number], known))
        dirty = {other for key in changed for other in by_entry[key]}
    return known


def _tighten(line: Line[K], known: dict[K, Bounds]) -> list[K]:
    """Tighten the bounds of a line's entries from each other; returns the entries changed."""
    changed: list[K] = []
    low_sum = sum(known[m][0] for m in line.members)
    high_finite = sum(known[m][1] for m in line.members if known[m][1] != math.inf)
    unbounded = sum(1 for m in line.members if known[m][1] == math.inf)
    t_low, t_high = known[line.total]
    new = (max(t_low, low_sum), min(t_high, math.inf if unbounded else high_finite))
    if new != known[line.total]:
        known[line.total] = new
        changed.append(line.total)
    t_low, t_high = new
    for member in line.members:
        m_low, m_high = known[member]
        others_unbounded = unbounded - (m_high == math.inf)
        others_high = math.inf if others_unbounded else high_finite - (
            0 if m_high == math.inf else m_high)
        lower = max(m_low, t_low - others_high)
        upper = min(m_high, t_high - (low_sum - m_low))
        if (lower, upper) != (m_low, m_high):
            known[member] = (lower, upper)
            changed.append(member)
    return changed


def _pins(line: Line[K], key: K, prior: Bounds, known: Mapping[K, Bounds],
          sums: dict[int, tuple[float, float, int]], number: int,
          hiding: K | None = None) -> bool:
    """Whether this line alone, with what is known of its other entries, gives ``key``
    exactly (``prior``: what the reader knows of ``key`` from its mark; ``hiding``: an entry
    to try withholding too). ``sums`` caches each line's member sums for ``known``."""
    if number not in sums:
        sums[number] = (sum(known[m][0] for m in line.members),
                        sum(known[m][1] for m in line.members if known[m][1] != math.inf),
                        sum(1 for m in line.members if known[m][1] == math.inf))
    low, high, unbounded = sums[number]

    def drop(entry: K, as_bounds: Bounds | None) -> None:
        nonlocal low, high, unbounded
        e_low, e_high = known[entry]
        low -= e_low
        high -= 0 if e_high == math.inf else e_high
        unbounded -= e_high == math.inf
        if as_bounds is not None:
            low += as_bounds[0]
            high += 0 if as_bounds[1] == math.inf else as_bounds[1]
            unbounded += as_bounds[1] == math.inf

    if hiding is not None and hiding != key and hiding in line.members:
        drop(hiding, (1, math.inf))
    if key == line.total:
        derived = (low, math.inf if unbounded else high)
    else:
        drop(key, None)
        t_low, t_high = (1, math.inf) if hiding == line.total else known[line.total]
        derived = (t_low - (math.inf if unbounded else high), t_high - low)
    return max(derived[0], prior[0]) == min(derived[1], prior[1])


def _check(counts: Mapping[K, int], lines: Sequence[Line[K]]) -> None:
    for key, value in counts.items():
        if value < 0:
            raise ValueError(f"a count cannot be negative: {key!r} is {value}")
    for line in lines:
        if len(set(line.members)) != len(line.members) or line.total in line.members:
            raise ValueError(f"line of {line.total!r}: an entry is listed twice")
        missing = [k for k in (line.total, *line.members) if k not in counts]
        if missing:
            raise ValueError(f"line of {line.total!r}: no count for {missing[0]!r}")
        if counts[line.total] != sum(counts[m] for m in line.members):
            raise ValueError(f"line of {line.total!r}: the total is not the sum of its members")


#: An entry of a table made by :func:`grid`: (table, part, row, column).
GridKey = tuple[str, str, Hashable, Hashable]


def grid(name: str, rows: Sequence[Hashable], columns: Sequence[Hashable],
         cells: Mapping[tuple[Any, Any], int],
         ) -> tuple[dict[GridKey, int], list[Line[GridKey]]]:
    """A 2-D table with its margins, as entries and lines.

    Entry keys: ``(name, "cell", row, column)``, ``(name, "row", row, None)`` (the row's
    total), ``(name, "column", None, column)`` and ``(name, "all", None, None)``. A cell missing
    from ``cells`` is 0.

    >>> counts, lines = grid("t", ["x"], ["a", "b"], {("x", "a"): 3})
    >>> counts[("t", "row", "x", None)], counts[("t", "all", None, None)], len(lines)
    (3, 3, 5)
    """
    counts: dict[GridKey, int] = {}
    for r in rows:
        for c in columns:
            counts[(name, "cell", r, c)] = cells.get((r, c), 0)
    lines: list[Line[GridKey]] = []
    for r in rows:
        members = tuple((name, "cell", r, c) for c in columns)
        counts[(name, "row", r, None)] = sum(counts[m] for m in members)
        lines.append(Line((name, "row", r, None), members))
    for c in columns:
        members = tuple((name, "cell", r, c) for r in rows)
        counts[(name, "column", None, c)] = sum(counts[m] for m in members)
        lines.append(Line((name, "column", None, c), members))
    whole: GridKey = (name, "all", None, None)
    counts[whole] = sum(counts[(name, "row", r, None)] for r in rows)
    lines.append(Line(whole, tuple((name, "row", r, None) for r in rows)))
    lines.append(Line(whole, tuple((name, "column", None, c) for c in columns)))
    return counts, lines
