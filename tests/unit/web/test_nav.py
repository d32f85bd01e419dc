"""Menus: built once per set of roles, and always the entries those roles may use."""

from __future__ import annotations

from spmis.manifest import each
from spmis.pagekit import nav


def _built(area: str, roles: frozenset[str]) -> list[nav.NavItem]:
    return nav._items.__wrapped__(area, roles)  # type: ignore[arg-type]


def test_each_set_of_roles_gets_its_own_menu() -> None:
    registrar = nav.items("office", ["registrar"])
    admin = nav.items("office", {"admin"})
    assert registrar != admin
    assert registrar == list(_built("office", frozenset({"registrar"})))
    assert admin == list(_built("office", frozenset({"admin"})))
    assert nav.items("office", []) == []  # no role: no back-office entry
    everything = {i for _cap, i in each("menu") if i.area == "public"}
    assert set(nav.items("public")) == everything


def test_a_caller_cannot_change_the_menu_of_others() -> None:
    menu = nav.items("office", {"registrar"})
    menu.clear()
    assert nav.items("office", {"registrar"})
