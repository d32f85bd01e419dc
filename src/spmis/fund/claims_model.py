"""Pure rules of the fund's claims: kinds and the facts each declares, the decision workflow,
attached documents and the words of the rules' refusals. Standard library only."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from spmis.errors import FieldError, InvalidInput

KINDS = ("maternity", "childbirth", "visits", "injury", "old_age", "survivors")
KIND_NAMES = {
    "maternity": ("Maternity allowance", "ប្រាក់បំណាច់មាតុភាព"),
    "childbirth": ("Childbirth allowance", "ប្រាក់ឧបត្ថម្ភការសម្រាលកូន"),
    "visits": ("Antenatal, postnatal and vaccination visits",
               "ការពិនិត្យផ្ទៃពោះ ក្រោយសម្រាល និងចាក់វ៉ាក់សាំង"),
    "injury": ("Temporary disability after an occupational injury",
               "អសមត្ថភាពបណ្ដោះអាសន្ន ដោយគ្រោះថ្នាក់ការងារ"),
    "old_age": ("Old-age pension", "សោធននិវត្តន៍"),
    "survivors": ("Survivors' pension", "សោធនអ្នកនៅរស់"),
}
#: each kind's declared facts: name -> (smallest, largest)
DETAILS: dict[str, dict[str, tuple[int, int]]] = {
    "maternity": {"leave_days": (1, 366)},
    "childbirth": {"babies": (1, 9)},
    "visits": {"visits": (1, 14)},
    "injury": {"incapacity_days": (1, 366)},
    "old_age": {},
    "survivors": {},
}


class State:
    """The decision workflow of a claim."""

    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


OPEN_STATES = (State.SUBMITTED, State.UNDER_REVIEW)
#: action -> (the states it starts from, the state it leads to)
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "review": ((State.SUBMITTED,), State.UNDER_REVIEW),
    "approve": ((State.UNDER_REVIEW,), State.APPROVED),
    "reject": (OPEN_STATES, State.REJECTED),
    "pay": ((State.APPROVED,), State.PAID),
}

#: documents: at most this many per claim, each at most this size (all of them fit the staff
#: routes' 4 MiB request limit, base64 included), of these types (by content)
MAX_DOCUMENTS = 3
MAX_DOCUMENT_BYTES = 1_000_000
DOCUMENT_TYPES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png",
                  b"\xff\xd8\xff": "image/jpeg"}
DOCUMENT_KINDS = ("birth_certificate", "medical_certificate", "accident_report",
                  "death_certificate", "identity_document", "other")


@dataclass(frozen=True)
class Document:
    """A file attached to a claim, checked: its type read from its first bytes."""

    kind: str
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def sealed_text(self) -> str:
        """The file as the text that is encrypted (base64, so key rotation handles it)."""
        return base64.b64encode(self.data).decode("ascii")


def _err(field: tuple[str | int, ...], code: str, msg: str, msg_km: str) -> FieldError:
    return FieldError(field, code, msg, msg_km)


def check_document(index: int, kind: str, filename: str, data: bytes) -> Document:
    """A document to attach, or a refusal naming it (``documents.<index>``) and the reason."""
    loc: tuple[str | int, ...] = ("documents", index)
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput([_err((*loc, "kind"), "unknown_document_kind",
                                 f"document kind must be one of {', '.join(DOCUMENT_KINDS)}",
                                 "ប្រភេទឯកសារមិនត្រឹមត្រូវ")])
    if not data:
        raise InvalidInput([_err(loc, "empty_document", "the document is empty",
                                 "ឯកសារទទេ")])
    if len(data) > MAX_DOCUMENT_BYTES:
        mb = MAX_DOCUMENT_BYTES // 1_000_000
        raise InvalidInput([_err(loc, "document_too_large", f"a document may be at most {mb} MB",
                                 f"ឯកសារមួយអាចមានទំហំយ៉ាងច្រើន {mb} មេកាបៃ")])
    content_type = next((t for magic, t in DOCUMENT_TYPES.items() if data.startswith(magic)), None)
    if content_type is None:
        raise InvalidInput([_err(loc, "document_type",
                                 "a document must be a PDF, PNG or JPEG file",
                                 "ឯកសារត្រូវតែជា PDF, PNG ឬ JPEG")])
    name = "".join(c for c in (filename or "document").strip() if c.isprintable())[:200]
    return Document(kind, name or "document", content_type, data)


def check_details(kind: str, details: dict[str, Any]) -> dict[str, int]:
    """The declared facts of a claim of ``kind``, each a whole number within its bounds."""
    errors: list[FieldError] = []
    out: dict[str, int] = {}
    for name, (low, high) in DETAILS[kind].items():
        value = details.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(_err(("details", name), "missing", f"{name}: a whole number is needed",
                               f"{name}៖ ត្រូវការចំនួនគត់"))
        elif not low <= value <= high:
            errors.append(_err(("details", name), "out_of_range",
                               f"{name} must be between {low} and {high}",
                               f"{name} ត្រូវនៅចន្លោះ {low} និង {high}"))
        else:
            out[name] = value
    unknown = sorted(set(details) - set(DETAILS[kind]))
    errors += [_err(("details", n), "unknown_field", f"{n} is not a fact of a {kind} claim",
                    f"{n} មិនមែនជាព័ត៌មាននៃពាក្យស្នើសុំប្រភេទនេះទេ") for n in unknown]
    if errors:
        raise InvalidInput(errors)
    return out


def check_event_date(event_date: date, today: date, scheme_start: date) -> None:
    """An event no later than today and not before the fund existed."""
    if event_date > today:
        raise InvalidInput.one(("event_date",), "in_the_future", "the event date is in the future",
                               "កាលបរិច្ឆេទព្រឹត្តិការណ៍នៅថ្ងៃអនាគត")
    if event_date < scheme_start:
        raise InvalidInput.one(("event_date",), "before_scheme",
                               f"the event is before the fund's first day ({scheme_start})",
                               f"ព្រឹត្តិការណ៍មុនថ្ងៃចាប់ផ្ដើមរបស់បេឡាជាតិ ({scheme_start})")


def can_move(state: str, action: str) -> bool:
    """Whether a claim in ``state`` may take ``action``."""
    starts, _ = MOVES[action]
    return state in starts


def refusal_text(code: str, computed: dict[str, Any],
                 conditions: dict[str, int]) -> tuple[str, str]:
    """The rules' refusal ``code`` said in English and Khmer, with the member's own figures."""
    age = computed.get("age")
    months = computed.get("contribution_months")
    texts = {
        "": ("", ""),
        "under_pension_age": (
            f"The member is {age}: the old-age pension starts at {conditions.get('pension_age')}.",
            f"សមាជិកមានអាយុ {age} ឆ្នាំ៖ សោធននិវត្តន៍ចាប់ផ្ដើមពីអាយុ {conditions.get('pension_age')} ឆ្នាំ។"),
        "no_contributions": (
            "The member has no month of pension contributions.",
            "សមាជិកមិនមានខែបង់ភាគទានសោធនទេ។"),
        "survivors_months": (
            f"The member had {months} months of contributions; survivors need "
            f"{conditions.get('survivors_months')}.",
            f"សមាជិកមាន {months} ខែនៃការបង់ភាគទាន៖ អ្នកនៅរស់ត្រូវការ "
            f"{conditions.get('survivors_months')} ខែ។"),
        "no_wage_before": (
            "No contributory wage was declared in the months before the event.",
            "គ្មានប្រាក់ឈ្នួលជាប់ភាគទានបានប្រកាសក្នុងខែមុនព្រឹត្តិការណ៍ទេ។"),
        "visits_used": ("Every paid visit of this birth has been claimed already.",
                        "ការពិនិត្យដែលមានសិទ្ធិទទួលប្រាក់ទាំងអស់ត្រូវបានស្នើរួចហើយ។"),
        "nothing_due": ("The rules give no amount for these facts.",
                        "តាមវិធាននេះ មិនមានចំនួនទឹកប្រាក់ត្រូវផ្ដល់ទេ។"),
        "not_a_member": ("The person was not a member of the fund at the event.",
                         "បុគ្គលនេះមិនមែនជាសមាជិកបេឡាជាតិនៅពេលព្រឹត្តិការណ៍ទេ។"),
    }
    return texts.get(code, (code, code))
