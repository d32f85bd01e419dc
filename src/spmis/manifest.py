"""Capability manifests: each capability package declares, in its ``capability.py``, what it adds
to the system, and the application, the command line, the menu, the database metadata, approval
kinds, key rotation and the authorisation table are built by looping over the manifests.

A new capability is a new package with a ``capability.py`` defining ``CAPABILITY`` plus one line
in ``CAPABILITY_PACKAGES`` below. References to code are strings (``"module:attribute"`` or a
module name) so that reading a manifest imports nothing heavy and cannot create an import cycle.

The platform itself (``/health``, ``spmis serve``, ``spmis db``) is not a capability: ``spmis.app``
and ``spmis.cli`` mount it directly.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

#: every capability package, in mounting order (the web pages last: they own "/")
CAPABILITY_PACKAGES: tuple[str, ...] = (
    "spmis.reference",
    "spmis.registry",
    "spmis.auth",
    "spmis.rules",
    "spmis.linkage",
    "spmis.interop",
    "spmis.synth",
    "spmis.jobs",
    "spmis.payments",
    "spmis.fund",
    "spmis.grievances",
    "spmis.audit",
    "spmis.indicators",
    "spmis.targeting",
    "spmis.web",
)

#: an access rule: the roles that may call a route, or ``spmis.auth.roles.PUBLIC``
Rule = frozenset[str] | str


@dataclass(frozen=True)
class Command:
    """A Typer app mounted on ``spmis``: under ``name``, or merged at the top level when None."""

    target: str
    name: str | None = None


@dataclass(frozen=True, order=True)
class MenuItem:
    """One menu entry. ``label`` is an English msgid (translated when shown); ``roles`` empty means
    every signed-in staff user (office) or everyone (public)."""

    order: int
    area: Literal["public", "office"]
    path: str
    label: str
    roles: frozenset[str] = field(default_factory=frozenset, compare=False)


@dataclass(frozen=True)
class Capability:
    """What one capability adds to SPMIS.

    - ``routers``: ``"module:attr"`` of its API routers, mounted in order;
    - ``pages``: modules exposing a page ``router`` (server-rendered pages), mounted in order;
    - ``menu``: its entries in the public or back-office menu;
    - ``commands``: its Typer apps on the ``spmis`` command line;
    - ``tables``: modules that define its tables on the shared metadata (its ``store`` modules);
    - ``approval_kinds``: modules that register maker-checker kinds when imported;
    - ``encrypted_columns``: ``"module:attr"`` of tuples of
      ``spmis.db.encrypted.EncryptedColumn``, re-encrypted by ``spmis keys rotate``;
    - ``encrypted_files``: ``"module:attr"`` of functions ``(ctx, progress) -> (files rewritten,
      files per key id)`` that seal its files on disk again with the primary key, called by
      ``spmis keys rotate``;
    - ``access``: the authorisation rule of each of its routes, ``(method, path) -> roles``;
    - ``field_access``: request fields of its routes that only some of the route's roles may set,
      ``(method, path) -> {field: roles}``;
    - ``gauges``: ``"module:attr"`` of functions ``(engine) -> metric families``, read from the
      database at each scrape of ``/metrics`` (``spmis.metrics``).
    """

    name: str
    routers: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    menu: tuple[MenuItem, ...] = ()
    commands: tuple[Command, ...] = ()
    tables: tuple[str, ...] = ()
    approval_kinds: tuple[str, ...] = ()
    encrypted_columns: tuple[str, ...] = ()
    encrypted_files: tuple[str, ...] = ()
    access: Mapping[tuple[str, str], Rule] = field(default_factory=dict)
    field_access: Mapping[tuple[str, str], Mapping[str, Rule]] = field(default_factory=dict)
    gauges: tuple[str, ...] = ()


def resolve(reference: str) -> Any:
    """The object named by ``"module:attr"`` (or the module itself when there is no colon)."""
    module_name, _, attr = reference.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


@cache
def capabilities() -> tuple[Capability, ...]:
    """Every capability's manifest, in ``CAPABILITY_PACKAGES`` order."""
    out = []
    for package in CAPABILITY_PACKAGES:
        manifest = importlib.import_module(f"{package}.capability").CAPABILITY
        if not isinstance(manifest, Capability):
            raise TypeError(f"{package}.capability.CAPABILITY is not a Capability")
        out.append(manifest)
    return tuple(out)


def access_rules() -> dict[tuple[str, str], Rule]:
    """Every capability's access rules in one table; a route declared twice is an error."""
    table: dict[tuple[str, str], Rule] = {}
    owner: dict[tuple[str, str], str] = {}
    for cap in capabilities():
        for route, rule in cap.access.items():
            if route in table:
                raise ValueError(f"{route} has an access rule in both {owner[route]} and "
                                 f"{cap.name}")
            table[route], owner[route] = rule, cap.name
    return table


def field_access_rules() -> dict[tuple[str, str], dict[str, Rule]]:
    """Every capability's field rules; a capability may restrict only fields of its own routes."""
    table: dict[tuple[str, str], dict[str, Rule]] = {}
    for cap in capabilities():
        for route, fields in cap.field_access.items():
            if route not in cap.access:
                raise ValueError(f"{cap.name} restricts fields of {route}, not one of its routes")
            table[route] = dict(fields)
    return table


def each(attribute: str) -> Iterator[tuple[Capability, Any]]:
    """(capability, item) for every item of one manifest field, in capability order."""
    for cap in capabilities():
        for item in getattr(cap, attribute):
            yield cap, item
