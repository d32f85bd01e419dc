"""What every DCI use case shares (``Envelopes``; the use cases are in ``spmis.interop.service``
and the modules it names): this registry's identity and signing keys, the transport to peers,
and the envelope of every message.

- ``request_header`` / ``callback_header`` and ``seal`` build a signed envelope
  ``{signature, header, message}``; ``verify`` checks one against the sender's registered key;
- ``open_request`` admits a request: header checked against the spec, signature verified, the
  sender bound to the API client that authenticated, and the ``message_id`` recorded so that a
  replay is refused (``Opened``, or ``model.EnvelopeError``);
- ``ack`` / ``ack_error`` / ``sync_reject`` / ``http_error`` are the answers (``Reply``: HTTP
  status and JSON body): an acknowledgement, a ``MsgCallbackHeader`` rejection with a
  ``MsgHeaderStatusReasonCode`` (``MSG_HEADER_CODES``), or HTTP 401 for a bad signature;
- ``callback_url`` and ``deliver`` post an asynchronous result to the caller (``Delivery``) and
  record the outcome on its transaction (``dci_transaction``).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.uow import UnitOfWork
from spmis.interop import model as m
from spmis.interop import signing
from spmis.interop.peers import KeyRing
from spmis.interop.store import (
    REQUEST_CONTEXT,
    dci_peer,
    dci_transaction,
)
from spmis.interop.transport import DeliveryError, Transport

log = logging.getLogger(__name__)

REG_TYPE = "ns:org:RegistryType:Social"
NOTIFY_RECORD_TYPE = "spdci-extensions-dci:Person"
EVENT_TYPES = ("REGISTER", "NewHouseHoldMember")
CALLBACK_PATHS = {m.Action.SEARCH: "/registry/on-search",
                  m.Action.SUBSCRIBE: "/registry/on-subscribe",
                  m.Action.UNSUBSCRIBE: "/registry/on-unsubscribe",
                  m.Action.TXN_STATUS: "/registry/txn/on-status"}
CALLBACK_ACTIONS = {m.Action.SEARCH: "on-search", m.Action.SUBSCRIBE: "on-subscribe",
                    m.Action.UNSUBSCRIBE: "on-unsubscribe",
                    m.Action.TXN_STATUS: "txn-on-status"}
MSG_HEADER_CODES = frozenset({
    "rjct.version.invalid", "rjct.message_id.duplicate", "rjct.message_ts.invalid",
    "rjct.action.invalid", "rjct.action.not_supported", "rjct.total_count.invalid",
    "rjct.total_count.limit_exceeded", "rjct.errors.too_many"})


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


@dataclass
class Reply:
    """An HTTP answer: status code and JSON body."""

    status_code: int
    body: dict[str, Any]


@dataclass
class Delivery:
    """A callback to POST after the reply: to ``url`` of ``peer``, built by ``build`` (run in the
    background so the search happens after the acknowledgement)."""

    peer: str
    url: str
    correlation_id: str
    build: Callable[[], dict[str, Any]] | None = None
    envelope: dict[str, Any] | None = None


@dataclass
class Opened:
    """A request that passed the envelope checks."""

    header: dict[str, Any]
    message: dict[str, Any]
    items: list[Any]
    peer: str
    correlation_id: str = field(default_factory=lambda: new_id("corr"))


class Envelopes:
    """What every DCI use case shares: identity, keys, transport, envelopes and requests."""

    def __init__(self, ctx: AppContext, transport: Transport | None = None,
                 now: Callable[[], datetime] = utcnow) -> None:
        self.ctx = ctx
        self.keys = KeyRing(ctx)
        self.sender_id = ctx.settings.dci_sender_id
        self.now = now
        self._transport = transport

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            self._transport = Transport()
        return self._transport

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    # ------------------------------------------------------------ envelopes
    def request_header(self, action: str, receiver_id: str, total_count: int,
                       sender_uri: str | None = None) -> dict[str, Any]:
        header: dict[str, Any] = {
            "version": m.VERSION, "message_id": new_id("msg"), "message_ts": m.iso(self.now()),
            "action": action, "sender_id": self.sender_id, "receiver_id": receiver_id,
            "total_count": total_count, "is_msg_encrypted": False}
        if sender_uri:
            header["sender_uri"] = sender_uri
        return header

    def callback_header(self, action: str, receiver_id: str, status: m.Status,
                        total_count: int = 0, completed_count: int = 0,
                        reason_code: str | None = None,
                        reason_message: str | None = None) -> dict[str, Any]:
        header: dict[str, Any] = {
            "version": m.VERSION, "message_id": new_id("msg"), "message_ts": m.iso(self.now()),
            "action": action, "status": status.value, "total_count": total_count,
            "completed_count": completed_count, "sender_id": self.sender_id,
            "receiver_id": receiver_id, "is_msg_encrypted": False}
        if reason_code:
            header["status_reason_code"] = reason_code
        if reason_message:
            header["status_reason_message"] = reason_message[:999]
        return header

    def seal(self, header: dict[str, Any], message: dict[str, Any] | None) -> dict[str, Any]:
        """A signed envelope."""
        key = self.keys.signing_key()
        envelope: dict[str, Any] = {
            "signature": signing.sign(key, self.sender_id, header, message, self.now()),
            "header": header}
        if message is not None:
            envelope["message"] = message
        return envelope

    def verify(self, envelope: Mapping[str, Any], expected_sender: str | None = None) -> None:
        """Verify a received envelope's signature (raises SignatureError)."""
        header = envelope.get("header")
        if not isinstance(header, Mapping):
            raise signing.SignatureError("err.signature.invalid", "header: missing")
        if expected_sender is not None and header.get("sender_id") != expected_sender:
            raise signing.SignatureError("err.signature.invalid",
                                         f"header.sender_id: expected {expected_sender!r}")
        signing.verify(envelope.get("signature"), header, envelope.get("message"), self.now(),
                       self.keys.peer_public_key)

    def ack(self, correlation_id: str) -> Reply:
        return Reply(202, {"message": {"ack_status": "ACK", "timestamp": m.iso(self.now()),
                                       "correlation_id": correlation_id}})

    def ack_error(self, code: str, message: str, status_code: int = 400) -> Reply:
        if not code.startswith("err."):
            message, code = f"{code}: {message}", "err.request.bad"
        return Reply(status_code, {"message": {
            "ack_status": "ERR", "timestamp": m.iso(self.now()), "correlation_id": "",
            "error": {"code": code, "message": message[:999]}}})

    @staticmethod
    def http_error(code: str, message: str, status_code: int) -> Reply:
        return Reply(status_code, {"errors": [{"code": code, "message": message[:999]}]})

    def sync_reject(self, exc: m.EnvelopeError, envelope: Any, action: str) -> Reply:
        """A refused sync request: signed rjct header, or an error object for err.* codes."""
        if exc.code not in MSG_HEADER_CODES:
            return self.http_error(exc.code, exc.detail, 400)
        sender = ""
        if isinstance(envelope, Mapping) and isinstance(envelope.get("header"), Mapping):
            sender = str(envelope["header"].get("sender_id") or "")
        header = self.callback_header(action, sender, m.Status.RJCT, reason_code=exc.code,
                                      reason_message=exc.detail)
        return Reply(400, self.seal(header, None))

    # ------------------------------------------------------------ opening requests
    def _bind_client(self, peer: str, actor: Actor) -> None:
        """The sender must be a registered peer; when the peer is bound to an API client of
        this registry, the caller's bearer token must be that client's."""
        with self._uow() as uow:
            row = uow.conn.execute(select(dci_peer.c.inbound_client, dci_peer.c.active).where(
                dci_peer.c.sender_id == peer)).first()
        if row is None or not row.active:
            raise m.EnvelopeError("err.sender_id.invalid", "header.sender_id",
                                  f"{peer!r} is not a registered peer of this registry")
        if row.inbound_client and actor.username != f"client:{row.inbound_client}":
            raise m.EnvelopeError("err.sender_id.invalid", "header.sender_id",
                                  f"{peer!r} must call with its own API client's token")

    def open_request(self, envelope: Any, action: m.Action, list_field: str | None,
                     actor: Actor) -> Opened:
        """Check header and signature, then record the message (refusing a replay).

        Raises EnvelopeError or SignatureError."""
        header = m.check_header(envelope, action, self.sender_id, self.now())
        peer = str(header["sender_id"])
        self._bind_client(peer, actor)
        self.verify(envelope)
        if list_field is not None:
            message, items = m.message_of(envelope, list_field)
            m.check_header(envelope, action, self.sender_id, self.now(), items=len(items))
        else:
            raw = envelope.get("message")
            if not isinstance(raw, Mapping):
                raise m.EnvelopeError("err.request.bad", "message",
                                      "is required and must be an object")
            tid = raw.get("transaction_id")
            if not isinstance(tid, str) or not tid.strip() or len(tid) > 99:
                raise m.EnvelopeError("err.request.bad", "message.transaction_id",
                                      "is required: a string of 1-99 characters")
            message, items = dict(raw), []
        return Opened(header, message, items, peer)

    def _record(self, opened: Opened, action: str, status: m.Status,
                callback_uri: str | None = None, request: Any = None,
                result: Any = None) -> None:
        """Record a received message; EnvelopeError on a replayed message_id."""
        now = self.now()
        request_enc = (self.ctx.cipher.encrypt(json.dumps(request), REQUEST_CONTEXT)
                       if request is not None else None)
        try:
            with self._uow() as uow:
                uow.conn.execute(insert(dci_transaction).values(
                    direction="in", peer=opened.peer, action=action,
                    message_id=opened.header["message_id"],
                    transaction_id=str(opened.message.get("transaction_id", ""))[:99],
                    correlation_id=opened.correlation_id, status=status.value,
                    callback_uri=callback_uri, request_enc=request_enc, result=result,
                    attempts=0, created_at=now, updated_at=now))
                uow.commit()
        except IntegrityError:
            raise m.EnvelopeError("rjct.message_id.duplicate", "header.message_id",
                                  "this message was already received") from None

    def _finish(self, correlation_id: str, status: m.Status, result: Any = None,
                reason_code: str | None = None, reason_message: str | None = None,
                attempts: int | None = None) -> None:
        values: dict[str, Any] = {"status": status.value, "updated_at": self.now(),
                                  "status_reason_code": reason_code,
                                  "status_reason_message": reason_message[:999]
                                  if reason_message else None}
        if result is not None:
            values["result"] = result
        if attempts is not None:
            values["attempts"] = attempts
        with self._uow() as uow:
            uow.conn.execute(update(dci_transaction).where(
                dci_transaction.c.correlation_id == correlation_id).values(**values))
            uow.commit()

    def callback_url(self, peer: str, header: Mapping[str, Any], action: m.Action) -> str:
        """Where to deliver the result: the header's sender_uri when it lies under the peer's
        registered base URL (never anywhere else: its path is decoded and compared, and dot
        segments are refused; ``model.uri_under``), else the spec's path under that base URL."""
        base = self.keys.peer(peer).base_url.rstrip("/")
        uri = header.get("sender_uri")
        if uri in (None, ""):  # the spec's samples send "" for "none"
            return base + CALLBACK_PATHS[action]
        if not m.uri_under(base, str(uri)):
            raise m.EnvelopeError("err.sender_uri.invalid", "header.sender_uri",
                                  "must lie under the base URL registered for this sender")
        return str(uri)

    def deliver(self, delivery: Delivery) -> bool:
        """POST a callback (retrying briefly); the transaction records the outcome."""
        try:
            envelope = delivery.envelope if delivery.envelope is not None else (
                delivery.build() if delivery.build else None)
        except Exception as exc:  # the search itself failed: record it, never lose the reason
            log.exception("DCI %s failed", delivery.correlation_id)
            self._finish(delivery.correlation_id, m.Status.RJCT,
                         reason_message=f"processing failed: {exc.__class__.__name__}")
            return False
        if envelope is None:
            return False
        try:
            peer = self.keys.peer(delivery.peer)
            resp = self.transport.post(peer, delivery.url, envelope)
        except DeliveryError as exc:
            self._finish(delivery.correlation_id, m.Status.PDNG,
                         reason_message=f"callback not delivered: {exc}")
            return False
        ok = 200 <= resp.status_code < 300
        self._finish(delivery.correlation_id, m.Status.SUCC if ok else m.Status.PDNG,
                     reason_message=None if ok else
                     f"callback refused by the caller (HTTP {resp.status_code})")
        return ok
