"""SPMIS as the caller: receive other registries' signed callbacks and notifications into the
(encrypted) inbox, read it (logged), list transactions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from spmis.auth import access
from spmis.auth.model import Actor
from spmis.interop import model as m
from spmis.interop import signing
from spmis.interop.envelope import (
    Envelopes,
    Reply,
    new_id,
)
from spmis.interop.store import (
    INBOX_CONTEXT,
    dci_inbox,
    dci_transaction,
)


class Inbox(Envelopes):
    """Receiving callbacks."""

    # ------------------------------------------------------------ receiving callbacks
    def receive(self, envelope: Any, action: str, actor: Actor) -> Reply:
        """on-search, on-subscribe, on-unsubscribe, txn/on-status and notify from a peer:
        verify, keep (encrypted) in the inbox, acknowledge."""
        now = self.now()
        try:
            if not isinstance(envelope, Mapping) or not isinstance(envelope.get("header"),
                                                                   Mapping):
                raise m.EnvelopeError("err.request.bad", "header",
                                      "is required and must be an object")
            header = envelope["header"]
            if header.get("action") != action:
                raise m.EnvelopeError("rjct.action.invalid", "header.action",
                                      f"must be {action!r} on this endpoint")
            if header.get("status") not in {s.value for s in m.Status}:
                raise m.EnvelopeError("err.request.bad", "header.status",
                                      "is required: rcvd, pdng, succ or rjct")
            for name in ("message_id", "sender_id"):
                if not isinstance(header.get(name), str) or not header[name]:
                    raise m.EnvelopeError("err.request.bad", f"header.{name}", "is required")
            if m.parse_timestamp(header.get("message_ts")) is None:
                raise m.EnvelopeError("rjct.message_ts.invalid", "header.message_ts",
                                      "is required: an ISO 8601 date-time with a time zone")
            peer = str(header["sender_id"])
            self._bind_client(peer, actor)
            self.verify(envelope)
        except m.EnvelopeError as exc:
            return self.ack_error(exc.code, exc.detail)
        except signing.SignatureError as exc:
            return self.ack_error(exc.code, str(exc), 401)
        message = envelope.get("message")
        tid = message.get("transaction_id") if isinstance(message, Mapping) else None
        corr = message.get("correlation_id") if isinstance(message, Mapping) else None
        try:
            with self._uow() as uow:
                uow.conn.execute(insert(dci_inbox).values(
                    peer=peer, action=action, transaction_id=str(tid or "")[:99],
                    correlation_id=str(corr)[:99] if corr else None,
                    message_id=str(header["message_id"])[:99], received_at=now,
                    message_enc=self.ctx.cipher.encrypt(json.dumps(envelope), INBOX_CONTEXT)))
                uow.conn.execute(insert(dci_transaction).values(
                    direction="in", peer=peer, action=action,
                    message_id=str(header["message_id"])[:99],
                    transaction_id=str(tid or "")[:99], correlation_id=new_id("corr"),
                    status=m.Status.RCVD.value, attempts=0, created_at=now, updated_at=now))
                uow.commit()
        except IntegrityError:
            return self.ack_error("rjct.message_id.duplicate",
                                  "header.message_id: this message was already received")
        return self.ack(str(corr) if corr else new_id("corr"))

    def inbox(self, peer: str | None = None, action: str | None = None,
              transaction_id: str | None = None, limit: int = 100, reader: str = "system",
              reason: str = "DCI inbox read") -> list[dict[str, Any]]:
        """Received callbacks, newest first, decrypted (they hold other registries' personal
        data: each row read is written to the access log as ``dci_inbox``)."""
        query = select(dci_inbox).order_by(dci_inbox.c.id.desc()).limit(limit)
        if peer:
            query = query.where(dci_inbox.c.peer == peer)
        if action:
            query = query.where(dci_inbox.c.action == action)
        if transaction_id:
            query = query.where(dci_inbox.c.transaction_id == transaction_id)
        with self._uow() as uow:
            rows = uow.conn.execute(query).all()
            if rows:
                now = self.now()
                access.log_reads(uow.conn, reader, "dci_inbox",
                                 {r.id: "message" for r in rows}, reason, at=now)
                uow.commit()
        return [{"id": r.id, "peer": r.peer, "action": r.action,
                 "transaction_id": r.transaction_id, "received_at": m.iso(r.received_at),
                 "envelope": json.loads(self.ctx.cipher.decrypt(r.message_enc, INBOX_CONTEXT))}
                for r in rows]

    def transactions(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._uow() as uow:
            rows = uow.conn.execute(select(
                dci_transaction.c.direction, dci_transaction.c.peer, dci_transaction.c.action,
                dci_transaction.c.transaction_id, dci_transaction.c.correlation_id,
                dci_transaction.c.status, dci_transaction.c.status_reason_code,
                dci_transaction.c.status_reason_message, dci_transaction.c.updated_at,
            ).order_by(dci_transaction.c.id.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]
