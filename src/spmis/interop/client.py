"""SPMIS as a DCI client: query another registry (another SPMIS, or any DCI social registry).

The same code path as the registry side: the envelope is built by ``DciService`` (header,
Ed25519 signature with this registry's key), sent by ``Transport`` (OAuth2 client token, httpx),
and a synchronous answer's signature is verified with the peer's registered key before anything
is returned. Asynchronous answers arrive at this registry's callback endpoints and land in the
inbox (``DciService.inbox``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from spmis.interop import model as m
from spmis.interop.service import NOTIFY_RECORD_TYPE, DciService, new_id
from spmis.interop.signing import SignatureError
from spmis.interop.transport import DeliveryError


class PeerAnswerError(RuntimeError):
    """The peer answered with an error, or its answer failed verification."""

    def __init__(self, message: str, status_code: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


def search_criteria(query_type: str, query: Any, *, entity: str | None = None,
                    page_size: int | None = None, page_number: int = 1,
                    purpose: str | None = None, reg_event_type: str | None = None,
                    sort: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """A ``search_criteria`` object of the spec."""
    criteria: dict[str, Any] = {"version": m.VERSION, "query_type": query_type, "query": query}
    if entity:
        criteria["response_entity"] = entity
    if reg_event_type:
        criteria["reg_event_type"] = reg_event_type
    if page_size:
        criteria["pagination"] = {"page_size": page_size, "page_number": page_number}
    if sort:
        criteria["sort"] = sort
    if purpose:
        criteria["consent"] = {"@type": "Consent", "ts": m.iso(datetime.now(UTC)),
                               "purpose": {"code": purpose, "text": purpose}}
    return criteria


class DciClient:
    """Send DCI requests to a registered peer and return its (verified) answers."""

    def __init__(self, service: DciService) -> None:
        self.service = service

    def _send(self, peer_id: str, path: str, header: dict[str, Any],
              message: dict[str, Any]) -> tuple[int, Any]:
        service = self.service
        peer = service.keys.peer(peer_id)
        envelope = service.seal(header, message)
        try:
            resp = service.transport.post(peer, peer.url(path), envelope)
        except DeliveryError as exc:
            raise PeerAnswerError(str(exc), exc.status_code, exc.body) from exc
        try:
            body = resp.json()
        except ValueError:
            raise PeerAnswerError(f"HTTP {resp.status_code}: not JSON", resp.status_code,
                                  resp.text[:500]) from None
        return resp.status_code, body

    def _verified(self, peer_id: str, status: int, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or "header" not in body:
            raise PeerAnswerError(f"HTTP {status}: {body}", status, body)
        try:
            self.service.verify(body, expected_sender=peer_id)
        except SignatureError as exc:
            raise PeerAnswerError(f"the answer's signature does not verify: {exc}", status,
                                  body) from exc
        return body

    def search(self, peer_id: str, criteria: list[dict[str, Any]], *, sync: bool = True,
               callback_uri: str | None = None) -> dict[str, Any]:
        """Send a search (a batch of ``search_criteria``). Sync: the verified answer envelope.
        Async: the acknowledgement (the result arrives at /registry/on-search)."""
        now = m.iso(self.service.now())
        message = {"transaction_id": new_id("txn"), "search_request": [
            {"reference_id": new_id("ref"), "timestamp": now, "search_criteria": c}
            for c in criteria]}
        header = self.service.request_header("search", peer_id, len(criteria),
                                             None if sync else callback_uri)
        status, body = self._send(peer_id, "/registry/sync/search" if sync
                                  else "/registry/search", header, message)
        if sync:
            return self._verified(peer_id, status, body)
        return self._ack(status, body, message)

    @staticmethod
    def _ack(status: int, body: Any, message: dict[str, Any]) -> dict[str, Any]:
        ack = body.get("message") if isinstance(body, dict) else None
        if not isinstance(ack, dict) or ack.get("ack_status") != "ACK":
            raise PeerAnswerError(f"HTTP {status}: {body}", status, body)
        return {"transaction_id": message["transaction_id"], **ack}

    def subscribe(self, peer_id: str, filter_type: str | None, filter_query: Any, *,
                  reg_event_type: str = "REGISTER", entity: str | None = None,
                  purpose: str | None = None) -> dict[str, Any]:
        """Subscribe to changes matching a filter; the codes arrive at /registry/on-subscribe."""
        now = m.iso(self.service.now())
        criteria: dict[str, Any] = {
            "version": m.VERSION, "reg_type": "ns:org:RegistryType:Social",
            "reg_event_type": reg_event_type, "filter": filter_query,
            "notify_record_type": NOTIFY_RECORD_TYPE,
            "frequency": {"start_time": now, "end_time": "2099-12-31T00:00:00.000+00:00",
                          "frequency": "0 * * * * ? *"}}
        if filter_type is not None:  # optional in the spec: the filter's shape implies it
            criteria["filter_type"] = filter_type
        if entity:
            criteria["response_entity"] = entity
        if purpose:
            criteria["consent"] = {"purpose": {"code": purpose}}
        message = {"transaction_id": new_id("txn"), "subscribe_request": [
            {"reference_id": new_id("ref"), "timestamp": now, "subscribe_criteria": criteria}]}
        header = self.service.request_header("subscribe", peer_id, 1)
        status, body = self._send(peer_id, "/registry/subscribe", header, message)
        return self._ack(status, body, message)

    def unsubscribe(self, peer_id: str, codes: list[str]) -> dict[str, Any]:
        """End subscriptions (the spec's required list is spelt ``sunscription_codes``; both
        spellings are sent)."""
        message = {"transaction_id": new_id("txn"), "timestamp": m.iso(self.service.now()),
                   "subscription_codes": codes, "sunscription_codes": codes}
        header = self.service.request_header("unsubscribe", peer_id, len(codes))
        status, body = self._send(peer_id, "/registry/unsubscribe", header, message)
        return self._ack(status, body, message)

    def txn_status(self, peer_id: str, attribute_type: str, value: Any,
                   txn_type: str = "search", sync: bool = True) -> dict[str, Any]:
        """Ask for the status of an earlier transaction. Sync: the verified answer. Async: the
        acknowledgement (the answer arrives at /registry/txn/on-status)."""
        message = {"transaction_id": new_id("txn"), "txnstatus_request": {
            "reference_id": new_id("ref"), "txn_type": txn_type,
            "attribute_type": attribute_type, "attribute_value": value}}
        header = self.service.request_header("txn-status", peer_id, 1)
        path = "/registry/sync/txn/status" if sync else "/registry/txn/status"
        status, body = self._send(peer_id, path, header, message)
        if sync:
            return self._verified(peer_id, status, body)
        return self._ack(status, body, message)
