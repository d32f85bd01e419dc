"""The hand-computed table in docs/rules.md must match the engine, row by row."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spmis.rules import tax_benefit_system
from spmis.rules.engine import Population, build_simulation

DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


def _rows() -> list[dict[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- cases:start -->")[1].split("<!-- cases:end -->")[0]
    lines = [ln for ln in block.strip().splitlines() if ln.startswith("|")]
    header = [h.strip() for h in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def _born(period: str, months: int) -> date:
    year, month = (int(x) for x in period.split("-"))
    total = year * 12 + month - 1 - months
    return date(total // 12, total % 12 + 1, 1)


def _value(text: str) -> Any:
    if text in {"true", "false"}:
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def _population(period: str, inputs: str) -> Population:
    groups = [g.strip() for g in inputs.split("/")]
    household = {k: _value(v) for k, v in (kv.split("=") for kv in groups[0].split())}
    persons: list[dict[str, Any]] = []
    for group in groups[1:]:
        count = 1
        fields: dict[str, Any] = {}
        for token in group.split():
            if "*" in token:
                n, token = token.split("*")
                count = int(n)
            key, raw = token.split("=")
            if key == "age":
                fields["date_of_birth"] = _born(period, 12 * int(raw))
            elif key == "months":
                fields["date_of_birth"] = _born(period, int(raw))
            else:
                fields[key] = _value(raw)
        persons.extend(dict(fields) for _ in range(count))
    names = sorted({k for p in persons for k in p})
    system = tax_benefit_system()
    person_cols: dict[str, Any] = {}
    for name in names:
        default = system.variables[name].default_value
        if name == "date_of_birth":
            default = date(1990, 1, 1)
        values = [p.get(name, default) for p in persons]
        if name == "date_of_birth":
            person_cols[name] = np.array(values, dtype="datetime64[D]")
        elif hasattr(default, "name"):  # enum default
            person_cols[name] = np.array([getattr(v, "name", v) for v in values])
        else:
            person_cols[name] = np.array(values)
    return Population(
        household_ids=np.array([1]),
        person_ids=np.arange(len(persons)),
        person_household_ids=np.ones(len(persons), dtype=np.int64),
        household={k: np.array([v]) for k, v in household.items()},
        person=person_cols,
    )


ROWS = _rows()


def test_the_table_has_at_least_30_cases() -> None:
    assert len(ROWS) >= 30


@pytest.mark.parametrize("row", ROWS, ids=[r["#"] for r in ROWS])
def test_engine_matches_hand_computed_case(row: dict[str, str]) -> None:
    period = row["period"]
    sim = build_simulation(_population(period, row["inputs"]), period)
    variable = row["variable"]
    values = sim.calculate(variable, period)
    if tax_benefit_system().variables[variable].entity.key == "person":
        got = int(np.sum(values))
    else:
        got = int(values[0])
    assert got == int(row["expected"]), f"case {row['#']}: {row['computation']}"
