"""Community review and equity cards: the domain. Standard library only.

A round's scored households are reviewed commune by commune. Each commune's **list** of a round
moves through these states:

- ``draft``: the list is being reviewed: it holds the households the questionnaire scored Poor
  Level 1 or 2, and commune staff may ask to add a household (with its level) or to remove one,
  each with a reason; another person (an approver) accepts or refuses each change
  (maker-checker);
- ``posted``: the list is posted in the villages for objections until a date; an objection is a
  grievance (the grievance queue) that names the list, and changes may still be asked for;
- ``approved``: the final approval (by an approver, not the person who posted it) after the
  objection period; the commune's equity cards are then issued by a background job;
- ``issued``: every household on the list holds a card of this round.

An **equity card** has a number that is random (not derived from the household), a level, and
validity dates; a household's card of an earlier round is *replaced* when a new round issues it
one, and a card that is not replaced simply expires on its last day.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from spmis.errors import FieldError


class ListStatus(StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    APPROVED = "approved"
    ISSUED = "issued"


class ChangeAction(StrEnum):
    ADD = "add"
    REMOVE = "remove"


class EntrySource(StrEnum):
    """Why a household is on a list: its score, or an accepted change."""

    SCORE = "score"
    ADDED = "added"
    #: taken off the list by an accepted change (a later scoring does not put it back)
    REMOVED = "removed"


class CardStatus(StrEnum):
    """A card's stored status; whether it is valid on a day also depends on its dates."""

    ISSUED = "issued"
    REPLACED = "replaced"


class CardState(StrEnum):
    """What the verification page says of a card on a day."""

    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REPLACED = "replaced"


class ObjectionKind(StrEnum):
    """An objection asks that a household be put on the list (``missing``) or taken off it
    (``wrongly_listed``)."""

    MISSING = "missing"
    WRONGLY_LISTED = "wrongly_listed"


LEVELS = (1, 2)
REASON_MIN, REASON_MAX = 5, 500
OBJECTION_MIN, OBJECTION_MAX = 10, 2000

#: Crockford's base-32 alphabet: no I, L, O, U, so a number read aloud or typed is unambiguous
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: random characters of a card number (60 bits: a guess hits one card in about 10^18 / cards)
RANDOM_CHARS = 12
PREFIX = "EC"
CARD_PATTERN = re.compile(rf"^{PREFIX}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}"
                          rf"-[{ALPHABET}]$")
_READ_AS = {"I": "1", "L": "1", "O": "0", "U": "V"}


def _check_char(body: str) -> str:
    """A check character over ``body`` (weighted sum mod 31 over the base-32 values; catches
    every single wrong character and every swap of two neighbours)."""
    total = sum((i + 1) * ALPHABET.index(ch) for i, ch in enumerate(body))
    return ALPHABET[total % 31]


def new_card_number(token: str | None = None) -> str:
    """A fresh card number ``EC-XXXX-XXXX-XXXX-C``: 12 random base-32 characters (from the
    operating system's random source, or ``token`` when given: tests) and a check character.
    It says nothing of the household, the place or the order of issue."""
    body = token or "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    if len(body) != RANDOM_CHARS or any(ch not in ALPHABET for ch in body):
        raise ValueError("a card number's body is 12 base-32 characters")
    groups = "-".join(body[i:i + 4] for i in range(0, RANDOM_CHARS, 4))
    return f"{PREFIX}-{groups}-{_check_char(body)}"


def normalise_card_number(text: str) -> str:
    """A card number as typed or read (spaces, no dashes, lower case, I/L/O for 1/1/0) in its
    printed form; text that cannot be one is returned stripped and upper-cased."""
    chars = [_READ_AS.get(ch, ch) for ch in text.upper() if ch.isalnum()]
    raw = "".join(chars)
    if raw.startswith(PREFIX):
        raw = raw[len(PREFIX):]
    if len(raw) == RANDOM_CHARS + 1:
        return f"{PREFIX}-{raw[0:4]}-{raw[4:8]}-{raw[8:12]}-{raw[12]}"
    return text.strip().upper()


def is_card_number(text: str) -> bool:
    """Whether ``text`` (normalised) is a well-formed card number with a right check
    character."""
    if not CARD_PATTERN.match(text):
        return False
    body = text[3:17].replace("-", "")
    return text[-1] == _check_char(body)


@dataclass(frozen=True)
class Card:
    """An equity card as the verification page reads it."""

    card_number: str
    level: int
    valid_from: date
    valid_to: date
    status: str
    commune_code: str


def card_state(card: Card, on: date) -> CardState:
    """Whether ``card`` is valid on ``on``, and if not, why."""
    if card.status == CardStatus.REPLACED:
        return CardState.REPLACED
    if on < card.valid_from:
        return CardState.NOT_YET_VALID
    if on > card.valid_to:
        return CardState.EXPIRED
    return CardState.VALID


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30,
            31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(day.day, last))


def validity(issued_on: date, months: int) -> tuple[date, date]:
    """The first and last day of a card issued on ``issued_on`` valid ``months`` months."""
    end = add_months(issued_on, months)
    return issued_on, date.fromordinal(end.toordinal() - 1)


def reason_problems(reason: str | None, loc: str = "reason") -> list[FieldError]:
    """A change, a posting or a decision needs a reason of 5 to 500 characters."""
    text = (reason or "").strip()
    if len(text) < REASON_MIN:
        return [FieldError((loc,), "string_too_short",
                           f"give the reason (at least {REASON_MIN} characters)",
                           "សូមបញ្ជាក់មូលហេតុ (យ៉ាងតិច ៥ តួអក្សរ)")]
    if len(text) > REASON_MAX:
        return [FieldError((loc,), "string_too_long",
                           f"at most {REASON_MAX} characters", "យ៉ាងច្រើន ៥០០ តួអក្សរ")]
    return []


def level_problems(level: int | None, loc: str = "level") -> list[FieldError]:
    """An added household needs its level: 1 (very poor) or 2 (poor)."""
    if level not in LEVELS:
        return [FieldError((loc,), "invalid_choice", "must be 1 or 2",
                           "កម្រិតក្រីក្រត្រូវតែ ១ ឬ ២")]
    return []


def may_change(status: str) -> bool:
    """Households may be added or removed while the list is in review or posted."""
    return status in (ListStatus.DRAFT, ListStatus.POSTED)


def objection_problems(kind: str, text: str | None) -> list[FieldError]:
    """An objection names its kind and says what is wrong (10 to 2,000 characters)."""
    errors = []
    if kind not in {k.value for k in ObjectionKind}:
        errors.append(FieldError(("kind",), "invalid_choice",
                                 "say whether a household is missing or wrongly listed",
                                 "សូមជ្រើសរើសប្រភេទនៃការជំទាស់"))
    body = (text or "").strip()
    if not OBJECTION_MIN <= len(body) <= OBJECTION_MAX:
        errors.append(FieldError(("description",), "string_length",
                                 f"between {OBJECTION_MIN} and {OBJECTION_MAX} characters",
                                 "ពី ១០ ដល់ ២០០០ តួអក្សរ"))
    return errors
