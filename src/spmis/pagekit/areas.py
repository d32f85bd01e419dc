"""The area picker: province, district, commune (and village) selects filled from the gazetteer,
narrowed to the reader's scope. With htmx a change reloads the picker in place
(``GET /areas/picker``); without JavaScript the form's "show the list" button does the same."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from spmis.auth.scope import overlaps
from spmis.gazetteer import Gazetteer

Level = Literal["commune", "village"]
LEVELS: tuple[str, ...] = ("province", "district", "commune", "village")


@dataclass(frozen=True)
class Option:
    code: str
    name: str


@dataclass(frozen=True)
class Select:
    """One select of the picker: its level, options and the chosen code."""

    level: str
    options: list[Option]
    chosen: str | None


def picker(
    gaz: Gazetteer,
    values: Mapping[str, Any],
    locale: str,
    *,
    level: Level = "commune",
    scope: str = "",
) -> list[Select]:
    """The selects down to ``level``, each listing the children of the choice above it. A choice
    that does not belong under its parent is dropped; scope parts are chosen for the reader."""
    selects: list[Select] = []
    parent: str | None = None
    deepest = LEVELS.index(level)
    for depth, name in enumerate(LEVELS[: deepest + 1]):
        if depth > 0 and parent is None:
            selects.append(Select(name, [], None))
            continue
        units = gaz.list(name, parent)
        options = [
            Option(u.code, u.name_km if locale == "km" else u.name_en)
            for u in units
            if overlaps(u.code, scope)  # it contains the scope or lies inside it
        ]
        given = values.get(name)
        chosen = given if isinstance(given, str) and any(o.code == given for o in options) else None
        if chosen is None and len(options) == 1:
            chosen = options[0].code
        selects.append(Select(name, options, chosen))
        parent = chosen
    return selects


def chosen_code(selects: list[Select], level: str) -> str | None:
    for s in selects:
        if s.level == level:
            return s.chosen
    return None
