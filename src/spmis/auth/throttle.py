"""Login throttling, kept in the database (``login_attempt``) so every server process shares it.

Failed logins are counted per (account, client address) and per client address, within the
last ``lockout_minutes``:

- ``lockout_threshold`` failures of one account from one address: that address may not try
  that account until the oldest of them leaves the window. The count starts again after a
  success from that address or an administrator's unlock. Failures from *another* address do
  not count: a stranger cannot lock a partner registry or a colleague out of their account.
- ``lockout_address_threshold`` failures from one address, whatever the accounts (unknown names
  included): that address may not log in at all until they leave the window. Guessing many
  accounts from one place is slowed; someone elsewhere is not affected.

A throttled attempt is answered exactly like a wrong password (no oracle of who exists or is
throttled); it is recorded (outcome ``throttled``) but not counted, so the wait ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, and_, func, insert, or_, select

from spmis.auth.store import login_attempt
from spmis.config import Settings

#: outcomes that count as a failed login (a wrong secret or TOTP code, an unknown or inactive
#: principal); ``throttled`` attempts are recorded but do not count
FAILURES = ("bad_password", "bad_totp", "bad_secret", "unknown_or_inactive")
THROTTLED = "throttled"
UNLOCKED = "unlocked"


def _address(address: str | None) -> str | None:
    return (address or "")[:64] or None


def _at(address: str | None) -> ColumnElement[bool]:
    value = _address(address)
    if value is None:
        return login_attempt.c.client_address.is_(None)
    return login_attempt.c.client_address == value


def record(conn: Connection, principal: str, kind: str, ok: bool, outcome: str,
           address: str | None, now: datetime) -> None:
    """Record one attempt (or an unlock) in the shared table."""
    conn.execute(insert(login_attempt).values(
        principal=principal[:64], kind=kind, succeeded=ok, outcome=outcome,
        client_address=_address(address), at=now))


def throttled(conn: Connection, settings: Settings, principal: str, kind: str,
              address: str | None, now: datetime) -> bool:
    """Whether ``address`` must wait before trying ``principal`` (see the module docstring)."""
    la = login_attempt
    since = now - timedelta(minutes=settings.lockout_minutes)
    failed = and_(la.c.succeeded.is_(False), la.c.outcome.in_(FAILURES), la.c.at > since)
    from_address = conn.scalar(select(func.count()).select_from(la).where(_at(address), failed))
    if int(from_address or 0) >= settings.lockout_address_threshold:
        return True
    reset = conn.scalar(select(func.max(la.c.at)).where(
        la.c.principal == principal[:64], la.c.kind == kind,
        or_(and_(la.c.succeeded.is_(True), _at(address)), la.c.outcome == UNLOCKED)))
    pair = select(func.count()).select_from(la).where(
        la.c.principal == principal[:64], la.c.kind == kind, _at(address), failed)
    if reset is not None:
        pair = pair.where(la.c.at > reset)
    return int(conn.scalar(pair) or 0) >= settings.lockout_threshold


def unlock(conn: Connection, principal: str, kind: str, now: datetime) -> None:
    """End the throttling of ``principal`` from every address (an administrator's unlock)."""
    record(conn, principal, kind, False, UNLOCKED, None, now)
