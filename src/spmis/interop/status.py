"""DCI transaction status: ``/registry/sync/txn/status`` and ``/registry/txn/status`` (answer at
the caller's ``/registry/txn/on-status``), from ``dci_transaction`` (no personal data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from spmis.auth.model import Actor
from spmis.interop import model as m
from spmis.interop import signing
from spmis.interop.envelope import (
    Delivery,
    Envelopes,
    Opened,
    Reply,
)
from spmis.interop.store import (
    dci_transaction,
)


class TxnStatus(Envelopes):
    """Transaction status."""

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
            # each request keeps the reason code it was answered with: a subscription's is a
            # SubscribeStatusReasonCode, although the spec's txn_status has room only for the
            # search codes (tests/fixtures/dci/README.md lists this gap of the spec)
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
