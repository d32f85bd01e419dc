"""Helpers that put people into the registry through the registry service (as a registrar
would), for the record-linkage tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.db.history import change_log
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService
from spmis.registry.store import household, person, person_identifier

VILLAGE = "12010101"  # Phnom Penh, Chamkar Mon
OTHER_VILLAGE = "01020101"  # Banteay Meanchey


def member(rel: str = "head", **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "relationship": rel,
        "family_name_latin": "Sok",
        "given_name_latin": "Dara",
        "sex": "F",
        "date_of_birth": "1988-04-12",
    }
    body.update(kw)
    return body


def add_household(ctx: AppContext, *members: dict[str, Any], village: str = VILLAGE) -> list[int]:
    """Create a household; returns its members' person ids in order."""
    data = s.HouseholdCreate.model_validate({"village_code": village, "members": list(members)})
    out = RegistryService(ctx).create_household(data, SYSTEM)
    return [m.id for m in out.members]


def person_state(ctx: AppContext, pid: int) -> dict[str, Any]:
    """The full stored state of a person: row and identifier rows (every column)."""
    with ctx.engine.connect() as conn:
        row = dict(conn.execute(select(person).where(person.c.id == pid)).mappings().one())
        idents = [dict(r) for r in conn.execute(
            select(person_identifier).where(person_identifier.c.person_id == pid)
            .order_by(person_identifier.c.id)).mappings()]
    return {"row": row, "identifiers": idents}


def household_row(ctx: AppContext, hid: int) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        return dict(conn.execute(select(household).where(household.c.id == hid)).mappings().one())


def history(ctx: AppContext, pid: int, entity_type: str = "person") -> list[str]:
    with ctx.engine.connect() as conn:
        return list(conn.execute(select(change_log.c.action).where(
            change_log.c.entity_type == entity_type, change_log.c.entity_id == pid)
            .order_by(change_log.c.id)).scalars())


#: columns that advance on every change; everything else must come back exactly
MOVING = ("version", "updated_at", "updated_by")


def without_moving(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in MOVING}


def content(state: dict[str, Any]) -> dict[str, Any]:
    return {"row": {k: v for k, v in state["row"].items() if k not in MOVING},
            "identifiers": state["identifiers"]}
