"""DCI subscriptions: ``/registry/subscribe`` and ``/registry/unsubscribe`` (their answers are
POSTed to the caller's ``on-subscribe`` / ``on-unsubscribe``). Notifications: ``notifier``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from spmis.auth.model import Actor
from spmis.db.history import change_log
from spmis.interop import model as m
from spmis.interop import signing
from spmis.interop.envelope import (
    EVENT_TYPES,
    NOTIFY_RECORD_TYPE,
    REG_TYPE,
    Delivery,
    Envelopes,
    Opened,
    Reply,
)
from spmis.interop.store import (
    CRITERIA_CONTEXT,
    dci_subscription,
)


class Subscriptions(Envelopes):
    """Subscribe and unsubscribe."""

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
        essence = [opened.peer, raw.get("reg_event_type"), criteria.query_type,
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
