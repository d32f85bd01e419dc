"""Every indicator as ONE set-based SQL statement (a UNION ALL of grouped selects), inside an
actor's scope: registry counts by province and sex; payments by programme, month, province and
the recipient's sex when the payments tables exist.

The registry is read through ``spmis.registry.queries``; the payments capability has no query
module yet, so its tables are read (never written) by name from the shared metadata as
migration 0011 created them (``entitlement``, ``programme``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Select,
    String,
    Table,
    and_,
    cast,
    func,
    literal,
    select,
    union_all,
)

from spmis.auth import scope as scopes
from spmis.indicators.model import Indicator
from spmis.registry import queries as registry

__all__ = ["COLUMNS", "indicators_select"]

COLUMNS = ("indicator", "programme", "period", "province_code", "sex", "currency", "value")


def _payments_table(name: str) -> Table | None:
    from spmis.db.tables import metadata

    return metadata.tables.get(name)


def _row(indicator: Indicator, programme: Any, period: Any, province: Any, sex: Any,
         currency: Any, value: Any) -> list[Any]:
    def text(v: Any, n: int) -> Any:
        return literal(v, String(n)) if isinstance(v, str) else v

    return [literal(indicator.value, String(32)).label("indicator"),
            text(programme, 40).label("programme"), text(period, 7).label("period"),
            province.label("province_code"), sex.label("sex"),
            text(currency, 3).label("currency"), cast(value, BigInteger).label("value")]


def _registry(scope: str) -> list[Select[Any]]:
    h, p = registry.households(), registry.people()
    in_scope = scopes.conditions(scope, h.c.village_code)
    people = (select(*_row(Indicator.PEOPLE, "", "", h.c.province_code, p.c.sex, "",
                           func.count()))
              .select_from(p.join(h, h.c.id == p.c.household_id))
              .where(p.c.status == "active", h.c.status == "active", *in_scope)
              .group_by(h.c.province_code, p.c.sex))
    head = p.alias("head")
    households = (select(*_row(Indicator.HOUSEHOLDS, "", "", h.c.province_code, head.c.sex, "",
                               func.count()))
                  .select_from(h.join(head, and_(head.c.household_id == h.c.id,
                                                 head.c.relationship == "head",
                                                 head.c.status == "active")))
                  .where(h.c.status == "active", *in_scope)
                  .group_by(h.c.province_code, head.c.sex))
    return [people, households]


def _payments(scope: str) -> list[Select[Any]]:
    ent, prog = _payments_table("entitlement"), _payments_table("programme")
    if ent is None or prog is None:
        return []
    if len(scope) <= 6:
        in_scope = scopes.conditions(scope, ent.c.commune_code)
    else:  # a village: through the household's own code
        in_scope = [ent.c.household_id.in_(registry.household_ids_in_scope(scope))]
    joined = ent.join(prog, prog.c.id == ent.c.programme_id)
    keys = (prog.c.code, ent.c.period, ent.c.province_code, ent.c.recipient_sex)
    paid = [ent.c.state == "paid", *in_scope]
    beneficiaries = (select(*_row(Indicator.BENEFICIARIES, *keys, "",
                                  func.count(ent.c.beneficiary_id.distinct())))
                     .select_from(joined).where(*paid).group_by(*keys))
    amount = (select(*_row(Indicator.AMOUNT, *keys, ent.c.currency, func.sum(ent.c.amount)))
              .select_from(joined).where(*paid).group_by(*keys, ent.c.currency))
    failed = (select(*_row(Indicator.FAILED, *keys, "", func.count()))
              .select_from(joined)
              .where(ent.c.state.in_(("failed", "returned")), *in_scope).group_by(*keys))
    return [beneficiaries, amount, failed]


def indicators_select(scope: str = "") -> CompoundSelect[Any]:
    """Every indicator cell inside ``scope`` (the whole country by default): ``COLUMNS``."""
    return union_all(*_registry(scope), *_payments(scope))
