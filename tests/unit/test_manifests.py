"""The capability manifests: every capability package is listed once, and each declares the
access rule of exactly the routes it mounts (no capability decides another's routes)."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import iter_route_contexts

import spmis
from spmis.auth.policy import PLATFORM_POLICY, ROUTE_POLICY
from spmis.manifest import CAPABILITY_PACKAGES, capabilities, resolve

SRC = Path(spmis.__file__).parent


def _routes(routers: list[object]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for router in routers:
        for rc in iter_route_contexts(router.routes):  # type: ignore[attr-defined]
            if not rc.methods:
                out.add(("MOUNT", str(rc.path)))
            for method in rc.methods or ():
                if method != "HEAD":
                    out.add((method, str(rc.path)))
    return out


def test_every_package_with_a_manifest_is_listed() -> None:
    on_disk = sorted(f"spmis.{p.parent.name}" for p in SRC.glob("*/capability.py"))
    assert sorted(CAPABILITY_PACKAGES) == on_disk
    assert len(set(CAPABILITY_PACKAGES)) == len(CAPABILITY_PACKAGES)
    assert CAPABILITY_PACKAGES[-1] == "spmis.web", "pages are mounted last: they own '/'"


def test_each_capability_decides_exactly_its_own_routes() -> None:
    for cap in capabilities():
        routers = [resolve(r) for r in cap.routers]
        routers += [resolve(f"{module}:router") for module in cap.pages]
        mounted = _routes(routers)
        if cap.name == "web":
            mounted.add(("MOUNT", "/static"))  # the static files, mounted with the pages
        declared = set(cap.access)
        assert mounted - declared == set(), f"{cap.name}: routes without a rule"
        assert declared - mounted == set(), f"{cap.name}: rules for routes it does not mount"


def test_the_authorisation_table_is_the_manifests_plus_the_platform() -> None:
    from_manifests = sum(len(cap.access) for cap in capabilities())
    assert len(ROUTE_POLICY) == from_manifests + len(PLATFORM_POLICY)


def test_manifest_references_resolve() -> None:
    for cap in capabilities():
        for ref in (*cap.tables, *cap.approval_kinds, *cap.encrypted_columns,
                    *(c.target for c in cap.commands)):
            assert resolve(ref) is not None, f"{cap.name}: {ref}"
        for item in cap.menu:
            assert ("GET", item.path) in cap.access, f"{cap.name}: menu entry {item.path}"
