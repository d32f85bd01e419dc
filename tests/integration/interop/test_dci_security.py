"""What the DCI endpoints refuse: unsigned, tampered, expired or foreign signatures, expired or
missing tokens, the wrong client or role, replays, and malformed envelopes — each with the spec's
error shape naming the field, never a 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spmis.auth import tokens
from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.db.base import utcnow
from spmis.interop import model as m
from spmis.interop import signing
from spmis.interop.client import search_criteria

from .conftest import Pair

SEARCH = "/registry/sync/search"


@pytest.fixture
def engine_kind() -> str:
    """These refusals happen before the database is asked anything that differs between
    engines: SQLite only. (The replay check, which relies on a unique index, also runs on
    PostgreSQL in test_dci_search.py.)"""
    return "sqlite"


def _request(pair: Pair, criteria: dict[str, Any] | None = None,
             action: str = "search") -> tuple[dict[str, Any], dict[str, Any]]:
    service = pair.a.service()
    now = service.now().isoformat()
    header = service.request_header(action, pair.b.sender_id, 1)
    message = {"transaction_id": "txn-1", "search_request": [{
        "reference_id": "ref-1", "timestamp": now,
        "search_criteria": criteria or search_criteria("idtype-value",
                                                       {"type": "NID", "value": "100200300"})}]}
    return header, message


def _signed(pair: Pair, header: dict[str, Any], message: Any) -> dict[str, Any]:
    return pair.a.service().seal(header, message)


@pytest.fixture
def post(registry_pair: Pair,
         token_for: Callable[..., str]) -> Callable[..., Any]:
    """``post(path, body, token=<A's token at B>)``: POST to registry B."""
    pair = registry_pair
    good = token_for(pair.b, pair.clients["a_at_b"], pair.clients["a_secret"])

    def send(path: str, body: Any, token: str | None = good, raw: bytes | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if raw is not None:
            return pair.b_http.post(path, content=raw, headers={
                **headers, "Content-Type": "application/json"})
        return pair.b_http.post(path, json=body, headers=headers)

    return send


def _error_code(resp: Any) -> str:
    return str(resp.json()["errors"][0]["code"])


def test_a_signed_request_is_answered(registry_pair: Pair, post: Any, dci_schemas: Any) -> None:
    header, message = _request(registry_pair)
    resp = post(SEARCH, _signed(registry_pair, header, message))
    assert resp.status_code == 200, resp.text
    dci_schemas.check(resp.json(), dci_schemas.response(SEARCH))


def test_unsigned_request_is_refused(registry_pair: Pair, post: Any, dci_schemas: Any) -> None:
    header, message = _request(registry_pair)
    resp = post(SEARCH, {"header": header, "message": message})
    assert resp.status_code == 401
    assert _error_code(resp) == "err.signature.missing"
    dci_schemas.check(resp.json(), dci_schemas.http_error())


@pytest.mark.parametrize("tamper", ["message", "header", "signature", "sender"])
def test_tampered_signature_is_refused(registry_pair: Pair, post: Any, tamper: str) -> None:
    header, message = _request(registry_pair)
    envelope = _signed(registry_pair, header, message)
    if tamper == "message":
        envelope["message"]["search_request"][0]["search_criteria"]["query"]["value"] = "1"
    elif tamper == "header":
        envelope["header"]["receiver_id"] = registry_pair.b.sender_id + " "
        envelope["header"].pop("receiver_id")
        envelope["header"]["message_id"] += "x"
    elif tamper == "signature":
        body = envelope["signature"]
        value = body.rsplit('signature="', 1)[1].rstrip('"')
        flipped = ("A" if value[0] != "A" else "B") + value[1:]
        envelope["signature"] = body.replace(value, flipped)
    else:  # a signature made by another key under A's name
        envelope["signature"] = signing.sign(signing.SigningKey.generate(),
                                             registry_pair.a.sender_id, header, message,
                                             utcnow())
    resp = post(SEARCH, envelope)
    assert resp.status_code == 401, resp.text
    assert _error_code(resp) == "err.signature.invalid"


def test_expired_signature_is_refused(registry_pair: Pair, post: Any) -> None:
    header, message = _request(registry_pair)
    key = registry_pair.a.service().keys.signing_key()
    old = signing.sign(key, registry_pair.a.sender_id, header, message,
                       utcnow() - timedelta(minutes=9), ttl=60)
    resp = post(SEARCH, {"signature": old, "header": header, "message": message})
    assert resp.status_code == 401
    assert "expired" in resp.json()["errors"][0]["message"]


def test_expired_token_is_refused(registry_pair: Pair, post: Any) -> None:
    header, message = _request(registry_pair)
    settings = registry_pair.b.ctx.settings
    expired = tokens.issue(settings.secret_key, f"client:{registry_pair.clients['a_at_b']}", 5,
                           now=utcnow() - timedelta(minutes=30)).token
    resp = post(SEARCH, _signed(registry_pair, header, message), token=expired)
    assert resp.status_code == 401
    assert "expired" in resp.text


def test_missing_or_forged_token_is_refused(registry_pair: Pair, post: Any) -> None:
    header, message = _request(registry_pair)
    envelope = _signed(registry_pair, header, message)
    assert post(SEARCH, envelope, token=None).status_code == 401
    forged = tokens.issue("x" * 48, f"client:{registry_pair.clients['a_at_b']}", 5).token
    assert post(SEARCH, envelope, token=forged).status_code == 401


def test_another_client_cannot_speak_for_the_peer(registry_pair: Pair, post: Any,
                                                  token_for: Any) -> None:
    """A valid token of another programme client, with A's valid signature: refused, because
    registry B binds sender A to A's own API client."""
    accounts = AccountService(registry_pair.b.ctx)
    other, secret = accounts.create_client("other system", "programme_officer", "", SYSTEM)
    header, message = _request(registry_pair)
    resp = post(SEARCH, _signed(registry_pair, header, message),
                token=token_for(registry_pair.b, other, secret))
    assert resp.status_code == 400
    assert _error_code(resp) == "err.sender_id.invalid"


def test_a_role_without_dci_access_is_forbidden(registry_pair: Pair, post: Any,
                                                token_for: Any) -> None:
    accounts = AccountService(registry_pair.b.ctx)
    auditor, secret = accounts.create_client("auditors", "auditor", "", SYSTEM)
    header, message = _request(registry_pair)
    resp = post(SEARCH, _signed(registry_pair, header, message),
                token=token_for(registry_pair.b, auditor, secret))
    assert resp.status_code == 403


def test_replayed_message_is_refused(registry_pair: Pair, post: Any, dci_schemas: Any) -> None:
    header, message = _request(registry_pair)
    envelope = _signed(registry_pair, header, message)
    assert post(SEARCH, envelope).status_code == 200
    resp = post(SEARCH, envelope)
    assert resp.status_code == 400
    body = resp.json()
    dci_schemas.check(body, dci_schemas.response(SEARCH))
    assert body["header"]["status"] == "rjct"
    assert body["header"]["status_reason_code"] == "rjct.message_id.duplicate"
    assert "header.message_id" in body["header"]["status_reason_message"]
    registry_pair.a.service().verify(body, expected_sender=registry_pair.b.sender_id)


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"message_ts": "yesterday"}, "rjct.message_ts.invalid", "header.message_ts"),
    ({"message_ts": "2020-01-01T00:00:00+00:00"}, "rjct.message_ts.invalid", "header.message_ts"),
    ({"action": "subscribe"}, "rjct.action.invalid", "header.action"),
    ({"total_count": 3}, "rjct.total_count.invalid", "header.total_count"),
    ({"total_count": "one"}, "rjct.total_count.invalid", "header.total_count"),
    ({"version": "9.9.9"}, "rjct.version.invalid", "header.version"),
])
def test_bad_header_gets_a_signed_rejection_naming_the_field(
        registry_pair: Pair, post: Any, dci_schemas: Any, change: dict[str, Any], code: str,
        field: str) -> None:
    header, message = _request(registry_pair)
    header.update(change)
    resp = post(SEARCH, _signed(registry_pair, header, message))
    assert resp.status_code == 400, resp.text
    body = resp.json()
    dci_schemas.check(body, dci_schemas.response(SEARCH))
    assert body["header"]["status_reason_code"] == code
    assert field in body["header"]["status_reason_message"]


@pytest.mark.parametrize(("mutate", "code", "field"), [
    (lambda h, m: h.update(receiver_id="someone-else"), "err.receiver_id.invalid",
     "header.receiver_id"),
    (lambda h, m: h.update(sender_id="stranger"), "err.sender_id.invalid", "header.sender_id"),
    (lambda h, m: h.update(is_msg_encrypted=True), "err.encryption.invalid",
     "header.is_msg_encrypted"),
    (lambda h, m: m.pop("search_request"), "err.request.bad", "message.search_request"),
    (lambda h, m: m.update(transaction_id=""), "err.request.bad", "message.transaction_id"),
    # PostgreSQL cannot store a NUL in text: refused before anything is stored
    (lambda h, m: m.update(transaction_id="t\x00"), "err.request.bad",
     "message.transaction_id"),
])
def test_bad_envelope_gets_an_error_naming_the_field(registry_pair: Pair, post: Any,
                                                     dci_schemas: Any, mutate: Any, code: str,
                                                     field: str) -> None:
    header, message = _request(registry_pair)
    mutate(header, message)
    resp = post(SEARCH, _signed(registry_pair, header, message))
    assert resp.status_code in (400, 401), resp.text
    dci_schemas.check(resp.json(), dci_schemas.http_error())
    if code != "err.sender_id.invalid" or resp.status_code == 400:
        assert _error_code(resp) == code
        assert field in resp.json()["errors"][0]["message"]


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b"null", b'{"header": 1}',
                                 b'{"header": {}, "message": []}', b"\xff\xfe",
                                 b'{"signature": 5, "header": {"message_id": "1"}}',
                                 b'{"header": {"total_count": Infinity}, "message": NaN}',
                                 b"[" * 100_000])
def test_junk_never_gives_a_500(registry_pair: Pair, post: Any, raw: bytes) -> None:
    for path in (SEARCH, "/registry/search", "/registry/subscribe", "/registry/unsubscribe",
                 "/registry/sync/txn/status", "/registry/txn/status", "/registry/on-search",
                 "/registry/notify"):
        resp = post(path, None, raw=raw)
        assert 400 <= resp.status_code < 500, (path, resp.status_code, resp.text)


@pytest.mark.parametrize("path", ["/registry/sync/txn/status", "/registry/txn/status",
                                  "/registry/unsubscribe"])
@pytest.mark.parametrize("message", [{}, {"transaction_id": 7},
                                     {"transaction_id": "t", "txnstatus_request": "x"},
                                     {"transaction_id": "t", "txnstatus_request": {
                                         "reference_id": "r", "txn_type": "search",
                                         "attribute_type": "transaction_id",
                                         "attribute_value": ["not", "a", "string"]}}])
def test_signed_but_malformed_messages_name_the_field(registry_pair: Pair, post: Any,
                                                      path: str, message: Any) -> None:
    action = "unsubscribe" if path.endswith("unsubscribe") else "txn-status"
    header = registry_pair.a.service().request_header(action, registry_pair.b.sender_id, 1)
    resp = post(path, _signed(registry_pair, header, message))
    assert resp.status_code == 400, resp.text
    body = resp.json()
    text = json.dumps(body)
    assert "err.request.bad" in text and "message." in text


def test_async_errors_are_acknowledged_with_err(registry_pair: Pair, post: Any,
                                                dci_schemas: Any) -> None:
    header, message = _request(registry_pair)
    resp = post("/registry/search", {"header": header, "message": message})
    assert resp.status_code == 401
    dci_schemas.check(resp.json(), dci_schemas.ack())
    assert resp.json()["message"]["ack_status"] == "ERR"
    assert resp.json()["message"]["error"]["code"] == "err.signature.missing"
    header, message = _request(registry_pair)
    header["sender_uri"] = "http://169.254.169.254/registry/on-search"
    resp = post("/registry/search", _signed(registry_pair, header, message))
    assert resp.status_code == 400
    dci_schemas.check(resp.json(), dci_schemas.ack())
    assert resp.json()["message"]["error"]["code"] == "err.sender_uri.invalid"


@pytest.mark.parametrize("tail", ["/../steal", "/%2e%2e/steal", "/registry/..%2f..%2fsteal",
                                  "/%252e%252e/steal"])
def test_a_callback_may_not_climb_out_of_the_peers_base(registry_pair: Pair, post: Any,
                                                        dci_schemas: Any, tail: str) -> None:
    """Issue 12 #7: ``<peer base>/../steal`` passed the prefix test, so a signed result with
    personal data could be posted outside the peer's registered base URL."""
    base = registry_pair.b.service().keys.peer(registry_pair.a.sender_id).base_url
    header, message = _request(registry_pair)
    header["sender_uri"] = base + tail
    resp = post("/registry/search", _signed(registry_pair, header, message))
    assert resp.status_code == 400, resp.text
    dci_schemas.check(resp.json(), dci_schemas.ack())
    assert resp.json()["message"]["error"]["code"] == "err.sender_uri.invalid"
    assert "header.sender_uri" in resp.json()["message"]["error"]["message"]


def test_a_signature_may_not_outlive_the_documented_five_minutes(registry_pair: Pair,
                                                                 post: Any) -> None:
    """Issue 12 #11: dated 23 hours back with a 24-hour lifetime, it was accepted."""
    header, message = _request(registry_pair)
    key = registry_pair.a.service().keys.signing_key()
    long_lived = signing.sign(key, registry_pair.a.sender_id, header, message,
                              utcnow() - timedelta(hours=23), ttl=24 * 3600)
    resp = post(SEARCH, {"signature": long_lived, "header": header, "message": message})
    assert resp.status_code == 401, resp.text
    assert _error_code(resp) == "err.signature.invalid"
    assert "lifetime" in resp.json()["errors"][0]["message"]


def test_jwks_is_public_and_matches_the_spec(registry_pair: Pair, dci_schemas: Any) -> None:
    resp = registry_pair.b_http.get("/.well-known/jwks.json")
    assert resp.status_code == 200
    body = resp.json()
    dci_schemas.check(body, dci_schemas.jwks())
    [key] = body["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert key["kid"] == signing.thumbprint(key["x"])
    assert "d" not in key


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["transaction_id", "search_request", "subscribe_request",
                         "reference_id", "timestamp", "search_criteria", "subscribe_criteria",
                         "query_type", "query", "filter_type", "filter", "reg_event_type",
                         "txnstatus_request", "txn_type", "attribute_type", "attribute_value",
                         "subscription_codes", "pagination", "type", "value", "x"]),
        inner, max_size=4),
    max_leaves=15)
PATHS = {"/registry/sync/search": "search", "/registry/search": "search",
         "/registry/subscribe": "subscribe", "/registry/unsubscribe": "unsubscribe",
         "/registry/sync/txn/status": "txn-status", "/registry/on-search": "on-search",
         "/registry/notify": "notify"}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(sorted(PATHS)), message=JSON, total=st.integers(0, 3))
def test_signed_random_messages_never_give_a_500(registry_pair: Pair, post: Any, path: str,
                                                 message: Any, total: int) -> None:
    service = registry_pair.a.service()
    action = PATHS[path]
    if action in ("on-search", "notify"):
        header = service.callback_header(action, registry_pair.b.sender_id, m.Status.SUCC)
    else:
        header = service.request_header(action, registry_pair.b.sender_id, total)
    resp = post(path, service.seal(header, message))
    assert resp.status_code < 500, resp.text
