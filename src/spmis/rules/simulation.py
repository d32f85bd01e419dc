"""Policy simulation: cost and beneficiaries of the programmes under a parameter reform against
the baseline, for ``spmis simulate``, the policy page and its background job (kind
``rules.simulate``); the reforms offered on the page (``data/reforms.yaml``); and the figures as a
text table that fits an 80-column terminal."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from sqlalchemy import Engine

from spmis.errors import InvalidInput
from spmis.rules import catalogue

PRESETS_PATH = Path(__file__).parent / "data" / "reforms.yaml"
WIDTH = 80
LABEL = 32
NUMBER = 16


@dataclass(frozen=True)
class Preset:
    """A reform offered on the policy page."""

    id: str
    name_en: str
    name_km: str
    description_en: str
    description_km: str
    programmes: tuple[str, ...]
    changes: dict[str, Any]


@lru_cache(maxsize=1)
def presets() -> tuple[Preset, ...]:
    with PRESETS_PATH.open(encoding="utf-8") as fh:
        rows = yaml.safe_load(fh)
    out = []
    for row in rows:
        changes = {k: {kk: (vv.isoformat() if hasattr(vv, "isoformat") else vv)
                       for kk, vv in v.items()} if isinstance(v, dict) else v
                   for k, v in row.pop("changes").items()}
        out.append(Preset(**{**row, "programmes": tuple(row["programmes"])}, changes=changes))
    return tuple(out)


@lru_cache(maxsize=1)
def policy_parameters() -> tuple[dict[str, str], ...]:
    """The amounts and ages the policy page offers to change (``data/policy_parameters.yaml``):
    path, name_en, name_km."""
    with (PRESETS_PATH.parent / "policy_parameters.yaml").open(encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh))


def preset(preset_id: str) -> Preset | None:
    return next((p for p in presets() if p.id == preset_id), None)


def check_programmes(ids: Sequence[str] | None) -> None:
    """``InvalidInput`` naming the ids that are not programmes (before the registry is read)."""
    known = {p.id for p in catalogue.programmes()}
    unknown = [p for p in ids or () if p not in known]
    if unknown:
        raise InvalidInput.one(("programmes",), "unknown_programme",
                               f"unknown programme {', '.join(unknown)}",
                               f"មិនស្គាល់កម្មវិធី {', '.join(unknown)}")


def simulate(engine: Engine, period: str, name: str, changes: Mapping[str, Any],
             programmes: Sequence[str] | None = None,
             progress: Callable[[str], None] | None = None) -> pl.DataFrame:
    """The comparison frame (``report.COLUMNS``) of ``changes`` against the baseline in
    ``period``; ``InvalidInput`` names an unknown parameter or programme."""
    from spmis.rules.engine import evaluate
    from spmis.rules.population import load_population_parallel
    from spmis.rules.reforms import apply_reform
    from spmis.rules.report import compare
    from spmis.rules.system import tax_benefit_system

    reformed = apply_reform(tax_benefit_system(), changes, name)
    chosen = list(programmes) if programmes else None
    check_programmes(chosen)
    if progress:
        progress("load")
    loaded = load_population_parallel(engine, period)
    pop = loaded.population
    if progress:
        progress("compute")
    base = evaluate(pop, period, chosen)
    after = evaluate(pop, period, chosen, system=reformed)
    return compare(pop, loaded.household_province, loaded.person_sex, base, after)


def _number(value: float, signed: bool = False, millions: bool = False) -> str:
    if millions:
        return f"{value / 1e6:+,.1f}" if signed and value else f"{value / 1e6:,.1f}"
    return f"{value:+,}" if signed and value else f"{value:,}"


def _line(label: str, baseline: int, reform: int, millions: bool = False) -> str:
    return (f"  {label:<{LABEL - 2}}{_number(baseline, millions=millions):>{NUMBER}}"
            f"{_number(reform, millions=millions):>{NUMBER}}"
            f"{_number(reform - baseline, signed=True, millions=millions):>{NUMBER}}")


def _too_wide(*values: int) -> bool:
    """Whether a figure would fill its column (then costs are written in millions)."""
    return any(len(f"{v:+,}") >= NUMBER for v in values)


def text_table(frame: pl.DataFrame, title: str) -> list[str]:
    """The total and by-sex rows of each programme as lines of at most 80 characters: a block
    per programme under its full name, beneficiaries and cost on rows of their own, households
    and people never on one row; province rows are in the CSV."""
    lines = textwrap.wrap(title, WIDTH)
    lines.append(f"{'':<{LABEL}}{'baseline':>{NUMBER}}{'reform':>{NUMBER}}"
                 f"{'difference':>{NUMBER}}")
    sexes = {"F": "women", "M": "men"}
    for pid in frame["programme"].unique(maintain_order=True).to_list():
        rows = frame.filter(pl.col("programme") == pid)
        total = rows.filter(pl.col("dimension") == "total").row(0, named=True)
        try:
            name = catalogue.programme(pid).name_en
        except KeyError:
            name = pid
        lines.append("")
        lines.extend(textwrap.wrap(f"{name} ({pid}), {total['currency']}", WIDTH))
        lines.append(_line(f"{total['unit']} paid", total["baseline_beneficiaries"],
                           total["reform_beneficiaries"]))
        wide = _too_wide(total["baseline_cost"], total["reform_cost"], total["cost_difference"])
        lines.append(_line(f"cost, {'million ' if wide else ''}{total['currency']}",
                           total["baseline_cost"], total["reform_cost"], millions=wide))
        for row in rows.filter(pl.col("dimension") == "sex").iter_rows(named=True):
            who = sexes.get(row["key"], "unknown sex")
            label = (f"{who} paid" if total["unit"] == "people"
                     else f"{who} in households paid")
            lines.append(_line(label, row["baseline_beneficiaries"],
                               row["reform_beneficiaries"]))
    lines.append("")
    lines.extend(textwrap.wrap(
        "Households and people are counted apart: a household programme pays households; "
        "its rows by sex count the women and men living in the households paid. Costs are "
        "for the month. Rows by province, and costs by sex (a household's amount shared "
        "equally among its members), are in the CSV (--csv).", WIDTH))
    return lines
