"""The navigation registry. Each page module registers its menu entries; the layout shows the ones
the reader may use. A later capability (payments, the fund, grievances, the dashboard) adds its
pages with one ``register`` call per entry, without touching the layout."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Area = Literal["public", "office"]


@dataclass(frozen=True, order=True)
class NavItem:
    """One menu entry. ``label`` is an English msgid (translated when shown); ``roles`` empty means
    every signed-in staff user (office) or everyone (public)."""

    order: int
    area: Area
    path: str
    label: str
    roles: frozenset[str] = field(default_factory=frozenset, compare=False)


_ITEMS: dict[tuple[str, str], NavItem] = {}


def register(item: NavItem) -> None:
    """Add (or replace) a menu entry."""
    _ITEMS[(item.area, item.path)] = item


def items(area: Area, roles: Iterable[str] | None = None) -> list[NavItem]:
    """The entries of ``area`` that a holder of ``roles`` may use, in menu order."""
    held = frozenset(roles or ())
    return sorted(
        i for i in _ITEMS.values() if i.area == area and (not i.roles or bool(i.roles & held))
    )


def all_items() -> list[NavItem]:
    return sorted(_ITEMS.values())
