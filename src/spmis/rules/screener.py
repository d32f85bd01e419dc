"""The public "am I eligible?" check: a household description in, for every programme eligible or
not, the amount and the reasons in Khmer and English out. Nothing is stored.

The answer comes from the same engine as the back office: the description becomes a one-household
``Population`` and ``service.evaluate`` computes every programme. Two what-if inputs make the
conditional programmes answerable: each pregnant woman and child under 2 is assumed to make one
health visit this month (amount per visit), and a second evaluation assumes the expected delivery
happens (one-off amounts at birth).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
from openfisca_core.periods import period as make_period
from pydantic import BaseModel, ConfigDict, Field

from spmis.errors import FieldError, InvalidInput
from spmis.rules.area_types import area_table
from spmis.rules.catalogue import Programme, programmes
from spmis.rules.service import Population, ProgrammeResult, build_simulation, evaluate
from spmis.rules.system import tax_benefit_system

TZ = ZoneInfo("Asia/Phnom_Penh")
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


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

    period: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-11"])
    idpoor_level: int = Field(0, ge=0, le=2)
    commune_code: str = Field(..., pattern=r"^\d{6}$", examples=["120101"])
    flood_affected: bool = False
    members: list[ScreenerMember] = Field(..., min_length=1, max_length=40)


class Reason(BaseModel):
    en: str
    km: str
    met: bool = Field(True, description="whether this condition speaks for eligibility")


class ProgrammeAnswer(BaseModel):
    id: str
    name_en: str
    name_km: str
    kind: str
    eligible: bool
    amount: int = Field(description="in the smallest unit of the currency (riel or US cent)")
    currency: str
    payment: str
    summary: Reason
    reasons: list[Reason]


class ScreenerAnswer(BaseModel):
    period: str
    area_type: str
    programmes: list[ProgrammeAnswer]
    note: Reason


def current_period() -> str:
    """This month in Cambodia, 'YYYY-MM'."""
    return datetime.now(TZ).strftime("%Y-%m")


def _km(text: str) -> str:
    return text.translate(KHMER_DIGITS)


def _money(amount: int, currency: str) -> str:
    if currency == "USD":
        return f"USD {amount / 100:,.2f}"
    return f"{amount:,} KHR"


def _money_km(amount: int, currency: str) -> str:
    if currency == "USD":
        return _km(f"{amount / 100:,.2f}") + " ដុល្លារ"
    return _km(f"{amount:,}") + " រៀល"


def validate(request: ScreenerRequest, period: str) -> None:
    """Checks beyond the schema; raises ``InvalidInput`` naming every bad field."""
    errors: list[FieldError] = []
    if area_table().get(request.commune_code) is None:
        errors.append(
            FieldError(
                ("body", "commune_code"), "unknown_commune",
                f"unknown commune code {request.commune_code}",
                f"មិនស្គាល់លេខកូដឃុំ/សង្កាត់ {_km(request.commune_code)}",
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


def _population(request: ScreenerRequest, period: str, delivery: bool) -> Population:
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
            "wage": np.array([m.monthly_wage_khr for m in members], dtype=np.int64),
            "average_daily_wage": np.array(
                [round(m.monthly_wage_khr / 30) for m in members], dtype=np.int64
            ),
            "maternity_leave_days": pregnant.astype(np.int32),
            "injury_incapacity_days": np.full(n, 2, dtype=np.int32),
            "nssf_contribution_months": np.array([m.nssf_contribution_months for m in members]),
            "pension_reference_wage": np.array(
                [min(max(m.monthly_wage_khr, 400_000), 1_200_000) if m.monthly_wage_khr else 0
                 for m in members], dtype=np.int64,
            ),
        },
    )


@dataclass
class Facts:
    """What the engine says about the household, for the explanations."""

    period: str
    idpoor_level: int
    area_type: str
    values: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)

    def count(self, variable: str) -> int:
        return int(np.sum(self.values[variable]))


FACT_VARIABLES = (
    "age", "child_under_2", "covid19_vulnerable", "disability", "living_with_hiv", "pregnant",
    "nssf_member", "civil_servant", "family_package_scholarship", "family_package_elderly",
    "nssf_old_age_pension_eligible", "nssf_pension_refund_eligible",
)


def _active(path: str, period: str) -> bool:
    """Whether a programme's ``active`` parameter is true in ``period`` (false before it exists)."""
    node: Any = tax_benefit_system().parameters
    for part in path.split("."):
        node = node.children[part]
    instant = make_period(period).start
    for value in node.values_list:  # newest first
        if instant >= make_period(value.instant_str[:7]).start:
            return bool(value.value)
    return False


def _covid_like(facts: Facts, programme_path: str, ran_en: str, ran_km: str) -> list[Reason]:
    reasons = []
    if not _active(programme_path, facts.period):
        reasons.append(Reason(
            en=f"the programme does not pay in {facts.period} ({ran_en})",
            km=_km(f"កម្មវិធីនេះមិនបើកប្រាក់ក្នុងខែ {facts.period} ទេ ({ran_km})"),
            met=False,
        ))
    reasons.extend(_idpoor(facts))
    return reasons


def _idpoor(facts: Facts) -> list[Reason]:
    if facts.idpoor_level in (1, 2):
        return [Reason(
            en=f"the household holds an IDPoor level {facts.idpoor_level} card",
            km=_km(f"គ្រួសារមានប័ណ្ណសមធម៌ (IDPoor) កម្រិត {facts.idpoor_level}"),
        )]
    return [Reason(en="no IDPoor card", km="គ្រួសារគ្មានប័ណ្ណសមធម៌ (IDPoor)", met=False)]


AREA_KM = {"phnom_penh": "រាជធានីភ្នំពេញ", "other_urban": "ទីក្រុងផ្សេងទៀត", "rural": "ជនបទ"}
AREA_EN = {"phnom_penh": "Phnom Penh", "other_urban": "another urban area", "rural": "a rural area"}


def _reasons(prog: Programme, facts: Facts, request: ScreenerRequest) -> list[Reason]:
    """Facts that decide this programme for this household (both the met and the unmet ones)."""
    pid = prog.id
    if pid == "covid19_cash_transfer":
        out = _covid_like(facts, "social_assistance.covid19.active", "it ran from June 2020 to "
                          "March 2024", "កម្មវិធីដំណើរការពីខែមិថុនា ២០២០ ដល់ខែមីនា ២០២៤")
        out.append(Reason(en=f"the household lives in {AREA_EN[facts.area_type]}",
                          km=f"គ្រួសាររស់នៅ{AREA_KM[facts.area_type]}"))
        n = facts.count("covid19_vulnerable")
        if n:
            out.append(Reason(en=f"{n} vulnerable member(s)",
                              km=_km(f"មានសមាជិកងាយរងគ្រោះ {n} នាក់")))
        return out
    if pid == "inflation_cash_transfer":
        return _covid_like(facts, "social_assistance.inflation.active",
                           "it paid from December 2022 to February 2023",
                           "កម្មវិធីបើកប្រាក់ពីខែធ្នូ ២០២២ ដល់ខែកុម្ភៈ ២០២៣")
    if pid == "flood_cash_transfer":
        out = _covid_like(facts, "social_assistance.flood.active",
                          "it paid from January to March 2023",
                          "កម្មវិធីបើកប្រាក់ពីខែមករា ដល់ខែមីនា ២០២៣")
        if not request.flood_affected:
            out.append(Reason(en="the household is not in a flood-hit area",
                              km="គ្រួសារមិនស្ថិតនៅតំបន់រងគ្រោះដោយទឹកជំនន់", met=False))
        return out
    if pid == "pregnant_child_cash_transfer":
        out = _idpoor(facts)
        covered = facts.count("nssf_member") + facts.count("civil_servant")
        if covered and facts.idpoor_level == 0 and _active_from(facts.period, "2023-08"):
            out = []
            out.append(Reason(en="a member of the NSSF or a civil servant is in the household",
                              km="មានសមាជិក ប.ស.ស. ឬមន្ត្រីរាជការក្នុងគ្រួសារ"))
        pregnant = facts.count("pregnant")
        under2 = facts.count("child_under_2")
        if pregnant:
            out.append(Reason(en="has a pregnant woman", km="មានស្ត្រីមានផ្ទៃពោះ"))
        if under2:
            out.append(Reason(en="has a child under 2", km="មានកុមារអាយុក្រោម ២ឆ្នាំ"))
        if not pregnant and not under2:
            out.append(Reason(en="no pregnant woman and no child under 2",
                              km="គ្មានស្ត្រីមានផ្ទៃពោះ និងគ្មានកុមារអាយុក្រោម ២ឆ្នាំ", met=False))
        return out
    if pid.startswith("family_package"):
        if not _active_from(facts.period, "2024-01"):
            return [Reason(en="the Family Package pays from January 2024",
                           km="កញ្ចប់គ្រួសារបើកប្រាក់ចាប់ពីខែមករា ២០២៤", met=False)]
        out = _idpoor(facts)
        if pid == "family_package_base" and facts.count("living_with_hiv"):
            out = [r for r in out if r.met]
            out.append(Reason(en="a member lives with HIV", km="មានសមាជិករស់នៅជាមួយមេរោគអេដស៍"))
        if pid == "family_package_scholarship":
            n = int(np.sum(facts.values["family_package_scholarship"] > 0))
            out.append(Reason(en=f"{n} pupil(s) in primary or secondary school",
                              km=_km(f"មានសិស្សបឋមសិក្សា ឬមធ្យមសិក្សា {n} នាក់"), met=n > 0))
        if pid == "family_package_disability":
            n = facts.count("disability")
            out.append(Reason(en=f"{n} member(s) with a disability",
                              km=_km(f"មានសមាជិកមានពិការភាព {n} នាក់"), met=n > 0))
        if pid == "family_package_elderly":
            n = int(np.sum(facts.values["age"] >= 60))
            out.append(Reason(en=f"{n} member(s) aged 60 or more",
                              km=_km(f"មានសមាជិកអាយុ ៦០ឆ្នាំឡើង {n} នាក់"), met=n > 0))
        return out
    # social security
    members = facts.count("nssf_member")
    if not members:
        return [Reason(en="no member of the National Social Security Fund (NSSF)",
                       km="គ្មានសមាជិកបេឡាជាតិរបបសន្តិសុខសង្គម (ប.ស.ស.)", met=False)]
    out = [Reason(en=f"{members} member(s) of the NSSF",
                  km=_km(f"មានសមាជិក ប.ស.ស. {members} នាក់"))]
    if pid in {"nssf_childbirth_allowance", "nssf_visit_allowance", "nssf_maternity_allowance"}:
        member_pregnant = int(np.sum(facts.values["pregnant"] & facts.values["nssf_member"]))
        out.append(Reason(en=f"{member_pregnant} pregnant member(s) of the NSSF",
                          km=_km(f"សមាជិក ប.ស.ស. មានផ្ទៃពោះ {member_pregnant} នាក់"),
                          met=member_pregnant > 0))
    if pid == "nssf_injury_temporary_allowance":
        out.append(Reason(en="paid only after an injury at work, per day of incapacity from day 2",
                          km="បើកតែក្រោយគ្រោះថ្នាក់ការងារ តាមថ្ងៃអសមត្ថភាព ចាប់ពីថ្ងៃទី២"))
    if pid == "nssf_old_age_pension":
        out.append(Reason(en="pension from age 60 with at least 12 months of contributions",
                          km="សោធនចាប់ពីអាយុ ៦០ឆ្នាំ ដោយបង់ភាគទានយ៉ាងតិច ១២ខែ",
                          met=facts.count("nssf_old_age_pension_eligible") > 0))
    if pid == "nssf_pension_refund":
        out.append(Reason(en="refund at 60 with fewer than 12 months of contributions",
                          km="បង្វិលភាគទាននៅអាយុ ៦០ឆ្នាំ បើបង់តិចជាង ១២ខែ",
                          met=facts.count("nssf_pension_refund_eligible") > 0))
    return out


def _active_from(period: str, first: str) -> bool:
    return make_period(period).start >= make_period(first).start


def _summary(eligible: bool, reasons: list[Reason]) -> Reason:
    if eligible:
        met = [r for r in reasons if r.met] or reasons
        return Reason(
            en="eligible because " + " and ".join(r.en for r in met),
            km="មានសិទ្ធិ ដោយសារ" + " និង".join(r.km for r in met),
        )
    unmet = [r for r in reasons if not r.met] or [
        Reason(en="no member meets the conditions", km="គ្មានសមាជិកណាបំពេញលក្ខខណ្ឌ", met=False)
    ]
    return Reason(
        en="not eligible: " + "; ".join(r.en for r in unmet),
        km="មិនមានសិទ្ធិ៖ " + "; ".join(r.km for r in unmet),
        met=False,
    )


def _amount_reason(prog: Programme, result: ProgrammeResult, delivery: int) -> list[Reason]:
    amount = int(result.amount.sum())
    cur = prog.currency
    if prog.payment == "per_visit" and prog.entity == "household":
        out = [Reason(en=f"{_money(amount, cur)} this month if each pregnant woman and child "
                         "under 2 makes one health-centre visit",
                      km=f"{_money_km(amount, cur)} ក្នុងខែនេះ បើស្ត្រីមានផ្ទៃពោះ និងកុមារ"
                         "ម្នាក់ៗ ទៅពិនិត្យនៅមណ្ឌលសុខភាពម្តង")]
        if delivery:
            out.append(Reason(en=f"plus {_money(delivery, cur)} at delivery",
                              km=f"បូក {_money_km(delivery, cur)} ពេលសម្រាល"))
        return out
    return []


def screen(request: ScreenerRequest) -> ScreenerAnswer:
    """Answer the check for ``request`` (validated, computed, explained; nothing stored)."""
    period = request.period or current_period()
    validate(request, period)
    population = _population(request, period, delivery=False)
    simulation = build_simulation(population, period)
    results = evaluate(population, period, simulation=simulation)
    at_birth = evaluate(
        _population(request, period, delivery=True), period,
        ["pregnant_child_cash_transfer", "nssf_childbirth_allowance"],
    )
    facts = Facts(
        period=period,
        idpoor_level=request.idpoor_level,
        area_type=str(area_table().get(request.commune_code)),
        values={v: np.asarray(simulation.calculate(v, period)) for v in FACT_VARIABLES},
    )
    answers = []
    for prog in programmes():
        result = at_birth.get(prog.id) if prog.id == "nssf_childbirth_allowance" else None
        result = result or results[prog.id]
        amount = int(result.amount.sum())
        eligible = bool(result.eligible.any()) and (amount > 0 or prog.payment == "contribution")
        reasons = _reasons(prog, facts, request)
        delivery = 0
        if prog.id == "pregnant_child_cash_transfer":
            delivery = int(at_birth[prog.id].amount.sum())
            eligible = eligible or delivery > 0
        summary = _summary(eligible, reasons)
        reasons.extend(_amount_reason(prog, result, delivery) if eligible else [])
        answers.append(ProgrammeAnswer(
            id=prog.id, name_en=prog.name_en, name_km=prog.name_km, kind=prog.kind,
            eligible=eligible, amount=amount, currency=prog.currency, payment=prog.payment,
            summary=summary, reasons=reasons,
        ))
    return ScreenerAnswer(
        period=period,
        area_type=facts.area_type,
        programmes=answers,
        note=Reason(
            en="An estimate from the published rules; the programme decides. Nothing you entered "
               "is stored.",
            km="នេះជាការប៉ាន់ស្មានតាមច្បាប់ដែលបានផ្សព្វផ្សាយ កម្មវិធីជាអ្នកសម្រេច។ "
               "ព័ត៌មានដែលអ្នកបញ្ចូលមិនត្រូវបានរក្សាទុកទេ។",
        ),
    )
