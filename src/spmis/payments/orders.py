"""Payment orders from other capabilities: what another pillar decided to pay one person (an
approved claim or pension of the social security fund), paid and recorded here, by the finance
office.

    order = orders.place(conn, actor, source="fund_claim", source_ref="17", person_id=5,
                         amount=2_520_000, currency="KHR", frequency="one_off",
                         purpose_en="Maternity allowance", purpose_km="ប្រាក់បំណាច់មាតុភាព")
    orders.settle(conn, actor, order["id"], paid=True, reference="BANK-123", day=date.today())

Both run in the caller's transaction (``conn``), so the caller's own change (the claim approved,
the claim paid) and the order commit together or not at all. ``place`` is idempotent: one order
per (source, source_ref), a second call returns the first order unchanged. Settling needs the
finance officer's role and a person other than the one who placed the order (maker-checker).

A monthly order (a pension) is settled here for its first month only; the months after it are
paid by the pension payroll (``spmis.payments.pensions``), a payment cycle of the programme
``nssf_pension``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select, update

from spmis.auth.model import Actor
from spmis.db.history import Change, audit_values, log_change, log_changes, update_versioned
from spmis.errors import Conflict, Forbidden, InvalidInput, NotFound
from spmis.payments import pensions, store
from spmis.payments.common import decision_reason
from spmis.payments.model import EntitlementState, check_period
from spmis.payments.order_store import payment_order

__all__ = ["FREQUENCIES", "OrderState", "end", "of_sources", "place", "settle"]

ENTITY = "payment_order"
FREQUENCIES = ("one_off", "monthly")
PAYERS = ("finance_officer",)


class OrderState:
    """The states of an order: ordered, then paid or failed (or cancelled)."""

    ORDERED = "ordered"
    PAID = "paid"
    FAILED = "failed"


def _row(conn: Connection, order_id: int) -> Any:
    return conn.execute(select(payment_order).where(payment_order.c.id == order_id)
                        ).mappings().first()


def place(conn: Connection, actor: Actor, *, source: str, source_ref: str, person_id: int,
          amount: int, currency: str, frequency: str, purpose_en: str, purpose_km: str,
          first_period: str | None = None, last_period: str | None = None,
          ends_on_death_of: int | None = None) -> dict[str, Any]:
    """Order the payment of ``amount`` to ``person_id`` (once per source and source_ref).

    A monthly order names its ``first_period`` (the month this order pays; the pension payroll
    pays each month after it), optionally its ``last_period``, and the person whose recorded
    death ends it (``ends_on_death_of``)."""
    if amount <= 0:
        raise InvalidInput.one(("amount",), "amount_not_positive",
                               "a payment order needs an amount above zero",
                               "ការបញ្ជាទូទាត់ត្រូវការចំនួនទឹកប្រាក់ធំជាងសូន្យ")
    if frequency not in FREQUENCIES:
        raise InvalidInput.one(("frequency",), "unknown_frequency",
                               f"frequency must be one of {', '.join(FREQUENCIES)}",
                               "ប្រេកង់នៃការទូទាត់មិនត្រឹមត្រូវ")
    if frequency == "monthly":
        if first_period is None:
            raise InvalidInput.one(("first_period",), "missing",
                                   "a monthly order names its first month",
                                   "ការបញ្ជាទូទាត់ប្រចាំខែត្រូវមានខែដំបូង")
        pensions.ensure_programme(conn, actor)
    found = conn.execute(select(payment_order).where(
        payment_order.c.source == source, payment_order.c.source_ref == source_ref)
    ).mappings().first()
    if found is not None:
        return dict(found)
    order_id = conn.execute(payment_order.insert().returning(payment_order.c.id).values(
        source=source, source_ref=source_ref, person_id=person_id, amount=amount,
        currency=currency, frequency=frequency, purpose_en=purpose_en, purpose_km=purpose_km,
        first_period=first_period, last_period=last_period, ends_on_death_of=ends_on_death_of,
        state=OrderState.ORDERED, **audit_values(actor.username))).scalar_one()
    log_change(conn, ENTITY, int(order_id), 1, "create", actor.username, purpose_en,
               {"source": [None, source], "source_ref": [None, source_ref],
                "amount": [None, amount], "currency": [None, currency]})
    return dict(_row(conn, int(order_id)))


def settle(conn: Connection, actor: Actor, order_id: int, *, paid: bool, reference: str | None,
           day: date, reason: str | None = None) -> dict[str, Any]:
    """Record that order ``order_id`` was paid (with the provider's ``reference``) or failed."""
    if not actor.has_role(*PAYERS):
        raise Forbidden("recording a payment needs the role finance_officer",
                        "ការកត់ត្រាការទូទាត់ត្រូវការតួនាទី finance_officer")
    row = _row(conn, order_id)
    if row is None:
        raise NotFound(f"no payment order {order_id}", f"គ្មានការបញ្ជាទូទាត់ {order_id}")
    if row["created_by"] == actor.username:
        raise Forbidden("the person who ordered a payment cannot record it paid",
                        "អ្នកបញ្ជាទូទាត់មិនអាចកត់ត្រាថាបានទូទាត់ដោយខ្លួនឯងបានទេ")
    if row["state"] != OrderState.ORDERED:
        raise Conflict(f"payment order {order_id} is already {row['state']}",
                       f"ការបញ្ជាទូទាត់ {order_id} បានបញ្ចប់រួចហើយ")
    reference = (reference or "").strip() or None
    if paid and not reference:
        raise InvalidInput.one(("reference",), "reference_required",
                               "give the payment's reference (bank or wallet transaction)",
                               "សូមបញ្ចូលលេខយោងនៃការទូទាត់")
    state = OrderState.PAID if paid else OrderState.FAILED
    update_versioned(conn, payment_order, ENTITY, order_id, row["version"],
                     {"state": state, "reference": reference, "settled_on": day},
                     action="settle", by=actor.username, reason=reason,
                     changes={"state": [row["state"], state]})
    return dict(_row(conn, order_id))


def of_sources(conn: Connection, source: str, refs: list[str]) -> dict[str, dict[str, Any]]:
    """The orders of ``source`` placed for ``refs``, by source_ref."""
    if not refs:
        return {}
    rows = conn.execute(select(payment_order).where(
        payment_order.c.source == source, payment_order.c.source_ref.in_(refs))).mappings()
    return {str(r["source_ref"]): dict(r) for r in rows}


def end(conn: Connection, actor: Actor, order_id: int, last_period: str,
        reason: str | None) -> dict[str, Any]:
    """End monthly order ``order_id`` with ``last_period``, the last month it is due (with the
    reason typed). Its lines of later months not yet approved are cancelled with that reason;
    a month after it already in an approved payroll refuses the end (``last_period`` named).
    An end only moves earlier: lines it cancelled are not made again."""
    check_period(last_period, ("last_period",))
    typed = decision_reason(reason)
    row = _row(conn, order_id)
    if row is None:
        raise NotFound(f"no payment order {order_id}", f"គ្មានការបញ្ជាទូទាត់ {order_id}")
    if row["frequency"] != "monthly" or row["state"] in pensions.ENDED_STATES:
        raise Conflict("only a monthly payment order still paid can be ended",
                       "អាចបញ្ចប់បានតែការបញ្ជាទូទាត់ប្រចាំខែដែលកំពុងបង់ប៉ុណ្ណោះ")
    first, current = row["first_period"], row["last_period"]
    if last_period < first:
        raise InvalidInput.one(("last_period",), "before_first",
                               f"the pension's first month is {first}; it cannot end before it",
                               f"ខែដំបូងនៃសោធនគឺ {first} មិនអាចបញ្ចប់មុនខែនោះបានទេ")
    if current is not None and last_period > current:
        raise InvalidInput.one(("last_period",), "after_end",
                               f"the pension already ends in {current}; an end only moves "
                               "earlier",
                               f"សោធននេះបញ្ចប់នៅខែ {current} រួចហើយ "
                               "ការបញ្ចប់អាចប្ដូរទៅខែមុនប៉ុណ្ណោះ")
    e, b, prog = store.entitlement, store.beneficiary, store.programme
    pensioner = select(b.c.id).where(  # the unique key's first column: no scan of every line
        b.c.programme_id == select(prog.c.id).where(prog.c.code == pensions.PROGRAMME)
        .scalar_subquery(), b.c.entity_id == row["person_id"])
    mine = [e.c.beneficiary_id.in_(pensioner), e.c.component == f"{pensions.COMPONENT}{order_id}",
            e.c.period > last_period]
    paid_after = conn.execute(select(func.max(e.c.period)).where(
        *mine, e.c.state.not_in((EntitlementState.DRAFT, EntitlementState.CANCELLED)))
    ).scalar()
    if paid_after is not None:
        raise InvalidInput.one(
            ("last_period",), "already_in_payroll",
            f"{paid_after} is already in an approved payroll; the last month is {paid_after} "
            "or later",
            f"ខែ {paid_after} មានក្នុងបញ្ជីបើកប្រាក់ដែលបានអនុម័តរួចហើយ "
            f"ខែចុងក្រោយត្រូវតែជា {paid_after} ឬក្រោយនោះ")
    drafts = conn.execute(select(e.c.id, e.c.attempt, e.c.period).where(
        *mine, e.c.state == EntitlementState.DRAFT)).all()
    if drafts:
        conn.execute(update(e).where(e.c.id.in_([d.id for d in drafts]))
                     .values(state=EntitlementState.CANCELLED, state_reason=typed))
        log_changes(conn, [Change("entitlement", d.id, d.attempt, "cancel", actor.username,
                                  typed, {"state": ["draft", "cancelled"]}) for d in drafts])
    update_versioned(conn, payment_order, ENTITY, order_id, row["version"],
                     {"last_period": last_period}, action="end", by=actor.username,
                     reason=typed, changes={"last_period": [current, last_period]})
    return dict(_row(conn, order_id)) | {"cancelled_lines": len(drafts)}
