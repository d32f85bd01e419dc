"""Cells as published: each table (an indicator, programme and month) by province and sex with
its totals, small cells and those that would give them away suppressed
(``spmis.disclosure``); an amount takes the pattern of the people it was paid to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from spmis.disclosure import suppress, with_margins
from spmis.indicators.model import (
    ALL,
    AMOUNT_OF,
    MEDIAN_OF,
    NOT_RECORDED,
    SEXES,
    Cell,
    Indicator,
    Published,
)

__all__ = ["publish"]

Key = tuple[str, str, str]  # (indicator, programme, period)


def _grid(cells: list[Cell]) -> tuple[list[str], list[str], list[list[int]]]:
    provinces = sorted({c.province_code for c in cells})
    present = {c.sex for c in cells}
    # men and women are columns of every table that has either (a column of zeros is a
    # figure too); a table of the sex not recorded (grievances) has that column only
    sexes = (list(SEXES) if present & set(SEXES) else []) + sorted(present - set(SEXES))
    table = [[0] * len(sexes) for _ in provinces]
    for c in cells:
        table[provinces.index(c.province_code)][sexes.index(c.sex)] += c.value
    return provinces, sexes, table


def _out(key: Key, currency: str, provinces: list[str], sexes: list[str],
         table: list[list[int]], hidden: set[tuple[int, int]] | None) -> list[Published]:
    grid = with_margins(table)
    rows, cols = [*provinces, ALL], [*sexes, ALL]
    return [Published(key[0], key[1], key[2], rows[r], cols[c], currency,
                      None if hidden is not None and (r, c) in hidden else grid[r][c])
            for r in range(len(rows)) for c in range(len(cols))]


def publish(cells: Iterable[Cell], suppressed: bool = True) -> list[Published]:
    """Every table with its totals; ``suppressed``: withhold as open data must (staff reports
    inside SPMIS show every value)."""
    tables: dict[tuple[Key, str], list[Cell]] = defaultdict(list)
    for c in cells:
        tables[((c.indicator, c.programme, c.period), c.currency)].append(c)
    patterns: dict[Key, tuple[list[str], list[str], set[tuple[int, int]]]] = {}
    out: list[Published] = []
    for (key, currency), members in sorted(tables.items()):
        if Indicator(key[0]) in MEDIAN_OF:
            continue
        if key[0] in AMOUNT_OF.values() or Indicator(key[0]) not in AMOUNT_OF:
            provinces, sexes, table = _grid(members)
            hidden = suppress(table) if suppressed else None
            if hidden is not None:
                patterns[key] = (provinces, sexes, hidden)
            out += _out(key, currency, provinces, sexes, table, hidden)
    for (key, currency), members in sorted(tables.items()):
        base = AMOUNT_OF.get(Indicator(key[0]))
        if base is None:
            continue
        provinces, sexes, table = _grid(members)
        hidden = None
        if suppressed:
            # the people's table has the same provinces and sexes (amounts exist where people
            # were paid); withhold the same cells, or everything if it is missing
            ref = patterns.get((base.value, key[1], key[2]))
            if ref is None or (ref[0], ref[1]) != (provinces, sexes):
                hidden = {(r, c) for r in range(len(provinces) + 1)
                          for c in range(len(sexes) + 1)}
            else:
                hidden = ref[2]
        out += _out(key, currency, provinces, sexes, table, hidden)
    for (key, currency), members in sorted(tables.items()):
        base = MEDIAN_OF.get(Indicator(key[0]))
        if base is not None:
            out += _medians(key, currency, members,
                            patterns.get((base.value, key[1], key[2])) if suppressed else None,
                            suppressed)
    return out


def _medians(key: Key, currency: str, members: list[Cell],
             ref: tuple[list[str], list[str], set[tuple[int, int]]] | None,
             suppressed: bool) -> list[Published]:
    """A median's cells as computed (a province's, and the total as province ""), published with
    the total as ``all``, each withheld where the total of its province in the counted table is
    (all of them when that table is missing)."""
    out = []
    for cell in sorted(members, key=lambda c: (c.province_code == "", c.province_code)):
        c = replace(cell, province_code=cell.province_code or ALL)
        hidden = False
        if suppressed:
            if ref is None:
                hidden = True
            else:
                provinces, sexes, pattern = ref
                row = len(provinces) if c.province_code == ALL else (
                    provinces.index(c.province_code) if c.province_code in provinces else -1)
                hidden = row < 0 or (row, len(sexes)) in pattern
        value = None if hidden else c.value
        out += [Published(key[0], key[1], key[2], c.province_code, sex, currency, value)
                for sex in (NOT_RECORDED, ALL)]
    return out
