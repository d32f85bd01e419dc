"""The coverage gap: registry people recorded as working (formal, informal or self-employed)
who are not members of the fund, counted by province, sex and occupation in one set-based
statement, for outreach to informal workers. Small counts are withheld the way the published
indicators are (``spmis.disclosure``: fewer than 10 people, and the complementary
cells that would give them away)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select

from spmis.auth import scope
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.uow import UnitOfWork
from spmis.disclosure import THRESHOLD, suppress
from spmis.errors import Forbidden
from spmis.fund import queries
from spmis.registry import queries as registry

__all__ = ["WORKING", "coverage_gap"]

WORKING = ("formal", "informal", "self_employed")
SEXES = ("F", "M")
READERS = ("admin", "fund_officer", "auditor")


def _table(counts: dict[tuple[str, str], int], keys: list[str]) -> list[dict[str, Any]]:
    """Rows of ``keys`` x sexes with totals, suppressed cells as None."""
    table = [[counts.get((k, s), 0) for s in SEXES] for k in keys]
    hidden = suppress(table, THRESHOLD) if table else set()
    out = []
    grid = [[*r, sum(r)] for r in table]
    grid.append([sum(r[c] for r in grid) for c in range(len(SEXES) + 1)])
    for r, key in enumerate([*keys, None]):
        values = [None if (r, c) in hidden else grid[r][c] for c in range(len(SEXES) + 1)]
        out.append({"key": key, "F": values[0], "M": values[1], "total": values[2]})
    return out


def coverage_gap(ctx: AppContext, actor: Actor) -> dict[str, Any]:
    """Working people who are not fund members, inside ``actor``'s scope: by province and sex,
    and by occupation and sex (each with totals, small cells withheld)."""
    if not actor.has_role(*READERS):
        raise Forbidden("this needs one of the roles: admin, fund_officer, auditor",
                        "សកម្មភាពនេះត្រូវការតួនាទី admin, fund_officer ឬ auditor")
    p, h = registry.people(), registry.households()
    members = queries.affiliations()
    occupation = func.coalesce(func.nullif(func.trim(p.c.occupation), ""), "").label("occupation")
    stmt = (
        select(h.c.province_code, p.c.sex, occupation, func.count().label("people"))
        .join(h, h.c.id == p.c.household_id)
        .where(p.c.status == "active", p.c.employment_type.in_(WORKING),
               ~exists().where(members.c.person_id == p.c.id),
               *scope.conditions(actor.scope, h.c.village_code))
        .group_by(h.c.province_code, p.c.sex, occupation)
    )
    with UnitOfWork(ctx.engine) as uow:
        rows = uow.conn.execute(stmt).all()
    by_province: dict[tuple[str, str], int] = {}
    by_occupation: dict[tuple[str, str], int] = {}
    for province, sex, job, n in rows:
        by_province[(province, sex)] = by_province.get((province, sex), 0) + int(n)
        by_occupation[(job, sex)] = by_occupation.get((job, sex), 0) + int(n)
    provinces = sorted({k for k, _ in by_province})
    occupations = sorted({k for k, _ in by_occupation}, key=lambda k: (k == "", k))
    return {"threshold": THRESHOLD, "scope": actor.scope,
            "by_province": _table(by_province, provinces),
            "by_occupation": _table(by_occupation, occupations)}
