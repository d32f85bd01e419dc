"""Grievances and appeals: the domain. Standard library only.

A grievance is a complaint (or an appeal against a decision) with a ticket number and a PIN
the complainant follows it with. It is routed to the office in charge of the place it is about
(a commune, a district, a province: an area code of 6, 4 or 2 digits; '' is the national
office), has a deadline set by its category, and moves to the next level up when the deadline
is missed. An appeal reopens an eligibility, enrolment or claim decision before a reviewer who
is not the person who made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from spmis.errors import FieldError


class Category(StrEnum):
    EXCLUSION = "exclusion"
    WRONG_AMOUNT = "wrong_amount"
    PAYMENT_NOT_RECEIVED = "payment_not_received"
    STAFF_CONDUCT = "staff_conduct"
    DATA_CORRECTION = "data_correction"
    FRAUD = "fraud"
    OTHER = "other"


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    VISIT = "visit"
    LETTER = "letter"


class Kind(StrEnum):
    COMPLAINT = "complaint"
    APPEAL = "appeal"


class DecisionKind(StrEnum):
    """Decisions that may be appealed."""

    ELIGIBILITY = "eligibility"
    ENROLMENT = "enrolment"
    CLAIM = "claim"


class Status(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (Status.RECEIVED.value, Status.IN_REVIEW.value)


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    NOT_SATISFIED = "not_satisfied"
    NO_ANSWER = "no_answer"


class Outcome(StrEnum):
    """How an appeal ended: the decision stands, or it was changed."""

    UPHELD = "upheld"
    CHANGED = "changed"


class Level(StrEnum):
    COMMUNE = "commune"
    DISTRICT = "district"
    PROVINCE = "province"
    NATIONAL = "national"


_LEVEL_BY_LENGTH = {6: Level.COMMUNE, 4: Level.DISTRICT, 2: Level.PROVINCE, 0: Level.NATIONAL}

TICKET_PATTERN = re.compile(r"^\d{4}-\d{4}$")
PIN_PATTERN = re.compile(r"^\d{6}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ]{7,18}$")
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 2000
NAME_MAX = 100
REASON_MIN, REASON_MAX = 5, 2000
DECISION_REF_MAX = 64


def level_of(office: str) -> Level:
    """The level of the office with area code ``office`` ('' is national)."""
    return _LEVEL_BY_LENGTH[len(office)]


def office_above(office: str) -> str | None:
    """The office one level up (commune -> district -> province -> national), or None at the
    top."""
    if not office:
        return None
    return office[:-2] if len(office) > 2 else ""


def office_of(area_code: str) -> str:
    """The office a grievance about ``area_code`` (a commune or a village) starts at: its
    commune."""
    return area_code[:6]


def normalise_ticket(text: str) -> str:
    """A ticket number as typed (spaces, no dash, Khmer digits) in its stored form."""
    digits = "".join(_ascii_digit(c) for c in text if not c.isspace() and c != "-")
    return f"{digits[:4]}-{digits[4:]}" if len(digits) == 8 else text.strip()


def normalise_pin(text: str) -> str:
    return "".join(_ascii_digit(c) for c in text if not c.isspace())


def _ascii_digit(c: str) -> str:
    khmer = "០១២៣៤៥៦៧៨៩"
    return str(khmer.index(c)) if c in khmer else c


@dataclass(frozen=True)
class Intake:
    """What is taken in: from the public form, or by staff for someone who phoned, came or
    wrote. ``name`` and ``phone`` are optional (anonymous complaints are allowed)."""

    category: str
    description: str
    area_code: str
    channel: str = Channel.WEB.value
    kind: str = Kind.COMPLAINT.value
    name: str | None = None
    phone: str | None = None
    decision_kind: str | None = None
    decision_ref: str | None = None
    decided_by: str | None = None

    @property
    def anonymous(self) -> bool:
        return not self.name and not self.phone


def _error(field: str, code: str, msg: str, msg_km: str) -> FieldError:
    return FieldError((field,), code, msg, msg_km)


def intake_problems(intake: Intake) -> list[FieldError]:
    """Every problem with ``intake`` (the area code's existence is checked by the service)."""
    errors: list[FieldError] = []
    if intake.category not in {c.value for c in Category}:
        errors.append(_error("category", "category_required", "choose what the complaint is about",
                             "សូមជ្រើសរើសប្រភេទបណ្តឹង"))
    text = intake.description.strip()
    if len(text) < DESCRIPTION_MIN:
        errors.append(_error("description", "too_short",
                             f"describe the problem in at least {DESCRIPTION_MIN} characters",
                             f"សូមរៀបរាប់បញ្ហាយ៉ាងតិច {DESCRIPTION_MIN} តួអក្សរ"))
    elif len(text) > DESCRIPTION_MAX:
        errors.append(_error("description", "too_long",
                             f"at most {DESCRIPTION_MAX} characters",
                             f"យ៉ាងច្រើន {DESCRIPTION_MAX} តួអក្សរ"))
    if not (intake.area_code.isdigit() and len(intake.area_code) in (6, 8)):
        errors.append(_error("commune", "area_required",
                             "choose the commune the complaint is about",
                             "សូមជ្រើសរើសឃុំ/សង្កាត់ដែលបណ្តឹងពាក់ព័ន្ធ"))
    if intake.channel not in {c.value for c in Channel}:
        errors.append(_error("channel", "unknown_channel", "choose how the complaint came in",
                             "សូមជ្រើសរើសមធ្យោបាយដែលបណ្តឹងបានមកដល់"))
    if intake.name is not None and len(intake.name) > NAME_MAX:
        errors.append(_error("name", "too_long", f"at most {NAME_MAX} characters",
                             f"យ៉ាងច្រើន {NAME_MAX} តួអក្សរ"))
    if intake.phone and not PHONE_PATTERN.match(intake.phone):
        errors.append(_error("phone", "bad_phone",
                             "a phone number has 8 to 15 digits, e.g. 012 345 678",
                             "លេខទូរស័ព្ទមាន ៨ ដល់ ១៥ ខ្ទង់ ឧ. ០១២ ៣៤៥ ៦៧៨"))
    errors += _appeal_problems(intake)
    return errors


def _appeal_problems(intake: Intake) -> list[FieldError]:
    if intake.kind not in {k.value for k in Kind}:
        return [_error("kind", "unknown_kind", "a complaint or an appeal",
                       "បណ្តឹងតវ៉ា ឬបណ្តឹងឧទ្ធរណ៍")]
    if intake.kind == Kind.COMPLAINT:
        return []
    errors = []
    if intake.decision_kind not in {d.value for d in DecisionKind}:
        errors.append(_error("decision_kind", "decision_required",
                             "choose the decision appealed against: eligibility, enrolment or "
                             "claim", "សូមជ្រើសរើសសេចក្តីសម្រេចដែលប្តឹងឧទ្ធរណ៍"))
    if intake.decision_ref is not None and len(intake.decision_ref) > DECISION_REF_MAX:
        errors.append(_error("decision_ref", "too_long", f"at most {DECISION_REF_MAX} characters",
                             f"យ៉ាងច្រើន {DECISION_REF_MAX} តួអក្សរ"))
    return errors


def reason_problems(reason: str, field: str = "reason") -> list[FieldError]:
    text = reason.strip()
    if len(text) < REASON_MIN:
        return [_error(field, "reason_required", f"give the reason (at least {REASON_MIN} "
                       "characters)", f"សូមផ្តល់មូលហេតុ (យ៉ាងតិច {REASON_MIN} តួអក្សរ)")]
    if len(text) > REASON_MAX:
        return [_error(field, "too_long", f"at most {REASON_MAX} characters",
                       f"យ៉ាងច្រើន {REASON_MAX} តួអក្សរ")]
    return []


@dataclass(frozen=True)
class Grievance:
    """A grievance as staff see it (contact details are read separately, and logged)."""

    id: int
    ticket: str
    kind: str
    category: str
    channel: str
    status: str
    description: str
    anonymous: bool
    area_code: str
    office: str
    deadline: datetime
    received_at: datetime
    version: int
    escalations: int = 0
    resolved_at: datetime | None = None
    resolution: str | None = None
    outcome: str | None = None
    satisfaction: str | None = None
    decision_kind: str | None = None
    decision_ref: str | None = None
    decided_by: str | None = None
    reviewer: str | None = None

    @property
    def level(self) -> Level:
        return level_of(self.office)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue(self, now: datetime) -> bool:
        return self.is_open and self.deadline < now


@dataclass(frozen=True)
class Event:
    """One step of a grievance's life as the complainant sees it (no staff names)."""

    at: datetime
    action: str
    status: str | None
    office: str | None
    note: str | None = None


@dataclass(frozen=True)
class PublicView:
    """What the follow-up page shows for a ticket and its PIN."""

    ticket: str
    kind: str
    category: str
    status: str
    office: str
    deadline: datetime
    received_at: datetime
    resolution: str | None
    outcome: str | None
    satisfaction: str | None
    events: tuple[Event, ...]


#: the texts of the complainant's messages, per event: (English, Khmer); ``{ticket}`` and
#: ``{reason}`` are filled in
MESSAGES: dict[str, tuple[str, str]] = {
    "received": ("SPMIS: your complaint {ticket} was received. Follow it with your ticket number "
                 "and PIN.",
                 "SPMIS៖ បណ្តឹងរបស់អ្នក {ticket} ត្រូវបានទទួល។ តាមដានវាដោយប្រើលេខសំបុត្រ "
                 "និងលេខសម្ងាត់ របស់អ្នក។"),
    "in_review": ("SPMIS: your complaint {ticket} is being reviewed.",
                  "SPMIS៖ បណ្តឹងរបស់អ្នក {ticket} កំពុងត្រូវបានពិនិត្យ។"),
    "escalated": ("SPMIS: your complaint {ticket} was passed to the office above, which now has "
                  "to answer it.",
                  "SPMIS៖ បណ្តឹងរបស់អ្នក {ticket} ត្រូវបានបញ្ជូនទៅការិយាល័យថ្នាក់លើ "
                  "ដែលត្រូវឆ្លើយតបឥឡូវនេះ។"),
    "resolved": ("SPMIS: your complaint {ticket} was resolved: {reason}",
                 "SPMIS៖ បណ្តឹងរបស់អ្នក {ticket} ត្រូវបានដោះស្រាយ៖ {reason}"),
    "closed": ("SPMIS: your complaint {ticket} is closed. Thank you for your answer.",
               "SPMIS៖ បណ្តឹងរបស់អ្នក {ticket} ត្រូវបានបិទ។ សូមអរគុណចំពោះចម្លើយរបស់អ្នក។"),
}


def message_texts(event: str, ticket: str, reason: str = "") -> tuple[str, str]:
    """(English, Khmer) of the message telling the complainant about ``event``."""
    en, km = MESSAGES[event]
    return en.format(ticket=ticket, reason=reason), km.format(ticket=ticket, reason=reason)
