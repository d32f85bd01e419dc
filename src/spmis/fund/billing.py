"""What employers owe and pay: invoices with their KHQR string, payments received spread over
the oldest debts first, arrears and the late surcharge they would bear."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from spmis.auth import scope
from spmis.auth.model import Actor
from spmis.db.base import utcnow
from spmis.db.history import audit_values, log_change
from spmis.errors import Conflict, NotFound
from spmis.fund import model as m
from spmis.fund import store
from spmis.fund.common import READERS, WRITERS, employer_for, require_role
from spmis.rules.contributions import surcharge_rate

INV, P, AL, E = store.fund_invoice, store.fund_payment, store.fund_allocation, \
    store.fund_employer


def khqr(account: str, employer_number: str, invoice: dict[str, Any]) -> str | None:
    """An EMV KHQR string paying what is left of ``invoice`` to the fund's Bakong account
    (``bakong-khqr``, generated offline; riel have no subunit). None when nothing is owed."""
    from bakong_khqr import KHQR

    owed = int(invoice["amount"]) - int(invoice["paid"])
    if owed <= 0:
        return None
    bill = f"{employer_number}-{invoice['period']}-{invoice['id']}"[:25]
    value: float | int = owed if invoice["currency"] == "KHR" else owed / 100
    return str(KHQR().create_qr(amount=value, account_id=account, merchant_name="NSSF",
                                merchant_city="Phnom Penh", currency=invoice["currency"],
                                bill_number=bill, static=False))


def invoices(conn: Connection, employer_id: int, limit: int = 60) -> list[dict[str, Any]]:
    """An employer's invoices, newest month first."""
    return [dict(r) | {"outstanding": int(r["amount"]) - int(r["paid"])}
            for r in conn.execute(
                select(INV).where(INV.c.employer_id == employer_id)
                .order_by(INV.c.period.desc(), INV.c.kind, INV.c.sequence.desc())
                .limit(limit)).mappings()]


def invoice(conn: Connection, actor: Actor, invoice_id: int, account: str) -> dict[str, Any]:
    """One invoice (the actor may read its employer), with its KHQR string and allocations."""
    row = conn.execute(select(INV).where(INV.c.id == invoice_id)).mappings().first()
    missing = NotFound(f"there is no invoice {invoice_id} that you may see",
                       f"មិនមានវិក្កយបត្រ {invoice_id} ដែលអ្នកអាចមើលបានទេ")
    if row is None:
        raise missing
    try:
        employer = employer_for(conn, actor, int(row["employer_id"]), write=False)
    except NotFound:
        raise missing from None
    out = dict(row) | {"outstanding": int(row["amount"]) - int(row["paid"]),
                       "employer_number": employer["employer_number"],
                       "employer_name": employer["name"]}
    out["khqr"] = khqr(account, employer["employer_number"], out)
    out["allocations"] = [dict(r) for r in conn.execute(
        select(AL.c.payment_id, AL.c.amount, P.c.received_on, P.c.reference)
        .join(P, P.c.id == AL.c.payment_id).where(AL.c.invoice_id == invoice_id)
        .order_by(AL.c.payment_id)).mappings()]
    return out


def record_payment(conn: Connection, actor: Actor, employer_id: int, amount: int,
                   currency: str, received_on: date, reference: str,
                   channel: str) -> dict[str, Any]:
    """Money received from an employer, spread over its debts oldest first (full, partial or
    over: what is left over stays on the payment as a credit)."""
    require_role(actor, *WRITERS)
    employer_for(conn, actor, employer_id, write=True)
    if currency != "KHR":
        raise m.bad("currency", "unsupported", "currency: contributions are paid in KHR",
                    "currency៖ ភាគទានត្រូវបង់ជាប្រាក់រៀល")
    debts = [m.Debt(int(r.id), r.due_date, int(r.amount) - int(r.paid)) for r in conn.execute(
        select(INV.c.id, INV.c.due_date, INV.c.amount, INV.c.paid)
        .where(INV.c.employer_id == employer_id, INV.c.amount > INV.c.paid)
        .with_for_update())]
    allocations, left = m.allocate(amount, debts)
    try:
        with conn.begin_nested():
            pid = int(conn.execute(insert(P).values(
                employer_id=employer_id, received_on=received_on, amount=amount,
                currency=currency, reference=reference, channel=channel, unallocated=left,
                **audit_values(actor.username)).returning(P.c.id)).scalar_one())
    except IntegrityError:
        raise Conflict(f"payment {reference} of this employer is already recorded",
                       f"ការបង់ប្រាក់ {reference} របស់និយោជកនេះបានកត់ត្រារួចហើយ") from None
    now = utcnow()
    for invoice_id, part in allocations:
        conn.execute(insert(AL).values(payment_id=pid, invoice_id=invoice_id, amount=part,
                                       created_at=now))
        paid = INV.c.paid + part
        conn.execute(update(INV).where(INV.c.id == invoice_id).values(
            paid=paid, state=case((paid >= INV.c.amount, "paid"), else_="partly_paid"),
            version=INV.c.version + 1, updated_at=now, updated_by=actor.username))
    log_change(conn, "fund_payment", pid, 1, "create", actor.username, None,
               {"amount": [None, amount], "allocations": [None, allocations],
                "unallocated": [None, left]})
    return {"payment_id": pid, "allocations": [{"invoice_id": i, "amount": a}
                                               for i, a in allocations],
            "unallocated": left}


def payments(conn: Connection, employer_id: int, limit: int = 60) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        select(P).where(P.c.employer_id == employer_id)
        .order_by(P.c.received_on.desc(), P.c.id.desc()).limit(limit)).mappings()]


def arrears(conn: Connection, actor: Actor, on: date,
            employer_id: int | None = None) -> list[dict[str, Any]]:
    """What each employer owes past its due dates on ``on``: the amount, the oldest due date,
    the months late and the surcharge that would bear at ``on``'s rate (computed per
    invoice)."""
    if employer_id is None:
        require_role(actor, *READERS)
    else:
        employer_for(conn, actor, employer_id, write=False)
    q = (select(INV.c.id, INV.c.employer_id, INV.c.period, INV.c.due_date,
                (INV.c.amount - INV.c.paid).label("owed"), E.c.employer_number, E.c.name,
                E.c.village_code)
         .join(E, E.c.id == INV.c.employer_id)
         .where(INV.c.amount > INV.c.paid, INV.c.due_date < on)
         .order_by(INV.c.employer_id, INV.c.due_date))
    if employer_id is not None:
        q = q.where(INV.c.employer_id == employer_id)
    rate = surcharge_rate(on)
    out: dict[int, dict[str, Any]] = {}
    for r in conn.execute(q).mappings():
        if employer_id is None and not scope.covers(actor.scope, r["village_code"]):
            continue
        e = out.setdefault(int(r["employer_id"]), {
            "employer_id": int(r["employer_id"]), "employer_number": r["employer_number"],
            "name": r["name"], "owed": 0, "oldest_due": r["due_date"], "months_late": 0,
            "surcharge": 0, "currency": "KHR", "invoices": 0})
        e["owed"] += int(r["owed"])
        e["invoices"] += 1
        e["months_late"] = max(e["months_late"], m.months_late(r["due_date"], on))
        e["surcharge"] += m.surcharge(int(r["owed"]), rate, r["due_date"], on)
    return sorted(out.values(), key=lambda x: (-x["owed"], x["employer_id"]))


def totals(conn: Connection, employer_id: int) -> dict[str, int]:
    """An employer's invoiced, paid and unallocated totals."""
    invoiced, paid = conn.execute(select(func.coalesce(func.sum(INV.c.amount), 0),
                                         func.coalesce(func.sum(INV.c.paid), 0))
                                  .where(INV.c.employer_id == employer_id)).one()
    credit = conn.execute(select(func.coalesce(func.sum(P.c.unallocated), 0))
                          .where(P.c.employer_id == employer_id)).scalar_one()
    return {"invoiced": int(invoiced), "paid": int(paid), "credit": int(credit)}
