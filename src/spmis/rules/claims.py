"""The amounts of the fund's claims, for many claims of one kind and month at once: the rules
engine's benefit formulas (``variables/nssf_benefits.py``) over arrays, with the reason a claim
gets nothing.

    result = claim_amounts("old_age", "2026-11", {"date_of_birth": dobs,
                                                 "nssf_contribution_months": months, ...})
    result.amount, result.currency, result.refusal      # refusal '' when something is due

Kinds and their inputs (one array each, one value per claim; the member's wages of the months
before the claim's month, newest first, in ``wages_before`` for the daily allowances):

- ``maternity``: ``nssf_maternity_allowance`` from ``maternity_leave_days``;
- ``childbirth``: ``nssf_childbirth_allowance`` from ``number_of_babies``;
- ``visits``: ``nssf_visit_allowance`` from ``nssf_maternity_visits`` and
  ``nssf_maternity_visits_before``;
- ``injury``: ``nssf_injury_temporary_allowance`` from ``injury_incapacity_days`` and
  ``injury_incapacity_days_before``;
- ``old_age``: ``nssf_old_age_pension``, else ``nssf_pension_refund``, from ``date_of_birth``,
  ``nssf_contribution_months``, ``pension_reference_wage``,
  ``pension_contributions_worker_total`` and ``pension_contributions_employer_total``;
- ``survivors``: ``nssf_survivors_pension`` from the deceased's ``nssf_contribution_months``
  and ``pension_reference_wage``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from openfisca_core.errors import ParameterNotFoundError
from openfisca_core.periods import period as make_period

from spmis.errors import InvalidInput
from spmis.rules.engine import Population, build_simulation
from spmis.rules.system import tax_benefit_system

__all__ = [
    "KINDS", "ClaimAmounts", "claim_amounts", "health_coverage_conditions", "pension_conditions",
]


@dataclass(frozen=True)
class _Kind:
    variable: str
    currency: str
    inputs: tuple[str, ...]
    payment: str  # one_off, monthly


KINDS: dict[str, _Kind] = {
    "maternity": _Kind("nssf_maternity_allowance", "KHR", ("maternity_leave_days",), "one_off"),
    "childbirth": _Kind("nssf_childbirth_allowance", "USD", ("number_of_babies",), "one_off"),
    "visits": _Kind("nssf_visit_allowance", "USD",
                    ("nssf_maternity_visits", "nssf_maternity_visits_before"), "one_off"),
    "injury": _Kind("nssf_injury_temporary_allowance", "KHR",
                    ("injury_incapacity_days", "injury_incapacity_days_before"), "one_off"),
    "old_age": _Kind("nssf_old_age_pension", "KHR",
                     ("date_of_birth", "nssf_contribution_months", "pension_reference_wage",
                      "pension_contributions_worker_total", "pension_contributions_employer_total"),
                     "monthly"),
    "survivors": _Kind("nssf_survivors_pension", "KHR",
                       ("nssf_contribution_months", "pension_reference_wage"), "monthly"),
}
#: kinds whose amount is a share of the average daily wage of the months before
DAILY = ("maternity", "injury")


@dataclass(frozen=True)
class ClaimAmounts:
    """For each claim: the amount (smallest unit of ``currency``), whether it is paid once or
    monthly, and the refusal code ('' when something is due). ``detail`` holds the figures the
    amount was computed from (average daily wage, age...), one array each."""

    amount: npt.NDArray[np.int64]
    currency: npt.NDArray[np.str_]
    payment: npt.NDArray[np.str_]
    refusal: npt.NDArray[np.str_]
    detail: dict[str, npt.NDArray[Any]] = field(default_factory=dict)


def _before_rules(field: str, day: object) -> InvalidInput:
    return InvalidInput.one((field,), "before_rules",
                            f"the rules of the fund had no such benefit or condition on {day}",
                            f"វិធានរបស់បេឡាជាតិមិនទាន់មានអត្ថប្រយោជន៍ ឬលក្ខខណ្ឌនេះនៅ {day} ទេ")


def pension_conditions(day: str) -> dict[str, int]:
    """The pension age and months of contributions in force on ``day`` ('YYYY-MM-DD'), or at the
    pension scheme's start for an earlier day, for the text of a refusal."""
    first = tax_benefit_system().parameters.social_security.pension.old_age.pension_age
    day = max(day, first.values_list[-1].instant_str)
    p = tax_benefit_system().get_parameters_at_instant(day).social_security.pension
    return {"pension_age": int(p.old_age.pension_age),
            "minimum_months": int(p.old_age.minimum_contribution_months),
            "survivors_months": int(p.survivors.minimum_contribution_months)}


def claim_amounts(kind: str, period: str, inputs: dict[str, npt.ArrayLike],
                  wages_before: list[npt.ArrayLike] | None = None) -> ClaimAmounts:
    """Amounts of ``len(inputs[...])`` claims of ``kind`` whose event is in ``period``
    ('YYYY-MM'); see the module's table for the inputs of each kind. A month before the rules
    (or the wages they read) existed is refused (``event_date``, ``before_rules``)."""
    try:
        return _claim_amounts(kind, period, inputs, wages_before)
    except ParameterNotFoundError as exc:
        raise _before_rules("event_date", period) from exc


def _claim_amounts(kind: str, period: str, inputs: dict[str, npt.ArrayLike],
                   wages_before: list[npt.ArrayLike] | None) -> ClaimAmounts:
    if kind not in KINDS:
        raise InvalidInput.one(("kind",), "unknown_claim_kind", f"unknown claim kind {kind}",
                               f"មិនស្គាល់ប្រភេទពាក្យស្នើសុំ {kind}")
    spec = KINDS[kind]
    columns = {name: np.asarray(inputs[name]) for name in spec.inputs}
    n = len(next(iter(columns.values())))
    person: dict[str, npt.NDArray[Any]] = {"nssf_member": np.ones(n, dtype=bool), **columns}
    if kind == "childbirth":
        person["gave_birth"] = np.ones(n, dtype=bool)
    population = Population(household_ids=np.zeros(1, dtype=np.int64),
                            person_ids=np.arange(n, dtype=np.int64),
                            person_household_ids=np.zeros(n, dtype=np.int64), person=person)
    sim = build_simulation(population, period)
    month = make_period(period)
    for back, wages in enumerate(wages_before or [], start=1):
        sim.set_input("wage", month.offset(-back), np.asarray(wages, dtype=np.int64))
    amount = np.asarray(sim.calculate(spec.variable, month), dtype=np.int64)
    payment = np.full(n, spec.payment, dtype=object)
    refusal = np.where(amount > 0, "", "nothing_due").astype(object)
    detail: dict[str, npt.NDArray[Any]] = {}
    if kind in DAILY:
        daily = np.asarray(sim.calculate("average_daily_wage", month), dtype=np.int64)
        detail["average_daily_wage"] = daily
        refusal = np.where((amount == 0) & (daily == 0), "no_wage_before", refusal)
    elif kind == "visits":
        done = columns["nssf_maternity_visits_before"]
        limit = int(sim.tax_benefit_system.get_parameters_at_instant(month.start)
                    .social_security.maternity.max_visits)
        refusal = np.where((amount == 0) & (done >= limit), "visits_used", refusal)
    elif kind == "old_age":
        amount, payment, refusal = _old_age(sim, month, amount, detail)
    elif kind == "survivors":
        eligible = np.asarray(sim.calculate("nssf_survivors_pension_eligible", month), dtype=bool)
        refusal = np.where(eligible, refusal, "survivors_months")
    currency = np.full(n, spec.currency, dtype=object)
    return ClaimAmounts(amount=amount, currency=currency.astype(str), payment=payment.astype(str),
                        refusal=refusal.astype(str), detail=detail)


def _old_age(sim: Any, month: Any, pension: npt.NDArray[np.int64],
             detail: dict[str, npt.NDArray[Any]]) -> tuple[Any, Any, Any]:
    """The old-age pension, else the lump-sum refund, else why neither is due."""
    age = np.asarray(sim.calculate("age", month), dtype=np.int64)
    months = np.asarray(sim.calculate("nssf_contribution_months", month), dtype=np.int64)
    eligible = np.asarray(sim.calculate("nssf_old_age_pension_eligible", month), dtype=bool)
    refund = np.asarray(sim.calculate("nssf_pension_refund", month), dtype=np.int64)
    refund_ok = np.asarray(sim.calculate("nssf_pension_refund_eligible", month), dtype=bool)
    p = sim.tax_benefit_system.get_parameters_at_instant(month.start).social_security.pension
    detail.update(age=age, contribution_months=months, refund=refund_ok & ~eligible)
    amount = np.where(eligible, pension, np.where(refund_ok, refund, 0))
    payment = np.where(eligible, "monthly", np.where(refund_ok, "one_off", "monthly"))
    refusal = np.select(
        [eligible | refund_ok, age < int(p.old_age.pension_age), months <= 0],
        ["", "under_pension_age", "no_contributions"], "nothing_due")
    return amount.astype(np.int64), payment.astype(object), refusal.astype(object)


def health_coverage_conditions(day: date) -> tuple[int, int]:
    """(months with a health care contribution needed, months looked back) in force on
    ``day``."""
    try:
        node = tax_benefit_system().get_parameters_at_instant(
            day.isoformat()).social_security.health_coverage
        return int(node.minimum_contribution_months), int(node.lookback_months)
    except ParameterNotFoundError as exc:
        raise _before_rules("on", day) from exc
