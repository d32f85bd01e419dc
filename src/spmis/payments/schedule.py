"""When a month's payment is due, as dated and sourced parameters (``schedule.yaml``, in the
OpenFisca shape the rules use: ``values`` by start date, ``metadata.reference`` the source): the
due date of month M is the last day of M plus the programme's days (or the default)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Due", "due_date"]

PARAMETER_FILE = Path(__file__).with_name("schedule.yaml")


@dataclass(frozen=True)
class Due:
    """The due date of a month's payment, the days after the month's end it allows, from when
    that value is in force, and its source."""

    on: date
    days: int
    since: date
    reference: str


@cache
def _file() -> dict[str, Any]:
    with PARAMETER_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def due_date(rules_programme: str, period: str) -> Due:
    """The due date of ``rules_programme``'s payment for ``period`` (``YYYY-MM``)."""
    year, month = (int(x) for x in period.split("-"))
    first = date(year, month, 1)
    nodes = _file()["programmes"]
    node = nodes.get(rules_programme) or nodes["default"]
    values = sorted((d if isinstance(d, date) else date.fromisoformat(str(d)), v["value"])
                    for d, v in node["values"].items())
    current = [(d, v) for d, v in values if d <= first]
    if not current:
        raise LookupError(f"no payment schedule in force for {period}")
    since, days = current[-1]
    end = date(year, month, calendar.monthrange(year, month)[1])
    return Due(end + timedelta(days=int(days)), int(days), since,
               str(node["metadata"]["reference"]))
