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

The follow-up of a grievance by ticket number and PIN (``spmis.grievances``) is throttled here
too, in the same table (kind ``grievance_pin``, the ticket as principal, outcome ``bad_pin``),
with its own limits (``pin_wait``): its failures do not count against staff logins from the same
address, nor the other way round. Every limit is a setting (``spmis.config.Settings``:
``lockout_*`` and ``pin_*``).
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
#: the kind and failed outcome of a grievance follow-up attempt (``pin_wait``)
PIN_KIND = "grievance_pin"
PIN_FAILURE = "bad_pin"


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


def pin_wait(conn: Connection, settings: Settings, ticket: str, address: str | None,
             now: datetime) -> int | None:
    """Seconds ``address`` must wait before following grievance ``ticket`` (None: it may try
    now): ``pin_address_threshold`` failures from that address within ``pin_address_minutes``,
    whatever the tickets, or ``pin_ticket_threshold`` failures on that ticket from anywhere
    within ``pin_ticket_minutes``. Failed tries are recorded with ``record(..., PIN_KIND,
    False, PIN_FAILURE, ...)``."""
    la = login_attempt
    failed = and_(la.c.kind == PIN_KIND, la.c.succeeded.is_(False), la.c.outcome == PIN_FAILURE)
    rules = (
        (settings.pin_address_threshold, settings.pin_address_minutes, _at(address)),
        (settings.pin_ticket_threshold, settings.pin_ticket_minutes,
         la.c.principal == ticket[:64]),
    )
    for threshold, minutes, who in rules:
        since = now - timedelta(minutes=minutes)
        count = conn.scalar(select(func.count()).select_from(la).where(who, failed,
                                                                     la.c.at > since))
        if int(count or 0) >= threshold:
            return minutes * 60
    return None


def unlock(conn: Connection, principal: str, kind: str, now: datetime) -> None:
    """End the throttling of ``principal`` from every address (an administrator's unlock)."""
    record(conn, principal, kind, False, UNLOCKED, None, now)
