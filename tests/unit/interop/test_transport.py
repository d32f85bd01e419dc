"""The HTTP transport to peers: OAuth2 client-credentials token (cached), bearer header, retries
on network errors and 5xx, one token renewal on 401, and a clear error when all attempts fail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spmis.interop.transport import DeliveryError, Peer, Transport

PEER = Peer("registry-b", "http://127.0.0.1:9", "c_1", "s3cret")


def _transport(answers: list[Any], seen: list[httpx.Request]) -> Transport:
    tokens = iter(["tok-1", "tok-2", "tok-3"])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v1/auth/token":
            return httpx.Response(200, json={"access_token": next(tokens), "expires_in": 900})
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, json={"message": {"ack_status": "ACK"}})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Transport(http=http, sleep=lambda _s: None)


def test_token_is_fetched_once_and_sent() -> None:
    seen: list[httpx.Request] = []
    transport = _transport([202, 202], seen)
    for _ in range(2):
        assert transport.post(PEER, PEER.url("/registry/search"), {"a": 1}).status_code == 202
    paths = [r.url.path for r in seen]
    assert paths == ["/api/v1/auth/token", "/registry/search", "/registry/search"]
    assert seen[0].headers["authorization"].startswith("Basic ")
    assert b"grant_type=client_credentials" in seen[0].content
    assert seen[1].headers["authorization"] == "Bearer tok-1"


def test_retries_network_errors_and_5xx_then_succeeds() -> None:
    seen: list[httpx.Request] = []
    transport = _transport([httpx.ConnectError("down"), 503, 200], seen)
    assert transport.post(PEER, PEER.url("/registry/notify"), {}).status_code == 200


def test_renews_the_token_once_on_401() -> None:
    seen: list[httpx.Request] = []
    transport = _transport([401, 200], seen)
    assert transport.post(PEER, PEER.url("/registry/notify"), {}).status_code == 200
    bearers = [r.headers.get("authorization") for r in seen
               if r.url.path == "/registry/notify"]
    assert bearers == ["Bearer tok-1", "Bearer tok-2"]


def test_gives_up_with_a_clear_error() -> None:
    transport = _transport([500, 500, 500], [])
    with pytest.raises(DeliveryError, match="failed after 3 attempts") as info:
        transport.post(PEER, PEER.url("/registry/notify"), {})
    assert info.value.status_code == 500


def test_a_4xx_answer_is_returned_not_retried() -> None:
    seen: list[httpx.Request] = []
    transport = _transport([400], seen)
    assert transport.post(PEER, PEER.url("/registry/search"), {}).status_code == 400
    assert len(seen) == 2


def test_no_credentials_no_call() -> None:
    transport = _transport([], [])
    with pytest.raises(DeliveryError, match="no client credentials"):
        transport.token(Peer("x", "http://127.0.0.1:9", None, None))
