"""A score explained item by item, in English and Khmer: each item's question and answer (the
XLSForm's labels), the points it earned, and how the total compares with the cut-offs of Poor
Level 1 and Level 2 in force on the round's parameter date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from spmis.rules.explain import km
from spmis.rules.idpoor import SCORED_ITEMS, SELECT_ITEMS, CutOffs, cut_offs
from spmis.targeting import forms
from spmis.targeting.model import LEVEL_NAMES

__all__ = ["Explanation", "Line", "explain"]


@dataclass(frozen=True)
class Line:
    """One scored item."""

    item: str
    question_en: str
    question_km: str
    answer_en: str
    answer_km: str
    points: int


@dataclass(frozen=True)
class Explanation:
    """A whole score, explained."""

    lines: list[Line]
    total: int
    level: int
    level_en: str
    level_km: str
    cut_offs: CutOffs
    summary_en: str
    summary_km: str


def _answer(item: str, answers: dict[str, Any]) -> tuple[str, str]:
    labels = forms.labels()
    value = answers.get(item)
    if item in SELECT_ITEMS:
        return labels.get(f"{item}.{value}", (str(value), str(value)))
    members = answers.get("members", 0)
    if item == "dependants":
        return f"{value} of {members} members", km(f"{value} នាក់ ក្នុងចំណោមសមាជិក {members} នាក់")
    return f"{value} members", km(f"{value} នាក់")


def _summary(total: int, level: int, cut: CutOffs) -> tuple[str, str]:
    when = cut.on.isoformat()
    if level == 1:
        return (f"Score {total}: at least {cut.level_1}, the Poor Level 1 cut-off in force on "
                f"{when}, so Poor Level 1",
                km(f"ពិន្ទុ {total}៖ ចាប់ពី {cut.level_1} ដែលជាពិន្ទុកាត់នៃក្រីក្រកម្រិត ១ "
                   f"នៅថ្ងៃ {when} ដូច្នេះជាក្រីក្រកម្រិត ១"))
    if level == 2:
        return (f"Score {total}: at least {cut.level_2}, the Poor Level 2 cut-off, and below "
                f"{cut.level_1}, the Poor Level 1 cut-off (in force on {when}), so Poor Level 2",
                km(f"ពិន្ទុ {total}៖ ចាប់ពី {cut.level_2} ដែលជាពិន្ទុកាត់នៃក្រីក្រកម្រិត ២ "
                   f"និងតិចជាង {cut.level_1} ដែលជាពិន្ទុកាត់នៃក្រីក្រកម្រិត ១ (នៅថ្ងៃ {when}) "
                   "ដូច្នេះជាក្រីក្រកម្រិត ២"))
    return (f"Score {total}: below {cut.level_2}, the Poor Level 2 cut-off in force on {when}, "
            "so not poor",
            km(f"ពិន្ទុ {total}៖ តិចជាង {cut.level_2} ដែលជាពិន្ទុកាត់នៃក្រីក្រកម្រិត ២ នៅថ្ងៃ "
               f"{when} ដូច្នេះមិនក្រីក្រ"))


def explain(answers: dict[str, Any], points: dict[str, int], total: int, level: int,
            on: date) -> Explanation:
    """The explanation of a score computed with the parameters in force on ``on``."""
    labels = forms.labels()
    lines = []
    for item in SCORED_ITEMS:
        question = labels.get(item, (item, item))
        answer = _answer(item, answers)
        lines.append(Line(item, question[0], question[1], answer[0], answer[1],
                          int(points.get(item, 0))))
    cut = cut_offs(on)
    summary = _summary(total, level, cut)
    name = LEVEL_NAMES.get(level, LEVEL_NAMES[0])
    return Explanation(lines, total, level, name[0], name[1], cut, summary[0], summary[1])
