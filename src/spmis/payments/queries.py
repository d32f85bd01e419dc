"""Read-only queries of the payments capability for other capabilities (the indicators).

The payments capability owns its tables (``payments.store``): others read them only through the
functions here, which return read-only views (aliases with the table's own name) to compose
into the caller's own set-based query, or rows:

- ``entitlements()``: the payment lines (``entitlement``: programme, beneficiary, household,
  period, amount and currency, state, province and commune codes, the recipient's sex,
  ``settled_on``);
- ``programmes()``: the programmes (code, names, the catalogue programme of its rules);
- ``programme_names``: each programme's name in English and Khmer, by code;
- ``due_dates``: the due date of each payment cycle (its programme's month, from
  ``payments.schedule``: dated parameters), to tell payments on time from late ones;
- ``pension_months``: the months the pension payroll has paid or put in a payroll for one
  monthly payment order (the fund's claim page).

This module is additive: a capability that needs more adds a function here.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select
from sqlalchemy.sql.selectable import NamedFromClause

from spmis.payments import pensions, schedule, store

__all__ = ["due_dates", "entitlements", "pension_months", "programme_names", "programmes"]

_ENTITLEMENTS = store.entitlement.alias("entitlement")
_PROGRAMMES = store.programme.alias("programme")
_CYCLES = store.payment_cycle.alias("payment_cycle")


def entitlements() -> NamedFromClause:
    """The ``entitlement`` table (payment lines), read-only."""
    return _ENTITLEMENTS


def programmes() -> NamedFromClause:
    """The ``programme`` table, read-only."""
    return _PROGRAMMES


def programme_names(conn: Connection) -> dict[str, tuple[str, str]]:
    """code -> (English name, Khmer name) of every programme."""
    p = _PROGRAMMES
    return {r.code: (r.name_en, r.name_km)
            for r in conn.execute(select(p.c.code, p.c.name_en, p.c.name_km))}


def due_dates(conn: Connection) -> list[tuple[int, date]]:
    """(cycle id, due date) of every payment cycle: the due date of its programme's month (a
    line keeps the cycle it was computed in, ``entitlement.cycle_id``, when a retry moves it to a
    later payroll)."""
    c, p = _CYCLES, _PROGRAMMES
    rows = conn.execute(select(c.c.id, p.c.rules_programme, c.c.period)
                        .select_from(c.join(p, p.c.id == c.c.programme_id)))
    return [(int(r[0]), schedule.due_date(r[1], r[2]).on) for r in rows]


def pension_months(conn: Connection, person_id: int, order_id: int) -> list[dict[str, object]]:
    """The pension payroll's lines of monthly order ``order_id`` paid to ``person_id``, newest
    month first: month, amount, currency, state, the cycle and when it was settled."""
    e, b, p = store.entitlement, store.beneficiary, store.programme
    rows = conn.execute(
        select(e.c.period, e.c.amount, e.c.currency, e.c.state, e.c.payroll_cycle_id,
               e.c.settled_on)
        .select_from(e.join(b, b.c.id == e.c.beneficiary_id)
                     .join(p, p.c.id == b.c.programme_id))
        .where(p.c.code == pensions.PROGRAMME, b.c.entity_id == person_id,
               e.c.programme_id == p.c.id, e.c.component == f"{pensions.COMPONENT}{order_id}")
        .order_by(e.c.period.desc())).mappings()
    return [dict(r) for r in rows]
