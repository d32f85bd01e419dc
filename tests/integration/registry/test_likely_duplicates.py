"""Likely duplicates of a person about to be registered (issue 13, item 15): born the same day in
the same commune, with the same or a close name; never outside the asking user's area."""

from __future__ import annotations

from datetime import date

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService


def _register(ctx: AppContext, village: str, km: tuple[str, str], latin: tuple[str, str],
              born: str) -> int:
    body = s.HouseholdCreate.model_validate({"village_code": village, "members": [{
        "relationship": "head", "family_name_km": km[0], "given_name_km": km[1],
        "family_name_latin": latin[0], "given_name_latin": latin[1], "sex": "F",
        "date_of_birth": born}]})
    hh = RegistryService(ctx).create_household(body, SYSTEM)
    return hh.members[0].id


def test_same_day_same_commune_same_or_close_name(ctx: AppContext) -> None:
    sok = _register(ctx, "12010101", ("សុខ", "តារា"), ("Sok", "Dara"), "1990-05-06")
    chan = _register(ctx, "12010103", ("ចាន់", "សុភា"), ("Chan", "Sophea"), "1990-05-06")
    _register(ctx, "12010101", ("សុខ", "តារា"), ("Sok", "Dara"), "1991-05-06")  # another day
    _register(ctx, "12020101", ("សុខ", "តារា"), ("Sok", "Dara"), "1990-05-06")  # other commune
    service = RegistryService(ctx)
    born = date(1990, 5, 6)

    def ask(actor: Actor = SYSTEM, village: str = "12010102", **names: str
            ) -> list[tuple[int, str]]:
        who = s.NameAndBirth(date_of_birth=born, village_code=village, **names)
        return [(d.person.id, d.likeness) for d in service.likely_duplicates(who, actor)]

    assert ask(family_name_latin="Sokh", given_name_latin="Dara") == [(sok, "same")]
    assert ask(family_name_km="សុខ", given_name_km="តារា") == [(sok, "same")]
    assert ask(family_name_latin="Chan", given_name_latin="Sopheap") == [(chan, "close")]
    assert ask(family_name_latin="Keo", given_name_latin="Vanna") == []
    registrar = Actor("reg", frozenset({"registrar"}), "120101")
    assert ask(registrar, family_name_latin="Sok", given_name_latin="Dara") == [(sok, "same")]
    outsider = Actor("reg2", frozenset({"registrar"}), "010201")
    assert ask(outsider, family_name_latin="Sok", given_name_latin="Dara") == []
    assert ask(village="99999999", family_name_latin="Sok", given_name_latin="Dara") == []
