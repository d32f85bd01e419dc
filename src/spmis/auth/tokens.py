"""Bearer tokens (JWT, HS256 signed with the secret key) for API clients and staff.

Claims: ``sub`` ('user:<name>' or 'client:<client_id>'), ``iat``, ``exp``, ``iss``, ``aud``,
``jti``. Roles and scope are *not* trusted from the token: they are read from the database on
each request, so a deactivated account or a changed role takes effect at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from spmis.db.base import utcnow

ISSUER = "spmis"
AUDIENCE = "spmis-api"
ALGORITHM = "HS256"


class TokenError(ValueError):
    """The token is malformed, forged or expired (``expired`` tells which)."""

    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    expires_in: int


def issue(secret_key: str, subject: str, minutes: int, now: datetime | None = None) -> IssuedToken:
    now = now or utcnow()
    exp = now + timedelta(minutes=minutes)
    claims = {"sub": subject, "iat": int(now.timestamp()), "exp": int(exp.timestamp()),
              "iss": ISSUER, "aud": AUDIENCE, "jti": secrets.token_hex(8)}
    return IssuedToken(jwt.encode(claims, secret_key, algorithm=ALGORITHM), exp, minutes * 60)


def subject_of(secret_key: str, token: str) -> str:
    """The verified subject of ``token``; raises TokenError."""
    try:
        claims = jwt.decode(token, secret_key, algorithms=[ALGORITHM], audience=AUDIENCE,
                            issuer=ISSUER, options={"require": ["exp", "iat", "sub", "iss", "aud"]})
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired", expired=True) from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid token") from exc
    sub = claims.get("sub")
    if not isinstance(sub, str) or ":" not in sub:
        raise TokenError("invalid token")
    return sub
