"""One-time activation links: how a staff user gets their first password, or a new one after an
administrator reset it (issue 12 #4).

Nobody but the person chooses the password. A new account, or one whose password was reset, keeps
``UNUSABLE_PASSWORD`` (no password matches it) until its person opens the link and chooses one.
The link carries a random token; only its SHA-256 is stored (``account_activation``), it expires
after ``activation_hours`` and works once. Issuing a new link voids the account's earlier unused
ones. The administrator who issues a link sees it once, and hands it to the person (docs/
security.md, "What an administrator can and cannot do").
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.engine import RowMapping

from spmis.auth.store import account_activation, staff_user
from spmis.db.base import utcnow
from spmis.errors import InvalidInput

#: the stored password hash of an account that waits for its person to choose a password: not an
#: Argon2 hash, so every password check fails (``passwords.verify_secret``)
UNUSABLE_PASSWORD = "!awaiting-activation"  # noqa: S105 - a marker, not a password
ACTIVATE, RESET = "activate", "reset"
#: the page where a link is opened (the token travels in the query string, which the log
#: redaction of ``spmis.auth.web`` hides)
PAGE = "/activate"


@dataclass(frozen=True)
class ActivationLink:
    """A link just issued: shown this once, to be handed to ``username``'s person."""

    username: str
    token: str
    purpose: str
    expires_at: datetime

    @property
    def path(self) -> str:
        return f"{PAGE}?token={self.token}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invalid_link() -> InvalidInput:
    """The one answer for a link that is unknown, used, replaced, expired or of a disabled
    account (which of these is not told)."""
    return InvalidInput.one(("token",), "invalid_link",
                            "this link is not valid any more (used, replaced or expired): ask "
                            "an administrator for a new one",
                            "តំណនេះលែងប្រើបានទៀតហើយ (បានប្រើ ជំនួស ឬផុតកំណត់)៖ "
                            "សូមសុំតំណថ្មីពីអ្នកគ្រប់គ្រង")


def issue(conn: Connection, user_id: int, username: str, purpose: str, by: str,
          hours: int) -> ActivationLink:
    """A new link for ``user_id`` (its earlier unused links stop working), in the caller's
    transaction."""
    now = utcnow()
    conn.execute(update(account_activation).where(
        account_activation.c.user_id == user_id, account_activation.c.used_at.is_(None),
        account_activation.c.revoked_at.is_(None)).values(revoked_at=now))
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    conn.execute(insert(account_activation).values(
        token_hash=token_hash(token), user_id=user_id, purpose=purpose, issued_at=now,
        issued_by=by[:64], expires_at=expires))
    return ActivationLink(username, token, purpose, expires)


def live_link(conn: Connection, token: str) -> RowMapping:
    """The staff user a live link is for (locked for update), or ``invalid_link``."""
    row = conn.execute(
        select(account_activation.c.id.label("activation_id"), account_activation.c.purpose,
               account_activation.c.expires_at, account_activation.c.used_at,
               account_activation.c.revoked_at, staff_user)
        .join(staff_user, staff_user.c.id == account_activation.c.user_id)
        .where(account_activation.c.token_hash == token_hash(token or ""))
        .with_for_update()).mappings().first()
    if (row is None or row["used_at"] is not None or row["revoked_at"] is not None
            or row["expires_at"] <= utcnow() or not row["is_active"]):
        raise invalid_link()
    return row


def use(conn: Connection, activation_id: int) -> None:
    """Spend a link (once: a second use finds ``used_at`` set)."""
    conn.execute(update(account_activation).where(
        account_activation.c.id == activation_id).values(used_at=utcnow()))


def revoke_all(conn: Connection, user_id: int) -> None:
    """Void every unused link of an account (it was disabled)."""
    conn.execute(update(account_activation).where(
        account_activation.c.user_id == user_id, account_activation.c.used_at.is_(None),
        account_activation.c.revoked_at.is_(None)).values(revoked_at=utcnow()))
