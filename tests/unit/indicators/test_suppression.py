"""Open data suppression (issue 16): every published cell counts at least 10 people, and no
suppressed cell can be derived from the published cells and totals. The check is independent of
the implementation: exact linear algebra (fractions) on the equations the totals give."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from spmis.disclosure import THRESHOLD, suppress, with_margins


def _rank(rows: list[list[Fraction]]) -> int:
    m = [r[:] for r in rows]
    rank, cols = 0, len(m[0]) if m else 0
    for c in range(cols):
        pivot = next((i for i in range(rank, len(m)) if m[i][c] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for i in range(len(m)):
            if i != rank and m[i][c] != 0:
                f = m[i][c] / m[rank][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[rank], strict=True)]
        rank += 1
    return rank


def derivable(table: list[list[int]], hidden: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """The hidden cells that the published cells and the sums of the table determine."""
    grid = with_margins(table)
    n_rows, n_cols = len(grid), len(grid[0])
    unknown = sorted(hidden)
    index = {cell: k for k, cell in enumerate(unknown)}
    # each interior row sums to its total; each column (the total row too) sums to its total
    lines = [[(r, c) for c in range(n_cols)] for r in range(n_rows)]
    lines += [[(r, c) for r in range(n_rows)] for c in range(n_cols)]
    equations = []
    for line in lines:
        row = [Fraction(0)] * len(unknown)
        for cell in line:
            if cell in index:
                last = cell == line[-1]
                row[index[cell]] += -1 if last else 1
        if any(row):
            equations.append(row)
    if not equations:
        return unknown
    base = _rank(equations)
    found = []
    for cell, k in index.items():
        unit = [Fraction(0)] * len(unknown)
        unit[k] = Fraction(1)
        if _rank([*equations, unit]) == base:
            found.append(cell)
    return found


tables = st.integers(1, 6).flatmap(lambda cols: st.lists(
    st.lists(st.integers(0, 60), min_size=cols, max_size=cols), min_size=1, max_size=7))


@settings(max_examples=300, deadline=None)
@given(tables)
def test_no_suppressed_cell_can_be_derived_from_the_totals(table: list[list[int]]) -> None:
    hidden = suppress(table)
    grid = with_margins(table)
    small = {(r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if v < THRESHOLD}
    assert small <= hidden  # every cell under 10 (totals too) is withheld
    assert derivable(table, hidden) == []


def test_a_single_small_cell_takes_three_others_with_it() -> None:
    table = [[50, 3], [40, 60]]
    hidden = suppress(table)
    assert (0, 1) in hidden and len(hidden) >= 4
    assert derivable(table, hidden) == []
    assert derivable(table, {(0, 1)}) == [(0, 1)]  # alone, the row total gives it away


def test_a_table_with_nothing_small_publishes_everything() -> None:
    assert suppress([[12, 30], [45, 10]]) == set()
