"""DCI use cases on the registry side: search (sync and async), subscribe, unsubscribe,
transaction status; and on the caller side, receiving callbacks (on-search, notify, ...).

Every request goes through ``open_request``: the header is checked against the spec, the
signature verified with the sender's registered key, the sender bound to the API client that
authenticated, and the message_id recorded so a replay is refused. Results are ``Reply`` objects
(HTTP status + JSON body) in the spec's shapes:

- sync endpoints answer with a signed envelope ``{signature, header, message}`` whose header is
  a ``MsgCallbackHeader`` (status ``succ``, or ``rjct`` with a ``MsgHeaderStatusReasonCode``);
- async endpoints answer with the acknowledgement ``{"message": {ack_status, timestamp,
  correlation_id[, error]}}`` and deliver the result later to the caller (``Delivery``);
- a bad signature gets HTTP 401 ``{"errors": [{code: err.signature.*, message}]}``.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from spmis.auth.model import Actor
from spmis.auth.store import access_log
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.uow import UnitOfWork
from spmis.interop import model as m
from spmis.interop import signing
from spmis.interop.peers import KeyRing
from spmis.interop.records import Disclosure, household_records, person_records
from spmis.interop.store import (
    CRITERIA_CONTEXT,
    INBOX_CONTEXT,
    REQUEST_CONTEXT,
    compile_expr,
    dci_inbox,
    dci_peer,
    dci_subscription,
    dci_transaction,
    identifier_values,
    person_filter,
)
from spmis.interop.transport import DeliveryError, Peer, Transport
from spmis.registry.identifiers import normalise
from spmis.registry.model import IdentifierType
from spmis.registry.store import change_log, household, person

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


class DciService:
    """The registry's DCI endpoints and the caller's callback endpoints."""

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
        registered base URL (never anywhere else), else the spec's path under that base URL."""
        base = self.keys.peer(peer).base_url.rstrip("/")
        uri = header.get("sender_uri")
        if uri is None:
            return base + CALLBACK_PATHS[action]
        if not (uri == base or str(uri).startswith(base + "/")):
            raise m.EnvelopeError("err.sender_uri.invalid", "header.sender_uri",
                                  "must lie under the base URL registered for this sender")
        return str(uri)

    # ------------------------------------------------------------ search
    def _blind(self, id_type: str, raw: str) -> str | None:
        value = normalise(IdentifierType(id_type), raw)
        return None if value is None else self.ctx.cipher.blind_index(value, id_type)

    def _search_one(self, conn: Connection, item: Any, index: int, seen: set[str],
                    actor: Actor, disclosure: Disclosure) -> dict[str, Any]:
        settings = self.ctx.settings
        ref = item.get("reference_id") if isinstance(item, Mapping) else None
        ref = ref if isinstance(ref, str) and ref else str(index)
        base = {"reference_id": ref, "timestamp": m.iso(self.now())}
        try:
            ref, raw = m.batch_item(item, index, "search_request", "search_criteria", seen)
            criteria = m.parse_criteria(raw, f"message.search_request[{index}].search_criteria",
                                        settings.default_page_size, settings.max_page_size)
        except m.CriteriaError as exc:
            return {**base, "status": m.Status.RJCT.value, "status_reason_code": exc.code,
                    "status_reason_message": exc.detail[:999]}
        records, total = self.run_criteria(conn, criteria, actor, disclosure)
        return {**base, "reference_id": ref, "status": m.Status.SUCC.value,
                "data": {"version": m.VERSION, "reg_records": records},
                "pagination": {"page_size": criteria.page_size,
                               "page_number": criteria.page_number, "total_count": total}}

    def run_criteria(self, conn: Connection, criteria: m.Criteria, actor: Actor,
                     disclosure: Disclosure,
                     extra: Any = None) -> tuple[list[dict[str, Any]], int]:
        """One set-based query: the page of records and the total count."""
        hashes = {pair: self._blind(*pair) for pair in identifier_values(criteria.expr)}
        condition = compile_expr(criteria.expr, hashes)
        if extra is not None:
            condition = condition & extra
        where = person_filter(condition, actor.scope, criteria.purpose, self.now().date())
        joined = person.join(household, person.c.household_id == household.c.id)
        offset = (criteria.page_number - 1) * criteria.page_size
        if criteria.entity is m.ResponseEntity.HOUSEHOLD:
            hh = select(household.c.id).select_from(joined).where(where).distinct()
            total = int(conn.scalar(select(func.count()).select_from(hh.subquery())) or 0)
            hids = list(conn.scalars(hh.order_by(household.c.id).limit(criteria.page_size)
                                     .offset(offset)).all())
            members: dict[int, list[int]] = {}
            if hids:
                consenting = person_filter(household.c.id.in_(hids), actor.scope,
                                           criteria.purpose, self.now().date())
                for pid, hid in conn.execute(select(person.c.id, person.c.household_id)
                                             .select_from(joined).where(consenting)
                                             .order_by(person.c.id)).all():
                    members.setdefault(hid, []).append(pid)
            return household_records(conn, self.ctx.cipher, hids, members, disclosure), total
        ids_query = select(person.c.id).select_from(joined).where(where)
        total = int(conn.scalar(select(func.count()).select_from(ids_query.subquery())) or 0)
        columns = {"birth_date": person.c.date_of_birth, "family_name": person.c.family_name_latin,
                   "given_name": person.c.given_name_latin, "id": person.c.id}
        order = [columns[a].desc() if desc else columns[a].asc() for a, desc in criteria.sort]
        ids = list(conn.scalars(ids_query.order_by(*order, person.c.id)
                                .limit(criteria.page_size).offset(offset)).all())
        return person_records(conn, self.ctx.cipher, ids, disclosure), total

    def _search_all(self, message: Mapping[str, Any], items: list[Any], actor: Actor,
                    correlation_id: str, address: str | None) -> dict[str, Any]:
        disclosure = Disclosure(actor.username, f"DCI search {correlation_id} "
                                f"(transaction {message.get('transaction_id')})", address)
        seen: set[str] = set()
        with self._uow() as uow:
            responses = [self._search_one(uow.conn, item, i, seen, actor, disclosure)
                         for i, item in enumerate(items)]
            uow.commit()
        return {"transaction_id": message["transaction_id"], "correlation_id": correlation_id,
                "search_response": responses}

    @staticmethod
    def _summary(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What the transaction keeps of a result: statuses and counts, no personal data."""
        keep = ("reference_id", "timestamp", "status", "status_reason_code",
                "status_reason_message", "pagination")
        return [{k: r[k] for k in keep if k in r} for r in responses]

    def sync_search(self, envelope: Any, actor: Actor, address: str | None = None) -> Reply:
        """POST /registry/sync/search."""
        try:
            opened = self.open_request(envelope, m.Action.SEARCH, "search_request", actor)
            self._record(opened, "search", m.Status.PDNG)
        except m.EnvelopeError as exc:
            return self.sync_reject(exc, envelope, "on-search")
        except signing.SignatureError as exc:
            return self.http_error(exc.code, str(exc), 401)
        message = self._search_all(opened.message, opened.items, actor, opened.correlation_id,
                                   address)
        responses = message["search_response"]
        self._finish(opened.correlation_id, m.Status.SUCC, {"items": self._summary(responses)})
        header = self.callback_header("on-search", opened.peer, m.Status.SUCC,
                                      total_count=len(responses),
                                      completed_count=len(responses))
        return Reply(200, self.seal(header, message))

    def accept_search(self, envelope: Any, actor: Actor,
                      address: str | None = None) -> tuple[Reply, Delivery | None]:
        """POST /registry/search: acknowledge now, search and call back in the background."""
        try:
            opened = self.open_request(envelope, m.Action.SEARCH, "search_request", actor)
            url = self.callback_url(opened.peer, opened.header, m.Action.SEARCH)
            request = {"message": opened.message, "actor": actor.username,
                       "roles": sorted(actor.roles), "scope": actor.scope, "address": address}
            self._record(opened, "search", m.Status.PDNG, url, request)
        except m.EnvelopeError as exc:
            return self.ack_error(exc.code, exc.detail), None
        except signing.SignatureError as exc:
            return self.ack_error(exc.code, str(exc), 401), None
        corr = opened.correlation_id
        return self.ack(corr), Delivery(opened.peer, url, corr,
                                        build=lambda: self._async_result(corr))

    def _async_result(self, correlation_id: str) -> dict[str, Any]:
        with self._uow() as uow:
            row = uow.conn.execute(select(dci_transaction).where(
                dci_transaction.c.correlation_id == correlation_id)).one()
        request = json.loads(self.ctx.cipher.decrypt(row.request_enc, REQUEST_CONTEXT))
        actor = Actor(request["actor"], frozenset(request["roles"]), request["scope"])
        message = self._search_all(request["message"], request["message"]["search_request"],
                                   actor, correlation_id, request.get("address"))
        responses = message["search_response"]
        self._finish(correlation_id, m.Status.PDNG, {"items": self._summary(responses)},
                     reason_message="searched; delivering the result")
        header = self.callback_header("on-search", row.peer, m.Status.SUCC,
                                      total_count=len(responses),
                                      completed_count=len(responses))
        return self.seal(header, message)

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

    # ------------------------------------------------------------ subscriptions
    def subscribe(self, envelope: Any, actor: Actor) -> tuple[Reply, Delivery | None]:
        """POST /registry/subscribe: create the subscriptions, acknowledge, and call back
        ``on-subscribe`` with their codes."""
        try:
            opened = self.open_request(envelope, m.Action.SUBSCRIBE, "subscribe_request", actor)
            url = self.callback_url(opened.peer, opened.header, m.Action.SUBSCRIBE)
            self._record(opened, "subscribe", m.Status.PDNG, url)
        except m.EnvelopeError as exc:
            return self.ack_error(exc.code, exc.detail), None
        except signing.SignatureError as exc:
            return self.ack_error(exc.code, str(exc), 401), None
        notify_url = self.keys.peer(opened.peer).base_url + "/registry/notify"
        seen: set[str] = set()
        with self._uow() as uow:
            top = int(uow.conn.scalar(select(func.coalesce(func.max(change_log.c.id), 0))) or 0)
            responses = [self._subscribe_one(uow.conn, item, i, seen, opened, actor, notify_url,
                                             top) for i, item in enumerate(opened.items)]
            uow.commit()
        self._finish(opened.correlation_id, m.Status.PDNG, {"items": [
            {k: r[k] for k in ("reference_id", "status", "status_reason_code") if k in r}
            for r in responses]})
        message = {"transaction_id": opened.message["transaction_id"],
                   "correlation_id": opened.correlation_id, "subscribe_response": responses}
        header = self.callback_header("on-subscribe", opened.peer, m.Status.SUCC,
                                      len(responses), len(responses))
        return self.ack(opened.correlation_id), Delivery(
            opened.peer, url, opened.correlation_id, envelope=self.seal(header, message))

    def _subscribe_one(self, conn: Connection, item: Any, index: int, seen: set[str],
                       opened: Opened, actor: Actor, notify_url: str,
                       top: int) -> dict[str, Any]:
        settings = self.ctx.settings
        ref = item.get("reference_id") if isinstance(item, Mapping) else None
        base = {"reference_id": ref if isinstance(ref, str) and ref else str(index),
                "timestamp": m.iso(self.now())}
        where = f"message.subscribe_request[{index}].subscribe_criteria"
        try:
            ref, raw = m.batch_item(item, index, "subscribe_request", "subscribe_criteria", seen)
            criteria = m.parse_criteria(raw, where, settings.default_page_size,
                                        settings.max_page_size, "filter", "filter_type")
            if criteria.reg_event_type not in EVENT_TYPES:
                raise m.CriteriaError("rjct.notify_types.invalid", f"{where}.reg_event_type",
                                      f"must be one of {', '.join(EVENT_TYPES)}")
        except m.CriteriaError as exc:
            code = exc.code if exc.code.startswith("rjct.notify") or exc.code in (
                "rjct.reference_id.invalid", "rjct.reference_id.duplicate",
                "rjct.timestamp.invalid") else "rjct.notify_details.invalid"
            return {**base, "status": m.Status.RJCT.value, "status_reason_code": code,
                    "status_reason_message": exc.detail[:999]}
        stored = {"criteria": dict(raw), "actor": actor.username, "scope": actor.scope,
                  "roles": sorted(actor.roles)}
        essence = [opened.peer, raw.get("reg_event_type"), raw.get("filter_type"),
                   raw.get("filter"), criteria.entity.value, criteria.purpose, actor.scope]
        fingerprint = self.ctx.cipher.blind_index(json.dumps(essence, sort_keys=True),
                                                  CRITERIA_CONTEXT)
        code = "sub-" + fingerprint[:24]
        existing = conn.execute(select(dci_subscription.c.status).where(
            dci_subscription.c.code == code)).first()
        if existing is not None and existing.status == "subscribe":
            return {**base, "reference_id": ref, "status": m.Status.RJCT.value,
                    "status_reason_code": "rjct.event.already_subscribed",
                    "status_reason_message": f"{where}: already subscribed as {code}"}
        values = {"subscriber": opened.peer, "notify_uri": notify_url,
                  "reg_event_type": criteria.reg_event_type,
                  "response_entity": criteria.entity.value,
                  "criteria_enc": self.ctx.cipher.encrypt(json.dumps(stored), CRITERIA_CONTEXT),
                  "status": "subscribe", "last_change_id": top, "created_at": self.now(),
                  "ended_at": None}
        if existing is None:
            conn.execute(insert(dci_subscription).values(code=code, **values))
        else:
            conn.execute(update(dci_subscription).where(dci_subscription.c.code == code)
                         .values(**values))
        subscription = {
            "version": m.VERSION, "code": code, "subscription_code": code,
            "status": "subscribe", "timestamp": m.iso(self.now()), "reg_type": REG_TYPE,
            "reg_event_type": criteria.reg_event_type, "filter_type": criteria.query_type,
            "filter": raw.get("filter"), "notify_record_type": NOTIFY_RECORD_TYPE,
            "subscribe_criteria": dict(raw)}
        return {**base, "reference_id": ref, "status": m.Status.SUCC.value,
                "subscriptions": [subscription]}

    def unsubscribe(self, envelope: Any, actor: Actor) -> tuple[Reply, Delivery | None]:
        """POST /registry/unsubscribe: end the sender's subscriptions now, acknowledge, and call
        back ``on-unsubscribe``."""
        try:
            opened = self.open_request(envelope, m.Action.UNSUBSCRIBE, None, actor)
            codes = m.unsubscribe_codes(opened.message)
            url = self.callback_url(opened.peer, opened.header, m.Action.UNSUBSCRIBE)
            self._record(opened, "unsubscribe", m.Status.PDNG, url)
        except m.EnvelopeError as exc:
            return self.ack_error(exc.code, exc.detail), None
        except signing.SignatureError as exc:
            return self.ack_error(exc.code, str(exc), 401), None
        with self._uow() as uow:
            rows = {r.code: r.status for r in uow.conn.execute(
                select(dci_subscription.c.code, dci_subscription.c.status).where(
                    dci_subscription.c.code.in_(list(codes)),
                    dci_subscription.c.subscriber == opened.peer)).all()}
            active = [c for c in codes if rows.get(c) == "subscribe"]
            if active:
                uow.conn.execute(update(dci_subscription).where(
                    dci_subscription.c.code.in_(active)).values(
                        status="unsubscribe", ended_at=self.now()))
            uow.commit()
        unknown = [c for c in codes if c not in rows]
        already = [c for c in codes if rows.get(c) == "unsubscribe"]
        message: dict[str, Any] = {
            "transaction_id": opened.message["transaction_id"],
            "correlation_id": opened.correlation_id, "timestamp": m.iso(self.now()),
            "status": m.Status.SUCC.value if active else m.Status.RJCT.value,
            "subscription_status": [{"code": c, "status": "unsubscribe"} for c in active]}
        if unknown or already:
            message["status_reason_code"] = ("rjct.subscription_code.invalid" if unknown
                                             else "rjct.event.already_unsubscribed")
            message["status_reason_message"] = (
                f"message.subscription_codes: unknown {unknown}" if unknown
                else f"message.subscription_codes: already ended {already}")[:999]
        self._finish(opened.correlation_id, m.Status.PDNG, {"ended": active})
        header = self.callback_header("on-unsubscribe", opened.peer, m.Status.SUCC, len(codes),
                                      len(codes))
        return self.ack(opened.correlation_id), Delivery(
            opened.peer, url, opened.correlation_id, envelope=self.seal(header, message))

    # ------------------------------------------------------------ transaction status
    def _txn_status_message(self, opened: Opened) -> dict[str, Any]:
        request = opened.message.get("txnstatus_request")
        if not isinstance(request, Mapping):
            raise m.EnvelopeError("err.request.bad", "message.txnstatus_request",
                                  "is required and must be an object")
        ref = request.get("reference_id")
        txn_type = request.get("txn_type")
        attr = request.get("attribute_type")
        value = request.get("attribute_value")
        if not isinstance(ref, str) or not ref:
            raise m.EnvelopeError("err.request.bad", "message.txnstatus_request.reference_id",
                                  "is required: a string")
        if txn_type not in ("search", "subscibe", "subscribe", "receipt"):
            raise m.EnvelopeError("err.request.bad", "message.txnstatus_request.txn_type",
                                  "must be search, subscibe or receipt")
        if attr not in ("transaction_id", "reference_id_list", "correlation_id"):
            raise m.EnvelopeError("err.request.bad", "message.txnstatus_request.attribute_type",
                                  "must be transaction_id, reference_id_list or correlation_id")
        wanted_refs: set[str] | None = None
        query = select(dci_transaction).where(dci_transaction.c.direction == "in",
                                              dci_transaction.c.peer == opened.peer,
                                              dci_transaction.c.action ==
                                              ("search" if txn_type == "search" else
                                               "subscribe"))
        if attr == "reference_id_list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise m.EnvelopeError("err.request.bad",
                                      "message.txnstatus_request.attribute_value",
                                      "must be a list of reference ids")
            wanted_refs = set(value)
            query = query.order_by(dci_transaction.c.id.desc()).limit(1000)
        else:
            if not isinstance(value, str):
                raise m.EnvelopeError("err.request.bad",
                                      "message.txnstatus_request.attribute_value",
                                      f"must be the {attr} (a string)")
            column = (dci_transaction.c.transaction_id if attr == "transaction_id"
                      else dci_transaction.c.correlation_id)
            query = query.where(column == value).order_by(dci_transaction.c.id.desc()).limit(1)
        with self._uow() as uow:
            rows = uow.conn.execute(query).mappings().all()
        items: list[dict[str, Any]] = []
        found = rows[0] if rows and wanted_refs is None else None
        for row in rows:
            pending = row["status"] == m.Status.PDNG.value
            for item in (row["result"] or {}).get("items", []):
                if wanted_refs is None or item.get("reference_id") in wanted_refs:
                    status = "pdng" if pending and item.get("status") != "rjct" else item.get(
                        "status")
                    items.append({**item, "status": status})
                    found = found or row
        if found is None:
            items = [{"reference_id": ref, "timestamp": m.iso(self.now()),
                      "status": m.Status.RJCT.value,
                      "status_reason_code": "rjct.reference_id.invalid",
                      "status_reason_message": f"message.txnstatus_request.attribute_value: "
                                               f"no {txn_type} transaction from this sender"}]
        for item in items:
            item.setdefault("timestamp", m.iso(self.now()))
            item.setdefault("reference_id", ref)
            item.pop("subscriptions", None)
            if "status_reason_code" in item and item["status_reason_code"] not in (
                    "rjct.reference_id.invalid", "rjct.reference_id.duplicate",
                    "rjct.timestamp.invalid", "rjct.search_criteria.invalid",
                    "rjct.filter.invalid", "rjct.sort.invalid", "rjct.pagination.invalid",
                    "rjct.search.too_many_records_found"):
                item["status_reason_code"] = "rjct.filter.invalid"
        status = {
            "transaction_id": found["transaction_id"] if found else str(value)[:99],
            "correlation_id": found["correlation_id"] if found else "",
            "search_response": items}
        return {"transaction_id": opened.message["transaction_id"],
                "correlation_id": opened.correlation_id,
                "txnstatus_response": {"txn_type": "search" if txn_type == "search"
                                       else "subscibe", "txn_status": status}}

    def sync_txn_status(self, envelope: Any, actor: Actor) -> Reply:
        """POST /registry/sync/txn/status."""
        try:
            opened = self.open_request(envelope, m.Action.TXN_STATUS, None, actor)
            message = self._txn_status_message(opened)
            self._record(opened, "txn-status", m.Status.SUCC)
        except m.EnvelopeError as exc:
            return self.sync_reject(exc, envelope, "txn-on-status")
        except signing.SignatureError as exc:
            return self.http_error(exc.code, str(exc), 401)
        header = self.callback_header("txn-on-status", opened.peer, m.Status.SUCC, 1, 1)
        return Reply(200, self.seal(header, message))

    def txn_status(self, envelope: Any, actor: Actor) -> tuple[Reply, Delivery | None]:
        """POST /registry/txn/status: acknowledge, answer at the caller's txn/on-status."""
        try:
            opened = self.open_request(envelope, m.Action.TXN_STATUS, None, actor)
            message = self._txn_status_message(opened)
            url = self.callback_url(opened.peer, opened.header, m.Action.TXN_STATUS)
            self._record(opened, "txn-status", m.Status.PDNG, url)
        except m.EnvelopeError as exc:
            return self.ack_error(exc.code, exc.detail), None
        except signing.SignatureError as exc:
            return self.ack_error(exc.code, str(exc), 401), None
        header = self.callback_header("txn-on-status", opened.peer, m.Status.SUCC, 1, 1)
        return self.ack(opened.correlation_id), Delivery(
            opened.peer, url, opened.correlation_id, envelope=self.seal(header, message))

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
                uow.conn.execute(insert(access_log), [
                    {"at": now, "actor": reader[:64], "entity_type": "dci_inbox",
                     "entity_id": r.id, "fields": "message", "reason": reason}
                    for r in rows])
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

    def peer_for(self, sender_id: str) -> Peer:
        return self.keys.peer(sender_id)
