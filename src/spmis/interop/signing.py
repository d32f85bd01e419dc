"""Ed25519 signatures of DCI messages, and the JSON Web Keys that publish the public halves.

The spec's ``MsgSignature`` is a string over "{header}+{message}" of the form::

    Signature: namespace="spdci", kidId="{sender_id}|{kid}|ed25519", algorithm="ed25519",
      created="1606970629", expires="1607030629", headers="(created) (expires) digest",
      signature="<base64>"

What is signed (the *signing string*) is::

    (created): <created>
    (expires): <expires>
    digest: BLAKE-512=<base64 of BLAKE2b-512 over the canonical JSON of {"header", "message"}>

Canonical JSON: keys sorted, no insignificant white space, UTF-8. ``kid`` is the RFC 7638
thumbprint of the public key, the same ``kid`` the signer publishes at
``/.well-known/jwks.json`` (an OKP/Ed25519 JWK). Nothing here touches the database: keys are
passed in, and the verifier asks a callable for the public key of ``(sender_id, kid)``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "ed25519"
NAMESPACE = "spdci"
HEADERS = "(created) (expires) digest"
#: the longest lifetime of a signature (``expires - created``): a signer's longer ``expires`` is
#: refused, so no signature is accepted more than this (plus the clock skew) after its creation
SIGNATURE_TTL_SECONDS = 300
#: tolerated clock difference between signer and verifier
CLOCK_SKEW_SECONDS = 60
_PARAM = re.compile(r'([A-Za-z]+)="([^"]*)"')


class SignatureError(ValueError):
    """The signature is missing (``err.signature.missing``) or does not verify
    (``err.signature.invalid``); ``code`` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def thumbprint(x: str) -> str:
    """RFC 7638 thumbprint of an OKP/Ed25519 key whose public value is ``x`` (base64url)."""
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"),
                         sort_keys=True)
    return b64url(hashlib.sha256(members.encode()).digest())


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 key and its ``kid``."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_raw(cls, raw: bytes) -> SigningKey:
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def raw(self) -> bytes:
        return self.private.private_bytes(serialization.Encoding.Raw,
                                          serialization.PrivateFormat.Raw,
                                          serialization.NoEncryption())

    @property
    def x(self) -> str:
        return b64url(public_bytes(self.private.public_key()))

    @property
    def kid(self) -> str:
        return thumbprint(self.x)

    def jwk(self) -> dict[str, str]:
        return public_jwk(self.x)


def public_jwk(x: str) -> dict[str, str]:
    """The public JWK of an Ed25519 key (``use: sig``, ``alg: EdDSA``)."""
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumbprint(x), "use": "sig",
            "alg": "EdDSA"}


def public_key_from_jwk(jwk: Mapping[str, Any]) -> tuple[str, str]:
    """(kid, x) of a public OKP/Ed25519 JWK; ValueError naming what is wrong."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("only OKP keys on the Ed25519 curve are accepted")
    x = jwk.get("x")
    if not isinstance(x, str):
        raise ValueError("the JWK has no 'x'")
    try:
        raw = b64url_decode(x)
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise ValueError(f"'x' is not an Ed25519 public key: {exc}") from None
    kid = thumbprint(x)
    given = jwk.get("kid")
    if given is not None and given != kid:
        raise ValueError("'kid' is not the RFC 7638 thumbprint of the key")
    return kid, x


def canonical(header: Mapping[str, Any], message: Any) -> bytes:
    """The bytes that are digested: canonical JSON of ``{"header", "message"}``."""
    body: dict[str, Any] = {"header": header}
    if message is not None:
        body["message"] = message
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _signing_string(created: int, expires: int, header: Mapping[str, Any], message: Any) -> bytes:
    digest = base64.b64encode(hashlib.blake2b(canonical(header, message)).digest()).decode()
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={digest}".encode()


def sign(key: SigningKey, sender_id: str, header: Mapping[str, Any], message: Any,
         now: datetime, ttl: int = SIGNATURE_TTL_SECONDS) -> str:
    """The ``signature`` field for an envelope."""
    created = int(now.timestamp())
    expires = created + ttl
    value = base64.b64encode(key.private.sign(_signing_string(created, expires, header, message)))
    return (f'Signature: namespace="{NAMESPACE}", kidId="{sender_id}|{key.kid}|{ALGORITHM}", '
            f'algorithm="{ALGORITHM}", created="{created}", expires="{expires}", '
            f'headers="{HEADERS}", signature="{value.decode()}"')


@dataclass(frozen=True)
class ParsedSignature:
    sender_id: str
    kid: str
    created: int
    expires: int
    value: bytes


def parse(signature: Any) -> ParsedSignature:
    """The parts of a signature string; SignatureError when missing or malformed."""
    if signature is None or signature == "":
        raise SignatureError("err.signature.missing", "signature: is required")
    if not isinstance(signature, str) or not signature.startswith("Signature:"):
        raise SignatureError("err.signature.invalid", "signature: must start with 'Signature:'")
    params = dict(_PARAM.findall(signature))
    try:
        sender_id, kid, algorithm = params["kidId"].split("|")
        created, expires = int(params["created"]), int(params["expires"])
        value = base64.b64decode(params["signature"], validate=True)
    except (KeyError, ValueError) as exc:
        raise SignatureError("err.signature.invalid",
                             f"signature: malformed ({exc.__class__.__name__})") from None
    if algorithm != ALGORITHM or params.get("algorithm", ALGORITHM) != ALGORITHM:
        raise SignatureError("err.signature.invalid", "signature: algorithm must be ed25519")
    if params.get("headers", HEADERS) != HEADERS:
        raise SignatureError("err.signature.invalid", f"signature: headers must be {HEADERS!r}")
    return ParsedSignature(sender_id, kid, created, expires, value)


def verify(signature: Any, header: Mapping[str, Any], message: Any, now: datetime,
           public_key: Callable[[str, str], str | None]) -> ParsedSignature:
    """Check ``signature`` over header and message. ``public_key(sender_id, kid)`` returns the
    registered public ``x`` (base64url) or None. The signer must be the header's sender_id."""
    parsed = parse(signature)
    if parsed.sender_id != header.get("sender_id"):
        raise SignatureError("err.signature.invalid",
                             "signature: kidId names a different sender than header.sender_id")
    x = public_key(parsed.sender_id, parsed.kid)
    if x is None:
        raise SignatureError("err.signature.invalid",
                             f"signature: no registered key {parsed.kid!r} for "
                             f"{parsed.sender_id!r}")
    stamp = int(now.timestamp())
    if parsed.created > stamp + CLOCK_SKEW_SECONDS or parsed.expires < stamp - CLOCK_SKEW_SECONDS:
        raise SignatureError("err.signature.invalid", "signature: expired or not yet valid")
    if parsed.expires - parsed.created > SIGNATURE_TTL_SECONDS:
        raise SignatureError("err.signature.invalid",
                             f"signature: lifetime (expires - created) over "
                             f"{SIGNATURE_TTL_SECONDS} seconds")
    key = Ed25519PublicKey.from_public_bytes(b64url_decode(x))
    try:
        key.verify(parsed.value,
                   _signing_string(parsed.created, parsed.expires, header, message))
    except InvalidSignature:
        raise SignatureError("err.signature.invalid",
                             "signature: does not match the header and message") from None
    return parsed
