"""The search page's household list (``household_list``): the same households, totals and pages
as ``search_households``, and on each line what the page showed from the full records (the head's
names, else the first member's; the number of active members; the village), for every scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.ops_cli import load_demo
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService
from spmis.registry.store import household, person


def _line(hh: s.HouseholdOut) -> dict[str, Any]:
    """What the page's line showed when it was built from the full household."""
    head = ([m for m in hh.members if m.id == hh.head_person_id] or hh.members or [None])[0]
    return {"id": hh.id, "village_code": hh.village_code, "idpoor_level": hh.idpoor_level,
            "village": hh.area[-1].model_dump(),
            "head": (head.family_name_km, head.given_name_km, head.family_name_latin,
                     head.given_name_latin) if head else (None, None, None, None),
            "members": len(hh.members)}


def _listed(item: s.HouseholdListItem) -> dict[str, Any]:
    return {"id": item.id, "village_code": item.village_code, "idpoor_level": item.idpoor_level,
            "village": item.village.model_dump() if item.village else None,
            "head": (item.head_family_name_km, item.head_given_name_km,
                     item.head_family_name_latin, item.head_given_name_latin),
            "members": item.members}


def test_the_list_says_what_the_full_records_say(ctx: AppContext) -> None:
    load_demo(ctx, if_empty=False, households=60, seed=7)
    with ctx.engine.begin() as conn:
        # households of two or more members first: the cases below need someone left behind
        # (the demo loader's ids follow no fixed order of sizes, so they are chosen by size)
        sizes = (select(person.c.household_id, func.count().label("n"))
                 .group_by(person.c.household_id).subquery())
        ids = conn.execute(select(sizes.c.household_id)
                           .order_by((sizes.c.n < 2), sizes.c.household_id)).scalars().all()
        single = conn.execute(select(sizes.c.household_id).where(sizes.c.n == 1)
                              .order_by(sizes.c.household_id)).scalars().first()
        # a household whose head left (the first member stands for it), one whose first
        # member left, one dissolved (never listed), one whose only member left (no names)
        if single is not None:
            conn.execute(update(person).where(person.c.household_id == single)
                         .values(status="moved"))
        conn.execute(update(person).where(person.c.household_id == ids[1],
                                          person.c.relationship == "head")
                     .values(status="moved"))
        first = conn.execute(select(func.min(person.c.id))
                             .where(person.c.household_id == ids[2])).scalar_one()
        conn.execute(update(person).where(person.c.id == first).values(status="moved"))
        conn.execute(update(household).where(household.c.id == ids[3])
                     .values(status="dissolved"))
        province = conn.execute(select(household.c.province_code)
                                .where(household.c.id == ids[0])).scalar_one()
        commune = conn.execute(select(household.c.commune_code)
                               .where(household.c.id == ids[0])).scalar_one()
    service = RegistryService(ctx)
    local = Actor("local", frozenset({"registrar"}), province)
    compared = 0
    for actor, area, level in ((SYSTEM, None, None), (SYSTEM, None, 1), (local, None, None),
                               (SYSTEM, commune, None), (local, commune, 2)):
        for page in (1, 2, 3, 4, 5, 6, 13):
            full = service.search_households(actor, area=area, idpoor_level=level, page=page,
                                             page_size=10)
            listed = service.household_list(actor, area=area, idpoor_level=level, page=page,
                                            page_size=10)
            assert (listed.total, listed.page, listed.page_size) == (
                full.total, full.page, full.page_size), (actor.username, area, level, page)
            assert [_listed(i) for i in listed.items] == [_line(h) for h in full.items]
            compared += len(full.items)
    assert compared > 60
    lines = {i.id: i for i in service.household_list(SYSTEM, page_size=100).items}
    assert ids[3] not in lines and ids[1] in lines and ids[2] in lines
    assert single is not None and lines[single].members == 0
    assert lines[single].head_given_name_latin is None
