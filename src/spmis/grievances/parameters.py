"""Deadlines as dated, sourced parameters (``deadlines.yaml``, in the OpenFisca shape the rules
use: ``values`` by start date, ``metadata.reference`` the source): the days the office in charge
has per category, and the days the office above has after an escalation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PARAMETER_FILE = Path(__file__).with_name("deadlines.yaml")


@dataclass(frozen=True)
class Days:
    """A number of days in force from ``since``, with its source."""

    days: int
    since: date
    reference: str


def _dated(node: dict[str, Any], on: date) -> Days:
    values = sorted((d if isinstance(d, date) else date.fromisoformat(str(d)), v["value"])
                    for d, v in node["values"].items())
    current = [(d, v) for d, v in values if d <= on]
    if not current:
        raise LookupError(f"no deadline in force on {on}")
    since, value = current[-1]
    return Days(int(value), since, str(node["metadata"]["reference"]))


@cache
def _file() -> dict[str, Any]:
    with PARAMETER_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def deadline_days(category: str, on: date) -> Days:
    """The days the office in charge has for a grievance of ``category`` received on ``on``."""
    return _dated(_file()["categories"][category], on)


def escalated_days(on: date) -> Days:
    """The days the office one level up has after an escalation on ``on``."""
    return _dated(_file()["escalated"], on)


def all_deadlines(on: date) -> dict[str, Days]:
    """Every category's deadline in force on ``on`` (for the docs and the staff pages)."""
    return {name: _dated(node, on) for name, node in _file()["categories"].items()}
