"""Ed25519 signatures of DCI envelopes: round trip, and refusal of every kind of tampering,
expiry, unknown or foreign keys; JWKs and RFC 7638 thumbprints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from spmis.interop import signing

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
HEADER = {"message_id": "m-1", "message_ts": "2026-11-22T03:00:00+00:00", "action": "search",
          "sender_id": "registry-a", "total_count": 1}
MESSAGE = {"transaction_id": "t-1", "search_request": [{"reference_id": "r-1", "query": "ស"}]}


@pytest.fixture
def key() -> signing.SigningKey:
    return signing.SigningKey.generate()


def _keys(key: signing.SigningKey) -> Any:
    return lambda sender, kid: key.x if (sender, kid) == ("registry-a", key.kid) else None


def test_round_trip(key: signing.SigningKey) -> None:
    sig = signing.sign(key, "registry-a", HEADER, MESSAGE, NOW)
    assert sig.startswith('Signature: namespace="spdci", kidId="registry-a|')
    assert 'algorithm="ed25519"' in sig and 'headers="(created) (expires) digest"' in sig
    parsed = signing.verify(sig, dict(HEADER), dict(MESSAGE), NOW + timedelta(seconds=5),
                            _keys(key))
    assert parsed.kid == key.kid and parsed.sender_id == "registry-a"


def test_key_order_does_not_matter(key: signing.SigningKey) -> None:
    sig = signing.sign(key, "registry-a", HEADER, MESSAGE, NOW)
    reordered = dict(reversed(list(HEADER.items())))
    signing.verify(sig, reordered, MESSAGE, NOW, _keys(key))


@pytest.mark.parametrize("change", [
    lambda h, m: h.update(total_count=2),
    lambda h, m: h.update(action="subscribe"),
    lambda h, m: m.update(transaction_id="t-2"),
    lambda h, m: m["search_request"].append({}),
    lambda h, m: h.update(extra="x"),
])
def test_tampering_is_detected(key: signing.SigningKey, change: Any) -> None:
    header, message = dict(HEADER), {**MESSAGE, "search_request": list(MESSAGE["search_request"])}
    sig = signing.sign(key, "registry-a", header, message, NOW)
    change(header, message)
    with pytest.raises(signing.SignatureError) as info:
        signing.verify(sig, header, message, NOW, _keys(key))
    assert info.value.code == "err.signature.invalid"


def test_missing_malformed_unknown_and_foreign(key: signing.SigningKey) -> None:
    for missing in (None, ""):
        with pytest.raises(signing.SignatureError) as info:
            signing.verify(missing, HEADER, MESSAGE, NOW, _keys(key))
        assert info.value.code == "err.signature.missing"
    for bad in ("nonsense", "Signature: kidId=\"a|b\"", 42):
        with pytest.raises(signing.SignatureError):
            signing.verify(bad, HEADER, MESSAGE, NOW, _keys(key))
    other = signing.SigningKey.generate()
    with pytest.raises(signing.SignatureError, match="no registered key"):
        signing.verify(signing.sign(other, "registry-a", HEADER, MESSAGE, NOW), HEADER, MESSAGE,
                       NOW, _keys(key))
    with pytest.raises(signing.SignatureError, match="different sender"):
        signing.verify(signing.sign(key, "registry-b", HEADER, MESSAGE, NOW), HEADER, MESSAGE,
                       NOW, _keys(key))


def test_expired_and_future_signatures_are_refused(key: signing.SigningKey) -> None:
    sig = signing.sign(key, "registry-a", HEADER, MESSAGE, NOW, ttl=60)
    signing.verify(sig, HEADER, MESSAGE, NOW + timedelta(seconds=100), _keys(key))  # skew
    with pytest.raises(signing.SignatureError, match="expired"):
        signing.verify(sig, HEADER, MESSAGE, NOW + timedelta(minutes=5), _keys(key))
    with pytest.raises(signing.SignatureError, match="not yet valid"):
        signing.verify(sig, HEADER, MESSAGE, NOW - timedelta(minutes=5), _keys(key))


def test_jwk_and_thumbprint(key: signing.SigningKey) -> None:
    jwk = key.jwk()
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["use"] == "sig"
    assert signing.public_key_from_jwk(jwk) == (key.kid, key.x)
    assert signing.SigningKey.from_raw(key.raw()).kid == key.kid
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert signing.thumbprint(x) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    with pytest.raises(ValueError, match="thumbprint"):
        signing.public_key_from_jwk({**jwk, "kid": "chosen"})
    with pytest.raises(ValueError, match="Ed25519"):
        signing.public_key_from_jwk({"kty": "RSA", "n": "x", "e": "AQAB"})
    with pytest.raises(ValueError, match="not an Ed25519 public key"):
        signing.public_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"})


@pytest.mark.parametrize("ttl", [signing.SIGNATURE_TTL_SECONDS + 1, 24 * 3600])
def test_a_lifetime_over_the_documented_maximum_is_refused(key: signing.SigningKey,
                                                           ttl: int) -> None:
    """Issue 12 #11: the docs promise signatures live 5 minutes; a signer may not extend that by
    choosing a far ``expires`` (dated 23 hours back with a 24-hour lifetime was accepted)."""
    created = NOW - timedelta(hours=23) if ttl == 24 * 3600 else NOW
    sig = signing.sign(key, "registry-a", HEADER, MESSAGE, created, ttl=ttl)
    with pytest.raises(signing.SignatureError, match="lifetime") as info:
        signing.verify(sig, HEADER, MESSAGE, NOW, _keys(key))
    assert info.value.code == "err.signature.invalid"
    exact = signing.sign(key, "registry-a", HEADER, MESSAGE, NOW,
                         ttl=signing.SIGNATURE_TTL_SECONDS)
    signing.verify(exact, HEADER, MESSAGE, NOW + timedelta(minutes=5), _keys(key))
