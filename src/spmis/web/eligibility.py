"""Eligibility of a registered household, shown on its page: the rules' answers for the household
(``RulesService.household_eligibility``: the batch evaluation's translation and engine, so the
page says what a stored run says), with the public check's reasons."""

from __future__ import annotations

import logging
from typing import Any

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.rules.screener import current_period
from spmis.rules.service import RulesService

log = logging.getLogger(__name__)


def household_eligibility(
    ctx: AppContext, actor: Actor, household_id: int, locale: str, period: str | None = None
) -> list[dict[str, Any]] | None:
    """Each programme's answer for the household in ``period`` (this month by default), eligible
    first, or None when it cannot be computed (the page still shows the household)."""
    try:
        answers = RulesService(ctx).household_eligibility(
            actor, household_id, period or current_period())
    except Exception:  # the page still shows the household; the section says it is unavailable
        log.exception("eligibility of household %s could not be computed", household_id)
        return None
    out = [
        {
            "id": a.programme.id,
            "name": a.programme.name_km if locale == "km" else a.programme.name_en,
            "eligible": a.eligible,
            "amount": a.amount,
            "currency": a.programme.currency,
            "payment": a.programme.payment,  # the code: partials/amount.html words it
            "summary": a.summary.km if locale == "km" else a.summary.en,
        }
        for a in answers
    ]
    return sorted(out, key=lambda a: not a["eligible"])
