"""The menus, built from the capabilities' manifests (``Capability.menu``): the layout shows the
entries the reader may use. A capability adds a menu entry in its ``capability.py``."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

from spmis.auth.role_sets import ANY_STAFF
from spmis.manifest import MenuItem, each

Area = Literal["public", "office"]
NavItem = MenuItem


def items(area: Area, roles: Iterable[str] | None = None) -> list[NavItem]:
    """The entries of ``area`` that a holder of ``roles`` may use, in menu order. A back-office
    entry naming no roles is for staff: not for an employer's account, which sees its own."""
    return list(_items(area, frozenset(roles or ())))


@lru_cache(maxsize=256)
def _items(area: Area, held: frozenset[str]) -> tuple[NavItem, ...]:
    """``items`` for one set of roles, built once per process: the manifests' menus do not
    change while it runs, and the roles are the caller's, read for each request."""
    everyone = area == "public" or bool(held & ANY_STAFF)
    return tuple(sorted(
        i for _cap, i in each("menu")
        if i.area == area and (bool(i.roles & held) if i.roles else everyone)
    ))

