"""The complainants' outbox: a message (Khmer and English) is queued in the transaction of each
status change, and ``deliver`` hands the queued ones to a ``Sender``.

No SMS gateway is configured in SPMIS yet, so the default sender (``LogSender``) writes each
message to the log (the phone number masked) and marks it ``logged``: it never claims to have
sent it. A gateway is a class with the same ``send`` method returning ``sent`` or raising.
(The payments capability has an outbox of its own, keyed by household; a grievance may have no
household and no contact, so it keeps its own until the two are merged into one notification
service.)"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, bindparam, insert, select, update

from spmis.crypto import FieldCipher
from spmis.db.base import utcnow
from spmis.grievances.model import message_texts
from spmis.grievances.store import grievance, grievance_message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    id: int
    ticket: str
    event: str
    text_en: str
    text_km: str
    phone: str | None


class Sender(Protocol):
    def send(self, message: Message) -> str:
        """Hand ``message`` on; returns the state it ends in (``sent``, ``logged``,
        ``no_contact``) or raises to leave it ``failed`` with the reason."""


class LogSender:
    """Writes each message to the log; nothing leaves SPMIS."""

    def send(self, message: Message) -> str:
        if not message.phone:
            log.info("grievance %s: %s message kept for the follow-up page (no contact given)",
                     message.ticket, message.event)
            return "no_contact"
        masked = "*" * max(0, len(message.phone) - 3) + message.phone[-3:]
        log.info("grievance %s: %s message for %s NOT SENT (no SMS gateway configured): %s",
                 message.ticket, message.event, masked, message.text_en)
        return "logged"


def queue(conn: Connection, items: Sequence[tuple[int, str, str, str]],
          at: datetime | None = None) -> None:
    """Queue one message per (grievance id, ticket, event, reason), one statement."""
    if not items:
        return
    now = at or utcnow()
    rows = []
    for gid, ticket, event, reason in items:
        en, km = message_texts(event, ticket, reason)
        rows.append({"grievance_id": gid, "event": event, "text_en": en, "text_km": km,
                     "state": "queued", "created_at": now, "attempts": 0})
    conn.execute(insert(grievance_message), rows)


def deliver(conn: Connection, cipher: FieldCipher, sender: Sender,
            limit: int = 500) -> dict[str, int]:
    """Hand up to ``limit`` queued messages to ``sender``; returns how many ended in each
    state."""
    m, g = grievance_message, grievance
    rows = conn.execute(
        select(m.c.id, m.c.event, m.c.text_en, m.c.text_km, m.c.attempts, g.c.ticket,
               g.c.phone_enc)
        .join(g, g.c.id == m.c.grievance_id)
        .where(m.c.state.in_(("queued", "failed")), m.c.attempts < 5)
        .order_by(m.c.id).limit(limit)).mappings().all()
    now, results = utcnow(), []
    counts: dict[str, int] = {}
    for r in rows:
        phone = cipher.decrypt(r["phone_enc"], "grievance.phone") if r["phone_enc"] else None
        message = Message(r["id"], r["ticket"], r["event"], r["text_en"], r["text_km"], phone)
        try:
            state, error = sender.send(message), None
        except Exception as exc:  # a gateway's failure is recorded, never lost
            state, error = "failed", str(exc)[:500]
        counts[state] = counts.get(state, 0) + 1
        results.append({"mid": r["id"], "state": state, "handled_at": now,
                        "attempts": r["attempts"] + 1, "last_error": error})
    if results:
        conn.execute(update(m).where(m.c.id == bindparam("mid")).values(
            state=bindparam("state"), handled_at=bindparam("handled_at"),
            attempts=bindparam("attempts"), last_error=bindparam("last_error")), results)
    return counts


def messages_of(conn: Connection, grievance_id: int) -> list[dict[str, object]]:
    """A grievance's messages, oldest first (for staff and tests)."""
    m = grievance_message
    return [dict(r) for r in conn.execute(
        select(m.c.id, m.c.event, m.c.text_en, m.c.text_km, m.c.state, m.c.created_at)
        .where(m.c.grievance_id == grievance_id).order_by(m.c.id)).mappings()]
