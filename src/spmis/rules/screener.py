"""The public "am I eligible?" check: a household description in, for every programme eligible or
not, the amount and the reasons in Khmer and English out. Nothing is stored.

The answer comes from the same engine as the back office: the description becomes a one-household
``Population`` and ``service.evaluate`` computes every programme. Two what-if inputs make the
conditional programmes answerable: each pregnant woman and child under 2 is assumed to make one
health visit this month (amount per visit), and a second evaluation assumes the expected delivery
happens (one-off amounts at birth).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from openfisca_core.errors import ParameterNotFoundError
from openfisca_core.periods import period as make_period
from pydantic import BaseModel, ConfigDict, Field

from spmis.errors import FieldError, InvalidInput
from spmis.rules.area_types import area_table
from spmis.rules.batching import Batcher
from spmis.rules.catalogue import programmes
from spmis.rules.engine import Population, ProgrammeResult, build_simulation, evaluate
from spmis.rules.explain import (
    FACT_VARIABLES,
    Facts,
    Reason,
    amount_note,
    km,
    programme_span,
    reasons_for,
    summary,
    visit_rate,
)
from spmis.rules.periods import MONTH_PATTERN, period_problem
from spmis.rules.system import tax_benefit_system

TZ = ZoneInfo("Asia/Phnom_Penh")
#: the ages (completed years, inclusive) at which the check believes a pregnancy; a plausibility
#: bound against slips (a pregnancy ticked on the wrong person), not a rule of any programme
PREGNANCY_AGES = (10, 60)


class ScreenerMember(BaseModel):
    """One member of the household being checked."""

    model_config = ConfigDict(extra="forbid")

    age: int | None = Field(None, ge=0, le=130, description="age in completed years")
    date_of_birth: date | None = None
    sex: Literal["female", "male", "unknown"] = "unknown"
    disability: bool = False
    living_with_hiv: bool = False
    pregnant: bool = False
    expected_delivery_date: date | None = None
    babies_expected: int = Field(1, ge=1, le=6)
    school_level: Literal["none", "primary", "lower_secondary", "upper_secondary"] = "none"
    employment: Literal["none", "informal", "employee", "self_employed", "civil_servant"] = "none"
    nssf_member: bool = False
    monthly_wage_khr: int = Field(0, ge=0, le=10**10)
    nssf_contribution_months: int = Field(0, ge=0, le=1200)


class ScreenerRequest(BaseModel):
    """A household description. ``idpoor_level`` 0 or absent means no IDPoor card."""

    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(None, pattern=MONTH_PATTERN, examples=["2026-11"])
    idpoor_level: int = Field(0, ge=0, le=2)
    commune_code: str = Field(..., pattern=r"^\d{6}$", examples=["120101"])
    flood_affected: bool = False
    members: list[ScreenerMember] = Field(..., min_length=1, max_length=40)


class ProgrammeAnswer(BaseModel):
    id: str
    name_en: str
    name_km: str
    kind: str
    eligible: bool
    amount: int = Field(description="in the smallest unit of the currency (riel or US cent)")
    currency: str
    payment: str
    status: Literal["current", "ended", "not_started"] = Field(
        description="whether the programme pays in the month checked, has ended, or starts later"
    )
    paid_from: str | None = Field(description="first month the programme pays, when the rules say")
    paid_until: str | None = Field(description="last month the programme paid, once it has ended")
    summary: Reason
    reasons: list[Reason] = Field(
        description="the conditions for the programme, each met or not met for this household"
    )
    amount_note: Reason | None = Field(
        None, description="how a per-visit amount is reckoned, and the payment at delivery"
    )
    per_visit: int = Field(0, description="what one paid health visit gives (per-visit programmes)")
    at_delivery: int = Field(0, description="paid once at the birth, besides ``amount``")


class ScreenerAnswer(BaseModel):
    period: str
    area_type: str
    programmes: list[ProgrammeAnswer]
    note: Reason


def current_period() -> str:
    """This month in Cambodia, 'YYYY-MM'."""
    return datetime.now(TZ).strftime("%Y-%m")


def validate(request: ScreenerRequest, period: str) -> None:
    """Checks beyond the schema; raises ``InvalidInput`` naming every bad field."""
    problem = period_problem(period)
    if problem is not None:  # nothing else can be checked against a month the rules do not cover
        raise InvalidInput.one(("body", "period"), "out_of_range", *problem)
    errors: list[FieldError] = []
    if area_table().get(request.commune_code) is None:
        errors.append(
            FieldError(
                ("body", "commune_code"), "unknown_commune",
                f"unknown commune code {request.commune_code}",
                f"មិនស្គាល់លេខកូដឃុំ/សង្កាត់ {km(request.commune_code)}",
            )
        )
    last_day = make_period(period).stop.date
    for i, m in enumerate(request.members):
        loc: tuple[str | int, ...] = ("body", "members", i)
        if m.age is None and m.date_of_birth is None:
            errors.append(
                FieldError(
                    (*loc, "age"), "missing", "give the age or the date of birth",
                    "សូមបញ្ចូលអាយុ ឬថ្ងៃខែឆ្នាំកំណើត",
                )
            )
        if m.date_of_birth is not None and m.date_of_birth > last_day:
            errors.append(
                FieldError(
                    (*loc, "date_of_birth"), "in_future",
                    "date of birth is after the month checked",
                    "ថ្ងៃខែឆ្នាំកំណើតនៅក្រោយខែដែលពិនិត្យ",
                )
            )
        if m.pregnant:
            errors.extend(_pregnancy_problems(i, m, make_period(period).start.date))
        if m.expected_delivery_date is not None and not m.pregnant:
            errors.append(
                FieldError(
                    (*loc, "expected_delivery_date"), "not_pregnant",
                    "an expected delivery date needs pregnant = true",
                    "ថ្ងៃរំពឹងសម្រាលត្រូវការ pregnant = true",
                )
            )
    if errors:
        raise InvalidInput(errors)


def _age_on(member: ScreenerMember, day: date) -> int | None:
    """Completed years on ``day`` (the given age, else from the date of birth)."""
    if member.age is not None:
        return member.age
    if member.date_of_birth is None:
        return None
    born = member.date_of_birth
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _pregnancy_problems(i: int, m: ScreenerMember, first_day: date) -> list[FieldError]:
    """A pregnancy the household cannot have: a man's, or at an age outside ``PREGNANCY_AGES``."""
    loc: tuple[str | int, ...] = ("body", "members", i, "pregnant")
    n = i + 1
    if m.sex == "male":
        return [FieldError(
            loc, "pregnant_male",
            f"person {n} is male and marked pregnant: untick pregnant or correct the sex",
            km(f"បុគ្គលទី {n} ជាបុរស តែត្រូវបានគូសថាមានផ្ទៃពោះ៖ សូមដោះធីកមានផ្ទៃពោះ ឬកែភេទ"),
        )]
    age = _age_on(m, first_day)
    low, high = PREGNANCY_AGES
    if age is not None and not low <= age <= high:
        return [FieldError(
            loc, "pregnant_age",
            f"person {n} is {age} year{'' if age == 1 else 's'} old and marked pregnant: a "
            f"pregnant woman is {low} to {high} years old; untick pregnant or correct the age",
            km(f"បុគ្គលទី {n} មានអាយុ {age} ឆ្នាំ តែត្រូវបានគូសថាមានផ្ទៃពោះ៖ ស្ត្រីមានផ្ទៃពោះ"
               f"មានអាយុពី {low} ដល់ {high} ឆ្នាំ សូមដោះធីកមានផ្ទៃពោះ ឬកែអាយុ"),
        )]
    return []


def _birth_dates(request: ScreenerRequest, period: str) -> np.ndarray[Any, Any]:
    start = make_period(period).start
    dates = []
    for m in request.members:
        if m.date_of_birth is not None:
            dates.append(m.date_of_birth)
        else:
            assert m.age is not None
            # the youngest a person of this age can be: born on the 1st, ``age`` years before
            dates.append(date(start.year - m.age, start.month, 1))
    return np.array(dates, dtype="datetime64[D]")


def _parameters(period: str) -> Any:
    """The rules' parameters in force at the start of ``period``."""
    return tax_benefit_system().get_parameters_at_instant(make_period(period).start)


def _pension_reference_wages(wages: npt.NDArray[np.int64], period: str) -> npt.NDArray[np.int64]:
    """Monthly wages held between the pension floor and ceiling in force (0 without a wage, and
    before the pension scheme existed)."""
    contributory = _parameters(period).social_security.contributory_wage
    try:
        floor, ceiling = contributory.pension_floor, contributory.pension_ceiling
    except ParameterNotFoundError:
        return np.zeros_like(wages)
    return np.clip(wages, floor, ceiling) * (wages > 0)


def _population(request: ScreenerRequest, period: str, delivery: bool) -> Population:
    wages = np.array([m.monthly_wage_khr for m in request.members], dtype=np.int64)
    days_per_month = _parameters(period).social_security.daily_wage.days_per_month
    n = len(request.members)
    members = request.members
    pregnant = np.array([m.pregnant for m in members])
    return Population(
        household_ids=np.array([1]),
        person_ids=np.arange(n),
        person_household_ids=np.ones(n, dtype=np.int64),
        household={
            "idpoor_level": np.array([request.idpoor_level]),
            "commune_code": np.array([request.commune_code]),
            "flood_affected": np.array([request.flood_affected]),
        },
        person={
            "date_of_birth": _birth_dates(request, period),
            "sex": np.array([m.sex for m in members]),
            "disability": np.array([m.disability for m in members]),
            "living_with_hiv": np.array([m.living_with_hiv for m in members]),
            "pregnant": pregnant & (not delivery),
            "gave_birth": pregnant & delivery,
            "number_of_babies": np.array([m.babies_expected for m in members]),
            "antenatal_visits": pregnant.astype(np.int32),
            "child_visits": np.full(n, 0 if delivery else 1, dtype=np.int32),
            "nssf_maternity_visits": (pregnant & np.array([m.nssf_member for m in members])).astype(
                np.int32
            ),
            "school_level": np.array([m.school_level for m in members]),
            "civil_servant": np.array([m.employment == "civil_servant" for m in members]),
            "nssf_member": np.array([m.nssf_member for m in members]),
            "wage": wages,
            "average_daily_wage": np.floor(wages / days_per_month + 0.5).astype(np.int64),
            "maternity_leave_days": pregnant.astype(np.int32),
            "injury_incapacity_days": np.full(n, 2, dtype=np.int32),
            "nssf_contribution_months": np.array([m.nssf_contribution_months for m in members]),
            "pension_reference_wage": _pension_reference_wages(wages, period),
        },
    )


def screen(request: ScreenerRequest) -> ScreenerAnswer:
    """Answer the check for ``request`` (validated, computed, explained; nothing stored)."""
    answer = screen_many([request])[0]
    if isinstance(answer, InvalidInput):
        raise answer
    return answer


#: this process's checks, computed together on one thread (``spmis.rules.batching``)
_TOGETHER: Batcher[ScreenerRequest, ScreenerAnswer | InvalidInput] = Batcher(
    lambda requests: screen_many(requests), name="screener")


async def screen_together(request: ScreenerRequest) -> ScreenerAnswer:
    """As ``screen``, awaited from the event loop: computed on the screener's own thread with
    the checks that arrive meanwhile (one simulation for all of them)."""
    answer = await _TOGETHER.submit(request)
    if isinstance(answer, InvalidInput):
        raise answer
    return answer


def screen_many(requests: Sequence[ScreenerRequest]) -> list[ScreenerAnswer | InvalidInput]:
    """Answer several checks at once, in order: each a ``ScreenerAnswer`` or the
    ``InvalidInput`` naming its bad fields. The households of one month are computed in one
    simulation, each as two households (as described, and with the expected deliveries
    happened): the engine computes over arrays, so most of its cost is per simulation, not per
    household. Every household is computed on its own (no formula reads another household), so
    an answer is the same alone or with others."""
    out: list[ScreenerAnswer | InvalidInput | None] = [None] * len(requests)
    by_period: dict[str, list[int]] = {}
    for i, request in enumerate(requests):
        period = request.period or current_period()
        try:
            validate(request, period)
        except InvalidInput as exc:
            out[i] = exc
            continue
        by_period.setdefault(period, []).append(i)
    for period, indexes in by_period.items():
        batch = _compute(period, [requests[i] for i in indexes])
        for i, computed in zip(indexes, batch, strict=True):
            out[i] = _answer(requests[i], computed)
    return [a for a in out if a is not None]


@dataclass
class _Computed:
    """The engine's results for one checked household: as described (``results``, ``facts``)
    and with its expected deliveries happened (``at_birth``)."""

    period: str
    results: dict[str, ProgrammeResult]
    at_birth: dict[str, ProgrammeResult]
    facts: Facts


def _compute(period: str, requests: Sequence[ScreenerRequest]) -> list[_Computed]:
    """Every request of ``period`` in one simulation: request k is households 2k (as described)
    and 2k+1 (deliveries happened), each with its own members."""
    parts = [_population(r, period, delivery) for r in requests for delivery in (False, True)]
    sizes = np.array([len(p.person_ids) for p in parts])
    starts = np.concatenate([[0], np.cumsum(sizes)])
    household_ids = np.arange(1, len(parts) + 1)
    population = Population(
        household_ids=household_ids,
        person_ids=np.arange(int(starts[-1])),
        person_household_ids=np.repeat(household_ids, sizes),
        household={k: np.concatenate([p.household[k] for p in parts]) for k in parts[0].household},
        person={k: np.concatenate([p.person[k] for p in parts]) for k in parts[0].person},
    )
    simulation = build_simulation(population, period)
    results = evaluate(population, period, simulation=simulation)
    values = {v: np.asarray(simulation.calculate(v, period)) for v in FACT_VARIABLES}
    system = tax_benefit_system()
    person_facts = {v for v in FACT_VARIABLES if system.variables[v].entity.key == "person"}
    computed = []
    for k, request in enumerate(requests):
        described, born = 2 * k, 2 * k + 1
        facts = Facts(
            period=period,
            idpoor_level=request.idpoor_level,
            area_type=str(area_table().get(request.commune_code)),
            values={v: _rows(a, v in person_facts, described, starts) for v, a in values.items()},
        )
        computed.append(_Computed(
            period,
            {pid: _part(r, described, starts) for pid, r in results.items()},
            {pid: _part(results[pid], born, starts) for pid in AT_BIRTH},
            facts,
        ))
    return computed


#: the programmes that pay at a birth: answered from the household with its deliveries happened
AT_BIRTH = ("pregnant_child_cash_transfer", "nssf_childbirth_allowance")


def _rows(values: npt.NDArray[Any], per_person: bool, household: int,
          starts: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    """The values of one household (its members' when ``per_person``)."""
    if per_person:
        return values[int(starts[household]):int(starts[household + 1])]
    return values[household:household + 1]


def _part(result: ProgrammeResult, household: int,
          starts: npt.NDArray[np.int64]) -> ProgrammeResult:
    """One household's share of a programme's results."""
    per_person = result.programme.entity == "person"
    return ProgrammeResult(
        result.programme,
        _rows(result.ids, per_person, household, starts),
        _rows(result.eligible, per_person, household, starts),
        _rows(result.amount, per_person, household, starts),
    )


def _answer(request: ScreenerRequest, computed: _Computed) -> ScreenerAnswer:
    """The answer for one household from its computed results, explained."""
    period, results, at_birth, facts = (computed.period, computed.results, computed.at_birth,
                                        computed.facts)
    answers = []
    for prog in programmes():
        result = at_birth.get(prog.id) if prog.id == "nssf_childbirth_allowance" else None
        result = result or results[prog.id]
        amount = int(result.amount.sum())
        eligible = bool(result.eligible.any()) and (amount > 0 or prog.payment == "contribution")
        reasons = reasons_for(prog, facts, request.flood_affected)
        delivery = 0
        if prog.id == "pregnant_child_cash_transfer":
            delivery = int(at_birth[prog.id].amount.sum())
            eligible = eligible or delivery > 0
        span = programme_span(prog.id)
        status: Literal["current", "ended", "not_started"] = "current"
        if span.ended(period):
            status = "ended"
        elif span.first is not None and period < span.first:
            status = "not_started"
        answers.append(ProgrammeAnswer(
            id=prog.id, name_en=prog.name_en, name_km=prog.name_km, kind=prog.kind,
            eligible=eligible, amount=amount, currency=prog.currency, payment=prog.payment,
            status=status, paid_from=span.first, paid_until=span.last,
            summary=summary(eligible, reasons), reasons=reasons,
            amount_note=amount_note(prog, period, amount, delivery) if eligible else None,
            per_visit=visit_rate(prog.id, period) if eligible else 0,
            at_delivery=delivery if eligible else 0,
        ))
    return ScreenerAnswer(
        period=period,
        area_type=facts.area_type,
        programmes=answers,
        note=NOTE,
    )


NOTE = Reason(
    en="An estimate from the published rules; the programme decides. Nothing you entered is "
       "stored.",
    km="នេះជាការប៉ាន់ស្មានតាមច្បាប់ដែលបានផ្សព្វផ្សាយ កម្មវិធីជាអ្នកសម្រេច។ "
       "ព័ត៌មានដែលអ្នកបញ្ចូលមិនត្រូវបានរក្សាទុកទេ។",
)
