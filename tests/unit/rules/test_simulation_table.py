"""``spmis simulate``'s table (issue 13, item 22): at most 80 columns whatever the figures, no cut
names, households and people on rows of their own, labelled."""

from __future__ import annotations

import polars as pl

from spmis.rules.report import COLUMNS
from spmis.rules.simulation import WIDTH, text_table


def _row(programme: str, dimension: str, key: str, unit: str, base: int, after: int,
         cost: int, cost_after: int) -> dict[str, object]:
    return dict(zip(COLUMNS, [programme, "KHR", dimension, key, unit, base, after, cost,
                              cost_after, cost_after - cost], strict=True))


def test_the_table_fits_80_columns_with_the_largest_figures() -> None:
    big = 99_999_999_999_999  # 14 digits: a country's year of every programme, and more
    frame = pl.DataFrame([
        _row("covid19_cash_transfer", "total", "all", "households", 3_000_000, 3_100_000,
             big, -big),
        _row("covid19_cash_transfer", "sex", "F", "people", 7_000_000, 7_100_000, 1, 2),
        _row("covid19_cash_transfer", "sex", "M", "people", 6_000_000, 6_100_000, 1, 2),
        _row("covid19_cash_transfer", "sex", "None", "people", 1, 1, 0, 0),
        _row("nssf_old_age_pension", "total", "all", "people", 10, 12, 100, 120),
        _row("nssf_old_age_pension", "sex", "F", "people", 4, 5, 40, 50),
    ])
    lines = text_table(frame, "A very long reform name " * 8)
    assert max(len(line) for line in lines) <= WIDTH
    text = "\n".join(lines)
    assert "…" not in text
    assert "COVID-19 cash transfer for poor and vulnerable households" in text  # whole name
    assert "  households paid" in text and "women in households paid" in text
    assert "unknown sex in households paid" in text
    assert "  people paid" in text and "  women paid" in text  # a person programme
    # costs too wide for their column are written in millions, and said so
    assert "cost, million KHR" in text and "-200,000,000.0" in text
    assert f"  {'cost, KHR':<30}{'100':>16}{'120':>16}{'+20':>16}" in text
