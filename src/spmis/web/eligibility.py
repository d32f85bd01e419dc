"""Eligibility of a registered household, shown on its page: the household record becomes a
screener request and the rules screener answers (the same engine and explanations as the public
check)."""

from __future__ import annotations

import logging
from typing import Any

from spmis.registry import schemas as s
from spmis.rules.screener import ScreenerMember, ScreenerRequest, screen
from spmis.web.programme_info import PAYMENT_LABELS

log = logging.getLogger(__name__)
_EMPLOYMENT = {"formal": "employee", "informal": "informal", "self_employed": "self_employed"}


def screener_request(hh: s.HouseholdOut) -> ScreenerRequest:
    members = [
        ScreenerMember(
            date_of_birth=m.date_of_birth,
            sex="female" if m.sex == "F" else "male",
            disability=m.disability,
            pregnant=m.pregnant,
            expected_delivery_date=m.expected_delivery_date if m.pregnant else None,
            employment=_EMPLOYMENT.get(m.employment_type, "none"),
            nssf_member="nssf_member" in m.identifiers,
        )
        for m in hh.members
        if m.status == "active"
    ]
    return ScreenerRequest(
        idpoor_level=hh.idpoor_level or 0, commune_code=hh.commune_code, members=members
    )


def household_eligibility(hh: s.HouseholdOut, locale: str) -> list[dict[str, Any]] | None:
    """Each programme's answer for the household (eligible first), or None when it cannot be
    computed (e.g. a commune missing from the rules' area table)."""
    try:
        answer = screen(screener_request(hh))
    except Exception:  # the page still shows the household; the section says it is unavailable
        log.exception("eligibility of household %s could not be computed", hh.id)
        return None
    out = [
        {
            "id": a.id,
            "name": a.name_km if locale == "km" else a.name_en,
            "eligible": a.eligible,
            "amount": a.amount,
            "currency": a.currency,
            "payment": PAYMENT_LABELS.get(a.payment, a.payment),
            "summary": a.summary.km if locale == "km" else a.summary.en,
        }
        for a in answer.programmes
    ]
    return sorted(out, key=lambda a: not a["eligible"])
