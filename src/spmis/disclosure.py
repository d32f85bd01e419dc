"""Statistical disclosure control of a two-way table with its margins. Standard library only.

A table of counts (rows: provinces, columns: sexes) is published with its row totals, column
totals and grand total. Every published cell, margins included, that counts fewer than
``THRESHOLD`` people is suppressed (primary suppression). Then cells are added (complementary
suppression) until no suppressed cell can be computed from what is published.

Why the test is a graph: write the table with its margins as an (R+1)x(C+1) grid and flip the
sign of the totals; every row and every column of that grid then sums to zero. The suppressed
cells are the edges of a bipartite graph between its rows and its columns. A suppressed cell is
determined by the published values exactly when its edge is a bridge of that graph (no cycle of
suppressed cells passes through it: along a cycle, adding and subtracting the same amount
alternately keeps every sum). So complementary suppression adds, for each bridge, the smallest
cell that closes a cycle through it, until no bridge is left.

What this does not claim: with the bound "counts are not negative", an attacker can narrow a
suppressed cell to an interval (in degenerate tables with zeros, to one value); the published
guarantee is that no suppressed cell follows from the linear relations of the totals.
"""

from __future__ import annotations

from collections.abc import Sequence

THRESHOLD = 10

#: a cell of the grid with margins: (row, column); row R and column C are the totals
Cell = tuple[int, int]


def with_margins(table: Sequence[Sequence[int]]) -> list[list[int]]:
    """The table with a total column and a total row appended."""
    rows = [[*r, sum(r)] for r in table]
    width = len(rows[0]) if rows else 1
    rows.append([sum(r[c] for r in rows) for c in range(width)])
    return rows


def suppress(table: Sequence[Sequence[int]], threshold: int = THRESHOLD) -> set[Cell]:
    """The cells of ``with_margins(table)`` to withhold (primary and complementary)."""
    grid = with_margins(table)
    n_rows, n_cols = len(grid), len(grid[0])
    hidden = {(r, c) for r in range(n_rows) for c in range(n_cols) if grid[r][c] < threshold}
    if not table or not table[0]:  # nothing but a grand total
        return {(r, c) for r in range(n_rows) for c in range(n_cols)} if hidden else set()
    while True:
        bridge = _first_bridge(hidden)
        if bridge is None:
            return hidden
        hidden.add(_complement(grid, hidden, bridge))


def _component(edges: set[Cell], start: tuple[str, int]) -> set[tuple[str, int]]:
    """Nodes (("r", i) or ("c", j)) reachable from ``start`` through ``edges``."""
    by_row: dict[int, list[int]] = {}
    by_col: dict[int, list[int]] = {}
    for r, c in edges:
        by_row.setdefault(r, []).append(c)
        by_col.setdefault(c, []).append(r)
    seen, todo = {start}, [start]
    while todo:
        kind, i = todo.pop()
        nxt = [("c", c) for c in by_row.get(i, ())] if kind == "r" else \
              [("r", r) for r in by_col.get(i, ())]
        for node in nxt:
            if node not in seen:
                seen.add(node)
                todo.append(node)
    return seen


def _first_bridge(hidden: set[Cell]) -> Cell | None:
    """A suppressed cell on no cycle of suppressed cells (smallest first), or None."""
    for cell in sorted(hidden):
        rest = hidden - {cell}
        if ("c", cell[1]) not in _component(rest, ("r", cell[0])):
            return cell
    return None


def _complement(grid: list[list[int]], hidden: set[Cell], bridge: Cell) -> Cell:
    """The smallest published cell whose suppression puts ``bridge`` on a cycle, or else the
    smallest published cell in a row or column of the bridge's part of the graph (the cycle is
    then closed by a later step)."""
    rest = hidden - {bridge}
    side_a = _component(rest, ("r", bridge[0]))
    side_b = _component(rest, ("c", bridge[1]))
    open_cells = [(grid[r][c], (r, c)) for r in range(len(grid)) for c in range(len(grid[0]))
                  if (r, c) not in hidden]

    def closes(cell: Cell) -> bool:
        r, c = ("r", cell[0]), ("c", cell[1])
        return (r in side_a and c in side_b) or (r in side_b and c in side_a)

    closing = [item for item in open_cells if closes(item[1])]
    if closing:
        return min(closing)[1]
    part = side_a | side_b
    near = [item for item in open_cells
            if ("r", item[1][0]) in part or ("c", item[1][1]) in part]
    return min(near)[1]
