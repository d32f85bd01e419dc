"""Notifications to beneficiaries: an SMS or a letter, in Khmer and English, when a household is
enrolled, a payment is sent, a payment failed, or an enrolment ends. They are written to the
``notification_outbox`` table set-based (one INSERT ... SELECT per event and batch, in the
transaction of the change they tell about), and a sender delivers them later.

Channel: an SMS when the recipient has a phone number in the registry, a letter otherwise.

``Sender`` is the interface to a real gateway. The default, ``LogSender``, writes each text to
the log and marks it ``logged``: it never claims that anything was sent. Only a sender that
reports a delivery makes an item ``sent``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, String, case, cast, func, insert, literal, select, update
from sqlalchemy.sql import ColumnElement

from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.payments.delivery_store import payment_account, reconciliation_line
from spmis.payments.model import EXIT_REASON_TEXT
from spmis.payments.store import beneficiary, entitlement, notification_outbox, programme
from spmis.registry import queries as registry

__all__ = [
    "EVENTS",
    "TEXTS",
    "Delivery",
    "LogSender",
    "OutboxItem",
    "Sender",
    "deliver",
    "outbox",
    "queue_enrolled",
    "queue_exit",
    "queue_for_reconciliation",
    "render",
]

log = logging.getLogger(__name__)

EVENTS = ("enrolled", "payment_sent", "payment_failed", "exit")
#: event -> (English, Khmer); {programme}/{programme_km}, {amount}, {currency}, {period},
#: {date}, {reason}/{reason_km} are filled in from the rows
TEXTS: dict[str, tuple[str, str]] = {
    "enrolled": ("{programme}: you are enrolled. Payments come to your account each cycle.",
                 "{programme_km}៖ អ្នកត្រូវបានចុះឈ្មោះ។ ប្រាក់ឧបត្ថម្ភនឹងផ្ញើចូលគណនីរបស់អ្នកតាមវដ្ត។"),
    "payment_sent": ("{programme}: your payment of {amount} {currency} for {period} was sent "
                     "on {date}.",
                     "{programme_km}៖ ប្រាក់ឧបត្ថម្ភ {amount} {currency} សម្រាប់ខែ {period} "
                     "ត្រូវបានផ្ញើនៅថ្ងៃ {date}។"),
    "payment_failed": ("{programme}: your payment of {amount} {currency} for {period} could "
                       "not be made ({reason}). The programme office will contact you.",
                       "{programme_km}៖ ប្រាក់ឧបត្ថម្ភ {amount} {currency} សម្រាប់ខែ {period} "
                       "មិនអាចផ្ញើបានទេ ({reason})។ ការិយាល័យកម្មវិធីនឹងទាក់ទងអ្នក។"),
    "exit": ("{programme}: your enrolment has ended: {reason}.",
             "{programme_km}៖ ការចុះឈ្មោះរបស់អ្នកបានបញ្ចប់៖ {reason_km}។"),
}
_FIELD = re.compile(r"\{(\w+)\}")


def render(template: str, values: Mapping[str, Any]) -> str:
    """A text with its fields filled in (Python; the outbox is filled by ``_sql_text``)."""
    return _FIELD.sub(lambda m: str(values[m.group(1)]), template)


def _sql_text(template: str, columns: Mapping[str, ColumnElement[Any]]) -> ColumnElement[str]:
    """``template`` as one SQL string expression: literals and columns joined with ``||``."""
    parts: list[ColumnElement[Any]] = []
    pos = 0
    for m in _FIELD.finditer(template):
        if m.start() > pos:
            parts.append(literal(template[pos:m.start()], String))
        parts.append(cast(columns[m.group(1)], String))
        pos = m.end()
    if pos < len(template):
        parts.append(literal(template[pos:], String))
    out = parts[0]
    for p in parts[1:]:
        out = out.op("||")(p)
    return out


def _channel(person_id: ColumnElement[Any]) -> ColumnElement[str]:
    ids = registry.identifiers()
    has_phone = select(ids.c.id).where(ids.c.person_id == person_id,
                                       ids.c.id_type == "phone").exists()
    return case((has_phone, literal("sms")), else_=literal("letter"))


def _insert(conn: Connection, event: str, query: Any) -> int:
    cols = ["event", "channel", "household_id", "beneficiary_id", "programme_id", "text_en",
            "text_km", "state", "created_at", "attempts"]
    done = conn.execute(insert(notification_outbox).from_select(cols, query)).rowcount
    if done is None or done < 0:  # a driver that does not count an INSERT ... SELECT
        done = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    return int(done)


def queue_for_reconciliation(conn: Connection, rec_id: int) -> int:
    """'payment sent' / 'payment failed' for every line of an applied reconciliation."""
    rl = reconciliation_line
    now = utcnow()
    total = 0
    for outcome, event in (("paid", "payment_sent"), ("failed", "payment_failed")):
        fields: dict[str, ColumnElement[Any]] = {
            "programme": programme.c.name_en, "programme_km": programme.c.name_km,
            "amount": entitlement.c.amount, "currency": entitlement.c.currency,
            "period": entitlement.c.period, "date": rl.c.settled_on,
            "reason": rl.c.reason}
        en, km = TEXTS[event]
        query = (
            select(literal(event), _channel(payment_account.c.holder_person_id),
                   entitlement.c.household_id, entitlement.c.beneficiary_id,
                   entitlement.c.programme_id, _sql_text(en, fields), _sql_text(km, fields),
                   literal("queued"), literal(now), literal(0))
            .select_from(rl.join(entitlement, entitlement.c.id == rl.c.entitlement_id)
                         .join(programme, programme.c.id == entitlement.c.programme_id)
                         .outerjoin(payment_account, (payment_account.c.beneficiary_id
                                                      == entitlement.c.beneficiary_id)
                                    & payment_account.c.active.is_(True)))
            .where(rl.c.reconciliation_id == rec_id, rl.c.outcome == outcome))
        total += _insert(conn, event, query)
    return total


def _beneficiary_query(event: str, beneficiary_ids: Any, reason: str | None) -> Any:
    fields: dict[str, ColumnElement[Any]] = {
        "programme": programme.c.name_en, "programme_km": programme.c.name_km}
    if reason is not None:
        en_reason, km_reason = EXIT_REASON_TEXT.get(reason, (reason, reason))
        fields["reason"] = literal(en_reason)
        fields["reason_km"] = literal(km_reason)
    en, km = TEXTS[event]
    person = case((beneficiary.c.entity == "person", beneficiary.c.entity_id), else_=None)
    return (select(literal(event), _channel(person), beneficiary.c.household_id,
                   beneficiary.c.id, beneficiary.c.programme_id, _sql_text(en, fields),
                   _sql_text(km, fields), literal("queued"), literal(utcnow()), literal(0))
            .select_from(beneficiary.join(programme,
                                          programme.c.id == beneficiary.c.programme_id))
            .where(beneficiary.c.id.in_(beneficiary_ids)))


def queue_enrolled(conn: Connection, beneficiary_ids: Any) -> int:
    """'enrolled' for ``beneficiary_ids`` (a list, or a SELECT of ids for set-based use)."""
    return _insert(conn, "enrolled", _beneficiary_query("enrolled", beneficiary_ids, None))


def queue_exit(conn: Connection, beneficiary_ids: Any, reason: str) -> int:
    """'exit' with the reason (an ``ExitReason``, told in both languages)."""
    return _insert(conn, "exit", _beneficiary_query("exit", beneficiary_ids, reason))


# ------------------------------------------------------------------------------ delivery
@dataclass(frozen=True)
class OutboxItem:
    id: int
    event: str
    channel: str
    household_id: int
    text_en: str
    text_km: str


@dataclass(frozen=True)
class Delivery:
    """What a sender did: ``sent`` only when a gateway accepted the message."""

    sent: bool
    detail: str = ""


class Sender(Protocol):
    name: str

    def send(self, item: OutboxItem) -> Delivery:
        """Deliver one item; raise on a failure worth retrying."""


class LogSender:
    """Writes the texts to the log; never claims they were sent."""

    name = "log"

    def send(self, item: OutboxItem) -> Delivery:
        log.info("notification %s (%s, %s) for household %s: %s | %s", item.id, item.event,
                 item.channel, item.household_id, item.text_en, item.text_km)
        return Delivery(sent=False, detail="written to the log only; not sent")


def deliver(ctx: AppContext, sender: Sender, limit: int = 500) -> dict[str, int]:
    """Hand up to ``limit`` queued items to ``sender``: ``sent`` when it delivered,
    ``logged`` when it only recorded them, ``failed`` (with the error) when it raised."""
    out = {"sent": 0, "logged": 0, "failed": 0}
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(notification_outbox).where(
            notification_outbox.c.state == "queued").order_by(notification_outbox.c.id)
            .limit(limit)).mappings().all()
    for r in rows:
        item = OutboxItem(r["id"], r["event"], r["channel"], r["household_id"],
                          r["text_en"], r["text_km"])
        values: dict[str, Any] = {"attempts": notification_outbox.c.attempts + 1}
        try:
            done = sender.send(item)
        except Exception as exc:  # a gateway's failure: recorded, the rest go on
            values.update(state="failed", last_error=str(exc)[:500])
        else:
            values.update(state="sent" if done.sent else "logged", last_error=done.detail,
                          sent_at=utcnow() if done.sent else None)
        out[values["state"]] += 1
        with ctx.engine.begin() as conn:
            conn.execute(update(notification_outbox).where(
                notification_outbox.c.id == r["id"],
                notification_outbox.c.state == "queued").values(**values))
    return out



def outbox(ctx: AppContext, state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Outbox items, newest first (``state``: queued, logged, sent, failed)."""
    q = select(notification_outbox).order_by(notification_outbox.c.id.desc()).limit(limit)
    if state:
        q = q.where(notification_outbox.c.state == state)
    with ctx.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
