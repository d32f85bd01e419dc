"""What the dashboard and the staff report show, built from published values: tables by
province and sex, a ranked chart of provinces, and the payments of the latest month."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from spmis.gazetteer import Gazetteer
from spmis.indicators.model import ALL, SEXES, Indicator, Published

__all__ = ["Bar", "Row", "Table", "chart", "grievances_table", "latest_period", "payments_table",
           "tables"]


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    values: tuple[int | None, ...]  # F, M, all


@dataclass
class Table:
    indicator: str
    programme: str = ""
    period: str = ""
    currency: str = ""
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None


@dataclass(frozen=True)
class Bar:
    name: str
    value: int | None
    width: float  # 0..1 of the largest


def _name(gaz: Gazetteer, code: str, locale: str) -> str:
    unit = gaz.get(code)
    if unit is None:
        return code
    return unit.name_km if locale == "km" else unit.name_en


def tables(values: list[Published], gaz: Gazetteer, locale: str) -> dict[tuple[str, ...], Table]:
    """One table per (indicator, programme, period, currency): rows of provinces with F, M and
    all, and the total row."""
    cells: dict[tuple[str, ...], dict[tuple[str, str], int | None]] = defaultdict(dict)
    for v in values:
        cells[(v.indicator, v.programme, v.period, v.currency)][(v.province_code, v.sex)] = \
            v.value
    out = {}
    for key, grid in cells.items():
        t = Table(key[0], key[1], key[2], key[3])
        codes = sorted({p for p, _ in grid if p != ALL})
        for code in [*codes, ALL]:
            row = Row(code, _name(gaz, code, locale) if code != ALL else "",
                      tuple(grid.get((code, s)) for s in (*SEXES, ALL)))
            if code == ALL:
                t.total = row
            else:
                t.rows.append(row)
        out[key] = t
    return out


def chart(table: Table | None) -> list[Bar]:
    """Provinces ranked by their total (withheld ones last, without a bar)."""
    if table is None:
        return []
    ranked = sorted(table.rows, key=lambda r: (r.values[-1] is None, -(r.values[-1] or 0)))
    top = max((r.values[-1] or 0 for r in ranked), default=0) or 1
    return [Bar(r.name, r.values[-1], (r.values[-1] or 0) / top) for r in ranked]


def latest_period(values: list[Published]) -> str:
    periods = [v.period for v in values if v.indicator == Indicator.BENEFICIARIES.value]
    return max(periods, default="")


def payments_table(values: list[Published], period: str) -> list[dict[str, Any]]:
    """Per programme, in ``period``: beneficiaries paid (F, M, all), amount paid, payments
    failed (national totals)."""
    rows: dict[str, dict[str, Any]] = defaultdict(dict)
    payments = {Indicator.BENEFICIARIES.value, Indicator.AMOUNT.value, Indicator.FAILED.value,
                Indicator.ON_TIME.value, Indicator.LATE.value}
    for v in values:
        if not period or v.period != period or v.province_code != ALL \
                or v.indicator not in payments:
            continue
        row = rows[v.programme]
        if v.indicator == Indicator.BENEFICIARIES.value:
            row[v.sex] = v.value
        elif v.indicator == Indicator.AMOUNT.value and v.sex == ALL:
            row["amount"], row["currency"] = v.value, v.currency
        elif v.indicator == Indicator.FAILED.value and v.sex == ALL:
            row["failed"] = v.value
        elif v.indicator == Indicator.ON_TIME.value and v.sex == ALL:
            row["on_time"] = v.value
        elif v.indicator == Indicator.LATE.value and v.sex == ALL:
            row["late"] = v.value
    return [{"programme": p, **r} for p, r in sorted(rows.items())]


#: the columns of the grievances' table, in order
GRIEVANCE_COLUMNS = (Indicator.GRIEVANCES, Indicator.RESOLVED, Indicator.RESOLVED_ON_TIME,
                     Indicator.GRIEVANCE_DAYS)


def grievances_table(values: list[Published], gaz: Gazetteer, locale: str) -> Table | None:
    """Per province (and the total): complaints received, resolved, resolved by the deadline,
    median days to resolve; the complainant's sex is not recorded (only totals)."""
    wanted = {c.value: n for n, c in enumerate(GRIEVANCE_COLUMNS)}
    grid: dict[str, list[int | None]] = defaultdict(lambda: [None] * len(GRIEVANCE_COLUMNS))
    seen: set[str] = set()
    for v in values:
        if v.indicator in wanted and v.sex == ALL:
            grid[v.province_code][wanted[v.indicator]] = v.value
            seen.add(v.province_code)
    if not seen:
        return None
    t = Table(Indicator.GRIEVANCES.value)
    for code in sorted(seen - {ALL}):
        t.rows.append(Row(code, _name(gaz, code, locale), tuple(grid[code])))
    t.total = Row(ALL, "", tuple(grid[ALL]))
    return t
