"""Ticket numbers and PINs: the ticket is eight random digits (``1234-5678``), the PIN six;
only the PIN's Argon2id hash is stored. Guessing is slowed by ``GrievanceService.follow``
(attempts per client address and per ticket)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
#: verified against when no ticket matches, so the time taken does not say which tickets exist
_DUMMY = _hasher.hash("000000")


def new_ticket() -> str:
    digits = f"{secrets.randbelow(10**8):08d}"
    return f"{digits[:4]}-{digits[4:]}"


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


def pin_matches(stored: str | None, pin: str) -> bool:
    """True when ``pin`` is the one hashed in ``stored``; with no hash, spends the time and
    fails."""
    try:
        return _hasher.verify(stored or _DUMMY, pin) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
