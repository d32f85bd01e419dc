"""On-demand assessment (issue 19): a household asks at the commune office; a registrar types
the questionnaire on the office page (each wrong answer named), the assessment is scored with
the round, and it goes through the same review, approval and card as a village round's."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.targeting.cards import CardService
from spmis.targeting.model import RoundDraft
from spmis.targeting.review import ReviewService
from spmis.targeting.review_store import targeting_list
from spmis.targeting.service import TargetingService
from tests.integration.targeting.helpers import VERY_POOR, household

CLERK = Actor("clerk", frozenset({"registrar"}), "120101")
APPROVER = Actor("approver", frozenset({"approver"}), "12")


def test_a_household_assessed_at_the_office_gets_its_card(ctx: AppContext,
                                                          auth_client) -> None:  # type: ignore[no-untyped-def]
    hid = household(ctx)
    round_id = TargetingService(ctx).create_round(RoundDraft(
        code="OD-2026", name="On demand 2026", kind="on_demand", area_code="12",
        parameter_date=date(2026, 1, 1), opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31)), SYSTEM)
    clerk = auth_client("registrar", "120101")
    page = clerk.get("/office/targeting/on-demand?lang=en")
    assert page.status_code == 200 and "On demand 2026" in page.text
    assert 'name="roof"' in page.text and 'name="members"' in page.text
    km = clerk.get("/office/targeting/on-demand?lang=km")
    assert km.status_code == 200 and "កម្រងសំណួរ" in km.text
    # a wrong answer is named, nothing is stored
    bad = clerk.post("/office/targeting/on-demand?lang=en", data={
        "round_id": str(round_id), "household_id": str(hid),
        **{k: str(v) for k, v in VERY_POOR.items()}, "roof": "gold", "members": "many"})
    assert bad.status_code == 422
    assert 'id="roof-error"' in bad.text and 'id="members-error"' in bad.text
    assert TargetingService(ctx).assessments(round_id, SYSTEM) == []
    done = clerk.post("/office/targeting/on-demand", data={
        "round_id": str(round_id), "household_id": str(hid),
        **{k: str(v) for k, v in VERY_POOR.items()}}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/office/targeting/assessments/")
    [row] = TargetingService(ctx).assessments(round_id, SYSTEM)
    assert row["channel"] == "office"
    # the same flow: scored with the round, reviewed, posted, approved, card issued
    TargetingService(ctx).score_round(round_id, SYSTEM)
    review = ReviewService(ctx)
    list_id = review.start(CLERK, round_id, "120101")
    assert [e["household_id"] for e in review.entries(CLERK, list_id)] == [hid]
    review.post(CLERK, list_id)
    with ctx.engine.begin() as conn:
        conn.execute(update(targeting_list).values(
            objections_until=utcnow().date() - timedelta(days=1)))
    review.approve(APPROVER, list_id, "no objection")
    from spmis.jobs.worker import JobWorker

    JobWorker(ctx).drain()
    [card] = CardService(ctx).household_cards(CLERK, hid)
    assert card["level"] == 1 and card["status"] == "issued"
