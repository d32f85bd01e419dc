"""The menus, built from the capabilities' manifests (``Capability.menu``): the layout shows the
entries the reader may use. A capability adds a menu entry in its ``capability.py``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from spmis.manifest import MenuItem, each

Area = Literal["public", "office"]
NavItem = MenuItem


def items(area: Area, roles: Iterable[str] | None = None) -> list[NavItem]:
    """The entries of ``area`` that a holder of ``roles`` may use, in menu order."""
    held = frozenset(roles or ())
    return sorted(
        i for _cap, i in each("menu")
        if i.area == area and (not i.roles or bool(i.roles & held))
    )

