"""Notifications of registry changes to subscribers, driven by the registry's ``change_log``.

One run (``spmis dci notify``, or a scheduler calling ``Notifier.run``):

1. reads the newest ``change_log`` id (the run's high mark);
2. for each active subscription, finds in ONE query the persons touched by change_log rows after
   the subscription's watermark (``last_change_id``) up to the high mark — a person changed, or
   the household they live in changed (only person creations for ``NewHouseHoldMember``) — that
   match the subscription's filter, the subscriber's scope and consent;
3. sends ONE ``notify`` message per subscriber with a ``notify_event`` per (subscription,
   record), signed, to the subscriber's ``/registry/notify``;
4. moves the watermarks of that subscriber's subscriptions to the high mark only when the
   subscriber acknowledged. A run that fails is repeated by the next; a run with nothing new sends
   nothing and changes nothing (idempotent).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from spmis.auth.model import Actor
from spmis.db.history import change_log
from spmis.interop import model as m
from spmis.interop.records import Disclosure
from spmis.interop.service import REG_TYPE, DciService, new_id
from spmis.interop.store import CRITERIA_CONTEXT, dci_subscription, dci_transaction
from spmis.interop.transport import DeliveryError
from spmis.registry import queries

#: the registry's person table, read-only (``spmis.registry.queries``)
person = queries.people()

#: the most records one subscription contributes to one run; the rest follow in the next run
MAX_RECORDS_PER_RUN = 1000


@dataclass
class NotifyRun:
    """What one run did."""

    high_mark: int = 0
    subscribers: int = 0
    events: int = 0
    delivered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class Notifier:
    """Sends change notifications to subscribers (see module docstring)."""

    def __init__(self, service: DciService) -> None:
        self.service = service
        self.ctx = service.ctx

    def _changed_persons(self, low: int, high: int, new_members_only: bool) -> Any:
        """Persons touched by change_log rows in (low, high], as a sub-select."""
        in_range = and_(change_log.c.id > low, change_log.c.id <= high)
        persons = select(change_log.c.entity_id).where(in_range,
                                                       change_log.c.entity_type == "person")
        if new_members_only:
            return person.c.id.in_(persons.where(change_log.c.action == "create"))
        households = select(change_log.c.entity_id).where(
            in_range, change_log.c.entity_type == "household")
        return or_(person.c.id.in_(persons), person.c.household_id.in_(households))

    def _events(self, conn: Connection, sub: Any, high: int) -> list[dict[str, Any]]:
        stored = json.loads(self.ctx.cipher.decrypt(sub.criteria_enc, CRITERIA_CONTEXT))
        criteria = m.parse_criteria(stored["criteria"], "subscribe_criteria",
                                    MAX_RECORDS_PER_RUN, MAX_RECORDS_PER_RUN,
                                    "filter", "filter_type")
        criteria = m.Criteria(criteria.query_type, criteria.expr, criteria.entity,
                              MAX_RECORDS_PER_RUN, 1, (), criteria.purpose,
                              criteria.reg_event_type)
        actor = Actor(stored["actor"], frozenset(stored["roles"]), stored["scope"])
        disclosure = Disclosure(actor.username, f"DCI notification of subscription {sub.code}")
        changed = self._changed_persons(int(sub.last_change_id), high,
                                        sub.reg_event_type == "NewHouseHoldMember")
        records, _total = self.service.run_criteria(conn, criteria, actor, disclosure, changed)
        now = m.iso(self.service.now())
        return [{"reference_id": f"{sub.code}:{high}:{i}", "timestamp": now, "data": {
            "version": m.VERSION, "reg_type": REG_TYPE, "reg_event_type": sub.reg_event_type,
            "response_entity": sub.response_entity, "reg_records": record}}
            for i, record in enumerate(records)]

    def run(self) -> NotifyRun:
        """One notification run over every active subscription."""
        result = NotifyRun()
        with self.service._uow() as uow:
            conn = uow.conn
            high = int(conn.scalar(select(func.coalesce(func.max(change_log.c.id), 0))) or 0)
            subs = conn.execute(select(dci_subscription).where(
                dci_subscription.c.status == "subscribe",
                dci_subscription.c.last_change_id < high).order_by(
                    dci_subscription.c.subscriber, dci_subscription.c.id)).all()
            by_subscriber: dict[str, list[Any]] = {}
            for sub in subs:
                by_subscriber.setdefault(sub.subscriber, []).append(sub)
            batches = {who: [e for sub in group for e in self._events(conn, sub, high)]
                       for who, group in by_subscriber.items()}
            uow.commit()  # the access-log rows of the decrypted identifiers
        result.high_mark = high
        for subscriber, events in batches.items():
            codes = [s.code for s in by_subscriber[subscriber]]
            if events:
                result.subscribers += 1
                result.events += len(events)
                error = self._send(subscriber, by_subscriber[subscriber][0].notify_uri, events)
                if error:
                    result.failed[subscriber] = error
                    continue
                result.delivered.append(subscriber)
            with self.service._uow() as uow:
                uow.conn.execute(update(dci_subscription).where(
                    dci_subscription.c.code.in_(codes)).values(last_change_id=high))
                uow.commit()
        return result

    def _send(self, subscriber: str, url: str, events: list[dict[str, Any]]) -> str | None:
        """Deliver one notify message; the error text, or None when acknowledged."""
        service = self.service
        message = {"transaction_id": new_id("ntf"), "notify_event": events}
        header = service.callback_header("notify", subscriber, m.Status.SUCC, len(events),
                                         len(events))
        envelope = service.seal(header, message)
        now = service.now()
        status, reason = m.Status.SUCC, None
        try:
            resp = service.transport.post(service.keys.peer(subscriber), url, envelope)
            if not 200 <= resp.status_code < 300:
                status, reason = m.Status.RJCT, f"HTTP {resp.status_code}: {resp.text[:300]}"
        except DeliveryError as exc:
            status, reason = m.Status.PDNG, str(exc)
        with service._uow() as uow:
            uow.conn.execute(insert(dci_transaction).values(
                direction="out", peer=subscriber, action="notify",
                message_id=header["message_id"], transaction_id=message["transaction_id"],
                correlation_id=new_id("corr"), status=status.value,
                status_reason_message=reason[:999] if reason else None,
                result={"events": len(events)}, attempts=1, created_at=now, updated_at=now))
            uow.commit()
        return reason
