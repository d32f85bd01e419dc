"""The screener's answer as the public page shows it: first what the household can receive and
the total for the month, then the programmes it cannot get now, then (folded) the programmes that
have ended. Each programme says its amount once, in words that match how it is paid."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from spmis.rules.explain import Reason
from spmis.rules.screener import ProgrammeAnswer, ScreenerAnswer

#: payments counted in "this month" (a per-visit amount assumes one visit each this month)
THIS_MONTH = {"monthly", "per_visit"}


@dataclass(frozen=True)
class Condition:
    text: str
    met: bool


@dataclass(frozen=True)
class ProgrammeView:
    """One programme of the answer, in the reader's language."""

    id: str
    name: str
    eligible: bool
    amount: int
    currency: str
    payment: str
    per_visit: int
    at_delivery: int
    summary: str
    conditions: list[Condition]
    paid_from: str | None
    paid_until: str | None


@dataclass
class AnswerView:
    """The groups and totals the answer page shows."""

    period: str
    receive: list[ProgrammeView] = field(default_factory=list)
    pay: list[ProgrammeView] = field(default_factory=list)
    not_now: list[ProgrammeView] = field(default_factory=list)
    ended: list[ProgrammeView] = field(default_factory=list)
    #: currency -> amount, in the smallest unit
    this_month: dict[str, int] = field(default_factory=dict)
    once: dict[str, int] = field(default_factory=dict)
    note: str = ""


def _text(reason: Reason, locale: str) -> str:
    return reason.km if locale == "km" else reason.en


def programme_view(a: ProgrammeAnswer, locale: str) -> ProgrammeView:
    return ProgrammeView(
        id=a.id,
        name=a.name_km if locale == "km" else a.name_en,
        eligible=a.eligible,
        amount=a.amount,
        currency=a.currency,
        payment=a.payment,
        per_visit=a.per_visit,
        at_delivery=a.at_delivery,
        summary=_text(a.summary, locale),
        conditions=[Condition(_text(r, locale), r.met) for r in a.reasons],
        paid_from=a.paid_from,
        paid_until=a.paid_until,
    )


def answer_view(answer: ScreenerAnswer, locale: str) -> AnswerView:
    """Group the programmes and add up what the household can receive."""
    view = AnswerView(period=answer.period, note=_text(answer.note, locale))
    this_month: dict[str, int] = defaultdict(int)
    once: dict[str, int] = defaultdict(int)
    for a in answer.programmes:
        p = programme_view(a, locale)
        if a.status == "ended":
            view.ended.append(p)
        elif not a.eligible:
            view.not_now.append(p)
        elif a.payment == "contribution":
            view.pay.append(p)
        else:
            view.receive.append(p)
            if a.payment in THIS_MONTH:
                this_month[a.currency] += a.amount
            elif a.payment == "one_off":
                once[a.currency] += a.amount
            if a.at_delivery:
                once[a.currency] += a.at_delivery
    view.receive.sort(key=lambda p: (p.payment not in THIS_MONTH, p.currency != "KHR"))
    view.this_month = {c: v for c, v in sorted(this_month.items()) if v}
    view.once = {c: v for c, v in sorted(once.items()) if v}
    return view
