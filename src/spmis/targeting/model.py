"""Identifying poor households: the domain. Standard library only.

A **round** assesses the households of an area (``village``: every village, house by house; or
``on_demand``: households that ask at the commune office) between two dates; it is scored with
the parameters in force on its **parameter date**. An **assessment** is one household's
questionnaire in a round, received from ODK Collect (OpenRosa) or typed in at the office: a
``draft`` until the round is scored, then ``scored`` (the community review moves it on). Its
**score** is the sum of the items' points and gives the level: 1 (Poor Level 1, the poorest),
2 (Poor Level 2) or 0 (not poor).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from spmis.errors import FieldError

#: the first day the scoring parameters are defined (rules/parameters/targeting/idpoor.yaml)
FIRST_PARAMETER_DATE = date(2019, 1, 1)
#: a round's code: letters, digits, '-' and '_'
ROUND_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,23}$")
#: an OpenRosa instance id ("uuid:..." from ODK Collect)
INSTANCE_ID = re.compile(r"^[A-Za-z0-9:._-]{1,64}$")


class RoundKind(StrEnum):
    VILLAGE = "village"
    ON_DEMAND = "on_demand"


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class AssessmentStatus(StrEnum):
    """Where an assessment is. ``scored`` is not stored: a ``draft`` with a score reads as
    ``scored`` (``queries.status_of``). The community review (second half of issue 19) adds its
    own statuses after it."""

    DRAFT = "draft"
    SCORED = "scored"


class Channel(StrEnum):
    ODK = "odk"
    OFFICE = "office"


#: the levels a score gives (1 is the poorest)
LEVEL_NAMES: dict[int, tuple[str, str]] = {
    1: ("Poor Level 1", "ក្រីក្រកម្រិត ១"),
    2: ("Poor Level 2", "ក្រីក្រកម្រិត ២"),
    0: ("Not poor", "មិនក្រីក្រ"),
}


@dataclass(frozen=True)
class RoundDraft:
    """What a new round needs."""

    code: str
    name: str
    kind: str
    area_code: str
    parameter_date: date
    opens_on: date
    closes_on: date


def _error(field: str, code: str, msg: str, msg_km: str) -> FieldError:
    return FieldError((field,), code, msg, msg_km)


def round_problems(draft: RoundDraft) -> list[FieldError]:
    """What is wrong with a new round, field by field (empty when nothing)."""
    out = []
    if not ROUND_CODE.match(draft.code or ""):
        out.append(_error("code", "invalid", "2 to 24 letters, digits, '-' or '_'",
                          "អក្សរ លេខ '-' ឬ '_' ពី ២ ដល់ ២៤ តួ"))
    if not (draft.name or "").strip() or len(draft.name) > 200:
        out.append(_error("name", "invalid", "a name of 1 to 200 characters is needed",
                          "ត្រូវការឈ្មោះពី ១ ដល់ ២០០ តួ"))
    if draft.kind not in {k.value for k in RoundKind}:
        out.append(_error("kind", "invalid", "village or on_demand",
                          "ភូមិ ឬតាមសំណើ"))
    if len(draft.area_code) not in (0, 2, 4, 6) or not (draft.area_code == ""
                                                        or draft.area_code.isdigit()):
        out.append(_error("area_code", "invalid", "'' or a 2, 4 or 6-digit area code",
                          "លេខកូដតំបន់ ២ ៤ ឬ ៦ ខ្ទង់"))
    if draft.parameter_date < FIRST_PARAMETER_DATE:
        out.append(_error("parameter_date", "too_early",
                          f"no scoring parameters before {FIRST_PARAMETER_DATE.isoformat()}",
                          f"គ្មានប៉ារ៉ាម៉ែត្រដាក់ពិន្ទុមុន {FIRST_PARAMETER_DATE.isoformat()}"))
    if draft.closes_on < draft.opens_on:
        out.append(_error("closes_on", "before_opening", "closes before it opens",
                          "បិទមុនពេលបើក"))
    return out


@dataclass(frozen=True)
class Submission:
    """One questionnaire as it arrived (from an OpenRosa instance or an office form)."""

    instance_id: str
    form_id: str
    form_version: str
    round_id: int
    household_id: int
    submitted_at: datetime
    answers: dict[str, str | int]
