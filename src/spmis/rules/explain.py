"""Explanations of the screener's answers, in English and Khmer: which facts about the
household speak for or against each programme (``Reason.met``) and the one-line summary
("eligible because ..." / "not eligible: ...")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
from babel.dates import format_date
from openfisca_core.errors import ParameterNotFoundError
from openfisca_core.periods import period as make_period
from pydantic import BaseModel, Field

from spmis.rules.catalogue import Programme, programme
from spmis.rules.system import tax_benefit_system

KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


class Reason(BaseModel):
    """One fact about the household, in English and Khmer."""

    en: str
    km: str
    met: bool = Field(True, description="whether this condition speaks for eligibility")


def km(text: str) -> str:
    """Khmer text with Khmer digits."""
    return text.translate(KHMER_DIGITS)


def money(amount: int, currency: str) -> str:
    """An amount in the smallest unit, written for people in English."""
    if currency == "USD":
        return f"USD {amount / 100:,.2f}"
    return f"{amount:,} KHR"


def money_km(amount: int, currency: str) -> str:
    """An amount in the smallest unit, written for people in Khmer."""
    if currency == "USD":
        return km(f"{amount / 100:,.2f}") + " ដុល្លារ"
    return km(f"{amount:,}") + " រៀល"


@dataclass
class Facts:
    """What the engine says about the household, for the explanations."""

    period: str
    idpoor_level: int
    area_type: str
    values: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)

    def count(self, variable: str) -> int:
        """How many members (or households) have ``variable`` true / summed value."""
        return int(np.sum(self.values[variable]))


FACT_VARIABLES = (
    "age",
    "child_under_2",
    "covid19_vulnerable",
    "disability",
    "living_with_hiv",
    "pregnant",
    "nssf_member",
    "civil_servant",
    "family_package_scholarship",
    "family_package_elderly",
    "nssf_old_age_pension_eligible",
    "nssf_pension_refund_eligible",
)


@lru_cache(maxsize=1024)  # the parameters are read once per process: a pure look-up
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


#: the parameter that says whether a time-limited programme pays in a month
ACTIVE_PARAMETERS = {
    "covid19_cash_transfer": "social_assistance.covid19.active",
    "inflation_cash_transfer": "social_assistance.inflation.active",
    "flood_cash_transfer": "social_assistance.flood.active",
}
#: programmes that start with another programme's formula (the Family Package's parts)
_STARTS_WITH = {
    "family_package_scholarship": "family_package_base",
    "family_package_disability": "family_package_base",
    "family_package_elderly": "family_package_base",
}


@dataclass(frozen=True)
class ProgrammeSpan:
    """The months a programme pays, as its rules say ('YYYY-MM'; None: not said / still paying)."""

    first: str | None
    last: str | None

    def ended(self, period: str) -> bool:
        """Whether the programme paid for the last time before ``period``."""
        return self.last is not None and period > self.last


def _month_before(instant: str) -> str:
    year, month = int(instant[:4]), int(instant[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


@lru_cache(maxsize=64)
def programme_span(programme_id: str) -> ProgrammeSpan:
    """First and last month a programme pays: from its ``active`` parameter when it has one,
    else from the start of its first dated formula (and no end)."""
    path = ACTIVE_PARAMETERS.get(programme_id)
    if path is not None:
        node: Any = tax_benefit_system().parameters
        for part in path.split("."):
            node = node.children[part]
        values = [(v.instant_str, bool(v.value)) for v in reversed(node.values_list)]
        first = next((i[:7] for i, on in values if on), None)
        last = None
        if first is not None and not values[-1][1]:
            last = _month_before(values[-1][0])
        return ProgrammeSpan(first, last)
    try:
        variable = programme(_STARTS_WITH.get(programme_id, programme_id)).variable
    except KeyError:
        return ProgrammeSpan(None, None)
    start = next(iter(tax_benefit_system().variables[variable].formulas), "0001-01-01")
    return ProgrammeSpan(None if start.startswith("0001") else start[:7], None)


@lru_cache(maxsize=2048)  # babel's formatting is most of an explanation's time
def month_name(period: str, locale: str) -> str:
    """'November 2026' / 'វិច្ឆិកា ២០២៦' for '2026-11'."""
    text = _month_year(date(int(period[:4]), int(period[5:7]), 1), locale)
    return km(text) if locale == "km" else text


def _time_limited(facts: Facts, programme_id: str) -> list[Reason]:
    """Whether a programme with an ``active`` parameter pays in the month, and the IDPoor card."""
    reasons = []
    if not _active(ACTIVE_PARAMETERS[programme_id], facts.period):
        span = programme_span(programme_id)
        en, kh = month_name(facts.period, "en"), month_name(facts.period, "km")
        if span.first and span.last:
            ran_en = (f"it paid from {month_name(span.first, 'en')} to "
                      f"{month_name(span.last, 'en')}")
            ran_km = (f"កម្មវិធីបើកប្រាក់ពីខែ{month_name(span.first, 'km')} "
                      f"ដល់ខែ{month_name(span.last, 'km')}")
        elif span.first:
            ran_en = f"it pays from {month_name(span.first, 'en')}"
            ran_km = f"កម្មវិធីបើកប្រាក់ចាប់ពីខែ{month_name(span.first, 'km')}"
        else:
            ran_en, ran_km = "it is not paying", "កម្មវិធីមិនកំពុងបើកប្រាក់"
        reasons.append(
            Reason(
                en=f"the programme does not pay in {en} ({ran_en})",
                km=f"កម្មវិធីនេះមិនបើកប្រាក់ក្នុងខែ{kh} ទេ ({ran_km})",
                met=False,
            )
        )
    reasons.extend(_idpoor(facts))
    return reasons


def _idpoor(facts: Facts) -> list[Reason]:
    if facts.idpoor_level in (1, 2):
        return [
            Reason(
                en=f"the household holds an IDPoor level {facts.idpoor_level} card",
                km=km(f"គ្រួសារមានប័ណ្ណសមធម៌ (IDPoor) កម្រិត {facts.idpoor_level}"),
            )
        ]
    return [Reason(en="no IDPoor card", km="គ្រួសារគ្មានប័ណ្ណសមធម៌ (IDPoor)", met=False)]


AREA_KM = {"phnom_penh": "រាជធានីភ្នំពេញ", "other_urban": "ទីក្រុងផ្សេងទៀត", "rural": "ជនបទ"}
AREA_EN = {"phnom_penh": "Phnom Penh", "other_urban": "another urban area", "rural": "a rural area"}


def reasons_for(prog: Programme, facts: Facts, flood_affected: bool) -> list[Reason]:
    """Facts that decide this programme for this household (both the met and the unmet ones)."""
    pid = prog.id
    if pid == "covid19_cash_transfer":
        out = _time_limited(facts, pid)
        out.append(
            Reason(
                en=f"the household lives in {AREA_EN[facts.area_type]}",
                km=f"គ្រួសាររស់នៅ{AREA_KM[facts.area_type]}",
            )
        )
        n = facts.count("covid19_vulnerable")
        if n:
            out.append(Reason(en=f"{n} vulnerable member(s)", km=km(f"មានសមាជិកងាយរងគ្រោះ {n} នាក់")))
        return out
    if pid == "inflation_cash_transfer":
        return _time_limited(facts, pid)
    if pid == "flood_cash_transfer":
        out = _time_limited(facts, pid)
        if not flood_affected:
            out.append(
                Reason(
                    en="the household is not in a flood-hit area",
                    km="គ្រួសារមិនស្ថិតនៅតំបន់រងគ្រោះដោយទឹកជំនន់",
                    met=False,
                )
            )
        return out
    if pid == "pregnant_child_cash_transfer":
        out = _idpoor(facts)
        covered = facts.count("nssf_member") + facts.count("civil_servant")
        if (
            covered
            and facts.idpoor_level == 0
            and _active("social_assistance.pregnant_child.covers_nssf_members", facts.period)
        ):
            out = []
            out.append(
                Reason(
                    en="a member of the NSSF or a civil servant is in the household",
                    km="មានសមាជិក ប.ស.ស. ឬមន្ត្រីរាជការក្នុងគ្រួសារ",
                )
            )
        pregnant = facts.count("pregnant")
        under2 = facts.count("child_under_2")
        if pregnant:
            out.append(Reason(en="has a pregnant woman", km="មានស្ត្រីមានផ្ទៃពោះ"))
        if under2:
            out.append(Reason(en="has a child under 2", km="មានកុមារអាយុក្រោម ២ឆ្នាំ"))
        if not pregnant and not under2:
            out.append(
                Reason(
                    en="no pregnant woman and no child under 2",
                    km="គ្មានស្ត្រីមានផ្ទៃពោះ និងគ្មានកុមារអាយុក្រោម ២ឆ្នាំ",
                    met=False,
                )
            )
        return out
    if pid.startswith("family_package"):
        start = _first_formula_start("family_package_base")
        if make_period(facts.period).start.date < start:
            return [
                Reason(
                    en=f"the Family Package pays from {_month_year(start, 'en')}",
                    km=km(f"កញ្ចប់គ្រួសារបើកប្រាក់ចាប់ពីខែ{_month_year(start, 'km')}"),
                    met=False,
                )
            ]
        out = _idpoor(facts)
        if pid == "family_package_base" and facts.count("living_with_hiv"):
            out = [r for r in out if r.met]
            out.append(Reason(en="a member lives with HIV", km="មានសមាជិករស់នៅជាមួយមេរោគអេដស៍"))
        if pid == "family_package_scholarship":
            n = int(np.sum(facts.values["family_package_scholarship"] > 0))
            out.append(
                Reason(
                    en=f"{n} pupil(s) in primary or secondary school",
                    km=km(f"មានសិស្សបឋមសិក្សា ឬមធ្យមសិក្សា {n} នាក់"),
                    met=n > 0,
                )
            )
        if pid == "family_package_disability":
            n = facts.count("disability")
            out.append(
                Reason(
                    en=f"{n} member(s) with a disability",
                    km=km(f"មានសមាជិកមានពិការភាព {n} នាក់"),
                    met=n > 0,
                )
            )
        if pid == "family_package_elderly":
            n = int(np.sum(facts.values["age"] >= 60))
            out.append(
                Reason(
                    en=f"{n} member(s) aged 60 or more",
                    km=km(f"មានសមាជិកអាយុ ៦០ឆ្នាំឡើង {n} នាក់"),
                    met=n > 0,
                )
            )
        return out
    # social security
    members = facts.count("nssf_member")
    if not members:
        return [
            Reason(
                en="no member of the National Social Security Fund (NSSF)",
                km="គ្មានសមាជិកបេឡាជាតិរបបសន្តិសុខសង្គម (ប.ស.ស.)",
                met=False,
            )
        ]
    out = [Reason(en=f"{members} member(s) of the NSSF", km=km(f"មានសមាជិក ប.ស.ស. {members} នាក់"))]
    if pid in {"nssf_childbirth_allowance", "nssf_visit_allowance", "nssf_maternity_allowance"}:
        member_pregnant = int(np.sum(facts.values["pregnant"] & facts.values["nssf_member"]))
        out.append(
            Reason(
                en=f"{member_pregnant} pregnant member(s) of the NSSF",
                km=km(f"សមាជិក ប.ស.ស. មានផ្ទៃពោះ {member_pregnant} នាក់"),
                met=member_pregnant > 0,
            )
        )
    if pid == "nssf_injury_temporary_allowance":
        out.append(
            Reason(
                en="paid only after an injury at work, per day of incapacity from day 2",
                km="បើកតែក្រោយគ្រោះថ្នាក់ការងារ តាមថ្ងៃអសមត្ថភាព ចាប់ពីថ្ងៃទី២",
            )
        )
    if pid == "nssf_old_age_pension":
        out.append(
            Reason(
                en="pension from age 60 with at least 12 months of contributions",
                km="សោធនចាប់ពីអាយុ ៦០ឆ្នាំ ដោយបង់ភាគទានយ៉ាងតិច ១២ខែ",
                met=facts.count("nssf_old_age_pension_eligible") > 0,
            )
        )
    if pid == "nssf_pension_refund":
        out.append(
            Reason(
                en="refund at 60 with fewer than 12 months of contributions",
                km="បង្វិលភាគទាននៅអាយុ ៦០ឆ្នាំ បើបង់តិចជាង ១២ខែ",
                met=facts.count("nssf_pension_refund_eligible") > 0,
            )
        )
    return out


def _first_formula_start(variable: str) -> date:
    """The date a programme's first dated formula applies from (its start, as the engine has it)."""
    first = next(iter(tax_benefit_system().variables[variable].formulas))
    return date.fromisoformat(first)


def _month_year(day: date, locale: str) -> str:
    return format_date(day, "MMMM y", locale=locale)


def summary(eligible: bool, reasons: list[Reason]) -> Reason:
    """ "eligible because <met facts>" or "not eligible: <unmet facts>", in both languages."""
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


#: the rate of one paid health visit, by programme (parameters; both must agree for one rate)
VISIT_RATES = {
    "pregnant_child_cash_transfer": (
        "social_assistance.pregnant_child.antenatal_payment",
        "social_assistance.pregnant_child.postnatal_payment",
    ),
    "nssf_visit_allowance": ("social_security.maternity.visit_allowance",),
}


def parameter_value(path: str, period: str) -> Any:
    """The value of the parameter ``path`` in force on the first day of ``period``; a scale's
    brackets are ``<scale>.amounts.<i>`` / ``<scale>.thresholds.<i>``. None when the parameter
    does not exist in that month."""
    node: Any = tax_benefit_system().get_parameters_at_instant(make_period(period).start)
    try:
        for part in path.split("."):
            node = node[int(part)] if part.isdigit() else getattr(node, part)
    except (AttributeError, IndexError, KeyError, ParameterNotFoundError):
        return None
    return node


def visit_rate(programme_id: str, period: str) -> int:
    """What one paid health visit gives in ``period`` (0 when the visits are paid differently)."""
    rates = {parameter_value(path, period) for path in VISIT_RATES.get(programme_id, ())}
    if len(rates) != 1 or None in rates:
        return 0
    return int(rates.pop())


def amount_note(prog: Programme, period: str, amount: int, delivery: int) -> Reason | None:
    """How a per-visit amount is reckoned (one visit each this month) and the payment at
    delivery, said once; None for the other payment patterns."""
    if prog.payment != "per_visit" or not amount:
        return None
    cur = prog.currency
    rate = visit_rate(prog.id, period)
    who_en, who_km = "each person it covers", "ម្នាក់ៗដែលកម្មវិធីគ្របដណ្តប់"
    if prog.id == "pregnant_child_cash_transfer":
        who_en = "each pregnant woman and each child under 2"
        who_km = "ស្ត្រីមានផ្ទៃពោះ និងកុមារអាយុក្រោម ២ឆ្នាំម្នាក់ៗ"
    elif prog.id == "nssf_visit_allowance":
        who_en, who_km = "each pregnant member of the NSSF", "សមាជិក ប.ស.ស. មានផ្ទៃពោះម្នាក់ៗ"
    en = f"{money(amount, cur)} this month if {who_en} goes to one health visit"
    kh = f"{money_km(amount, cur)} ក្នុងខែនេះ បើ{who_km} ទៅពិនិត្យសុខភាពម្តង"
    if rate:
        en += f" ({money(rate, cur)} a visit)"
        kh += f" ({money_km(rate, cur)} ក្នុងមួយដង)"
    if delivery:
        en += f", and {money(delivery, cur)} once, at the birth"
        kh += f" និង {money_km(delivery, cur)} ម្តង ពេលសម្រាលកូន"
    return Reason(en=en, km=kh)
