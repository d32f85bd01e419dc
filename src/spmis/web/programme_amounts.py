"""What each programme gives, for its public page: sentences whose amounts, rates and limits are
read from the rules' dated parameters for the month shown (this month, or the last month an ended
programme paid), never copied here. A value the parameter file marks unconfirmed says so."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from spmis.pagekit.i18n import Formatter, translations
from spmis.pagekit.texts import N_
from spmis.rules.explain import parameter_value
from spmis.rules.parameter_listing import list_parameters

Kind = Literal["money", "percent", "number", "next_day", "pension_rate"]
SA = "social_assistance."
SS = "social_security."
AREAS = (("phnom_penh", N_("Phnom Penh")), ("other_urban", N_("Other towns")),
         ("rural", N_("Rural areas")))


@dataclass(frozen=True)
class Line:
    """A sentence (msgid) whose ``%(name)s`` are parameter values: name -> (path, kind)."""

    text: str
    values: dict[str, tuple[str, Kind]] = field(default_factory=dict)


@dataclass(frozen=True)
class AreaTable:
    """Amounts that depend on where the household lives: a row per (label, parameter node
    whose children are the areas)."""

    rows: tuple[tuple[str, str], ...]


def _money(path: str) -> tuple[str, Kind]:
    return path, "money"


COVID = SA + "covid19."
AMOUNTS: dict[str, list[Line | AreaTable]] = {
    "covid19_cash_transfer": [
        AreaTable((
            (N_("For the household"), COVID + "household_base"),
            (N_("Each member, level 1 card"), COVID + "member.level_1"),
            (N_("Each member, level 2 card"), COVID + "member.level_2"),
            (N_("Extra for each vulnerable member, level 1 card"),
             COVID + "vulnerable_member.level_1"),
            (N_("Extra for each vulnerable member, level 2 card"),
             COVID + "vulnerable_member.level_2"),
        )),
        Line(N_("Vulnerable members: children under %(child)s, people aged %(old)s or more, "
                "people with a disability and people living with HIV."),
             {"child": (COVID + "vulnerable_child_age_limit", "number"),
              "old": (COVID + "vulnerable_elderly_age", "number")}),
    ],
    "inflation_cash_transfer": [
        AreaTable((
            (N_("For the household"), SA + "inflation.household_base"),
            (N_("Each member"), SA + "inflation.member"),
        )),
    ],
    "flood_cash_transfer": [
        Line(N_("%(amount)s a month for the household"),
             {"amount": _money(SA + "flood.household_amount")}),
        Line(N_("%(amount)s a month for each member"),
             {"amount": _money(SA + "flood.member_amount")}),
    ],
    "pregnant_child_cash_transfer": [
        Line(N_("%(amount)s for each antenatal visit, up to %(count)s visits"),
             {"amount": _money(SA + "pregnant_child.antenatal_payment"),
              "count": (SA + "pregnant_child.antenatal_payments_max", "number")}),
        Line(N_("%(amount)s at the birth, for each baby"),
             {"amount": _money(SA + "pregnant_child.delivery_payment")}),
        Line(N_("%(amount)s for each health visit of a child under 2, up to %(count)s visits"),
             {"amount": _money(SA + "pregnant_child.postnatal_payment"),
              "count": (SA + "pregnant_child.postnatal_payments_max", "number")}),
    ],
    "family_package_base": [
        Line(N_("%(amount)s a month for the household"),
             {"amount": _money(SA + "family_package.base_payment")}),
    ],
    "family_package_scholarship": [
        Line(N_("%(amount)s a month for each pupil in primary school"),
             {"amount": _money(SA + "family_package.scholarship.primary")}),
        Line(N_("%(amount)s a month for each pupil in lower secondary school"),
             {"amount": _money(SA + "family_package.scholarship.lower_secondary")}),
        Line(N_("%(amount)s a month for each pupil in upper secondary school"),
             {"amount": _money(SA + "family_package.scholarship.upper_secondary")}),
        Line(N_("Pupils must attend at least %(rate)s of school days."),
             {"rate": (SA + "family_package.scholarship.minimum_attendance", "percent")}),
    ],
    "family_package_disability": [
        Line(N_("%(amount)s a month for each person with a disability"),
             {"amount": _money(SA + "family_package.disability_allowance")}),
    ],
    "family_package_elderly": [
        Line(N_("%(amount)s a month for each person aged %(age)s or more"),
             {"amount": _money(SA + "family_package.elderly_allowance"),
              "age": (SA + "family_package.elderly_age", "number")}),
    ],
    "nssf_contributions": [
        Line(N_("Occupational risk: %(rate)s of the wage, paid by the employer"),
             {"rate": (SS + "occupational_risk.employer_rate", "percent")}),
        Line(N_("Health care: %(rate)s of the wage, paid by the employer"),
             {"rate": (SS + "health_care.employer_rate", "percent")}),
        Line(N_("Pension: %(rate)s of the wage, half paid by the employer and half by the "
                "worker; the rate rises over the years"),
             {"rate": (SS + "pension.contribution_rate_by_scheme_year", "pension_rate")}),
        Line(N_("Pension contributions count the wage from %(floor)s to %(ceiling)s a month"),
             {"floor": _money(SS + "contributory_wage.pension_floor"),
              "ceiling": _money(SS + "contributory_wage.pension_ceiling")}),
    ],
    "nssf_childbirth_allowance": [
        Line(N_("%(one)s for one baby, %(two)s for twins, %(three)s for three babies or more"),
             {"one": _money(SS + "maternity.childbirth_allowance_by_babies.amounts.0"),
              "two": _money(SS + "maternity.childbirth_allowance_by_babies.amounts.1"),
              "three": _money(SS + "maternity.childbirth_allowance_by_babies.amounts.2")}),
    ],
    "nssf_visit_allowance": [
        Line(N_("%(amount)s for each antenatal, postnatal or vaccination visit, up to %(count)s "
                "visits"),
             {"amount": _money(SS + "maternity.visit_allowance"),
              "count": (SS + "maternity.max_visits", "number")}),
    ],
    "nssf_maternity_allowance": [
        Line(N_("%(rate)s of the average daily wage for each day of leave, up to %(days)s days"),
             {"rate": (SS + "maternity.daily_allowance_rate", "percent"),
              "days": (SS + "maternity.max_days", "number")}),
    ],
    "nssf_injury_temporary_allowance": [
        Line(N_("%(rate)s of the average daily wage for each day unable to work, from day "
                "%(first)s to day %(last)s"),
             {"rate": (SS + "occupational_injury.temporary_disability_rate", "percent"),
              "first": (SS + "occupational_injury.waiting_days", "next_day"),
              "last": (SS + "occupational_injury.max_days", "number")}),
    ],
    "nssf_old_age_pension": [
        Line(N_("From age %(age)s, with at least %(months)s months of contributions"),
             {"age": (SS + "pension.old_age.pension_age", "number"),
              "months": (SS + "pension.old_age.minimum_contribution_months", "number")}),
        Line(N_("%(first)s of the average wage for each of the first %(years)s years of "
                "contributions, %(later)s for each later year, and at least %(minimum)s"),
             {"first": (SS + "pension.old_age.accrual_rate_first_years", "percent"),
              "years": (SS + "pension.old_age.accrual_first_years", "number"),
              "later": (SS + "pension.old_age.accrual_rate_later_years", "percent"),
              "minimum": (SS + "pension.old_age.minimum_replacement_rate", "percent")}),
    ],
    "nssf_pension_refund": [
        Line(N_("From age %(age)s, with fewer than %(months)s months of contributions: the "
                "contributions paid, once"),
             {"age": (SS + "pension.old_age.pension_age", "number"),
              "months": (SS + "pension.old_age.minimum_contribution_months", "number")}),
    ],
}


@lru_cache(maxsize=1)
def _unconfirmed() -> frozenset[str]:
    """Parameters whose value the parameter files mark as unconfirmed."""
    return frozenset(p["name"] for p in list_parameters() if p["unconfirmed"])


def _is_unconfirmed(path: str) -> bool:
    """Whether the parameter at ``path`` (or one under it, or the node it belongs to) is
    marked unconfirmed."""
    return any(path == name or path.startswith(name + ".") or name.startswith(path + ".")
               for name in _unconfirmed())


def _pension_rate(path: str, month: str) -> float | None:
    """The pension contribution rate of the scheme year ``month`` falls in."""
    start_year = parameter_value(SS + "pension.scheme_start_year", month)
    start_month = parameter_value(SS + "pension.scheme_start_month", month)
    thresholds = parameter_value(path + ".thresholds", month)
    rates = parameter_value(path + ".amounts", month)
    if None in (start_year, start_month, thresholds, rates):
        return None
    year = ((int(month[:4]) - start_year) * 12 + int(month[5:7]) - start_month) // 12 + 1
    return next((r for t, r in zip(reversed(thresholds), reversed(rates), strict=True)
                 if year >= t), None)


def _value(path: str, kind: Kind, month: str, currency: str, fmt: Formatter) -> str | None:
    value: Any = (_pension_rate(path, month) if kind == "pension_rate"
                  else parameter_value(path, month))
    if value is None:
        return None
    if kind == "money":
        return fmt.money(int(value), currency)
    if kind in {"percent", "pension_rate"}:
        return fmt.percent(float(value))
    return fmt.number(int(value) + (1 if kind == "next_day" else 0))


@dataclass(frozen=True)
class AmountItem:
    """One item of a programme's amounts: a sentence, or the amounts of one area."""

    text: str
    unconfirmed: bool
    rows: list[tuple[str, str]] = field(default_factory=list)


def amounts(programme_id: str, currency: str, month: str, locale: str) -> list[AmountItem]:
    """The programme's amounts, translated, with the values in force in ``month``: sentences,
    and for amounts that depend on where the household lives, one list per area (a phone has
    no room for a table). A sentence whose parameter does not exist then is left out."""
    fmt = Formatter(locale)
    gettext = translations(locale).gettext
    out: list[AmountItem] = []
    for item in AMOUNTS.get(programme_id, []):
        if isinstance(item, AreaTable):
            unconfirmed = any(_is_unconfirmed(node) for _label, node in item.rows)
            for area, name in AREAS:
                rows = [(gettext(label), _value(f"{node}.{area}", "money", month, currency, fmt))
                        for label, node in item.rows]
                kept = [(label, value) for label, value in rows if value is not None]
                if kept:
                    out.append(AmountItem(gettext(name), unconfirmed, kept))
            continue
        values = {name: _value(path, kind, month, currency, fmt)
                  for name, (path, kind) in item.values.items()}
        if None in values.values():
            continue
        unconfirmed = any(_is_unconfirmed(path) for path, _kind in item.values.values())
        out.append(AmountItem(gettext(item.text) % values, unconfirmed))
    return out
