"""The community review on a real database (SQLite and PostgreSQL): a commune's list from the
latest scores, changes asked with a reason and decided by another person (maker-checker),
posting for objections (the objection period a dated parameter), objections as grievances, the
final approval, the background job that issues the cards, the cards in the registry with their
history, and a later round's card replacing the first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from spmis.auth.approvals import ApprovalService
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import entries
from spmis.errors import Conflict, Forbidden, InvalidInput, NotFound
from spmis.grievances.service import GrievanceService
from spmis.jobs.worker import JobWorker
from spmis.registry.store import household
from spmis.targeting.cards import CardService, card_parameters
from spmis.targeting.review import ReviewService
from spmis.targeting.review_model import card_state, is_card_number
from spmis.targeting.review_store import equity_card, targeting_list
from tests.integration.targeting_review.seed import (
    APPROVER,
    APPROVER_2,
    CLERK,
    CLERK_2,
    COMMUNE,
    ELSEWHERE,
    seed,
)


@pytest.fixture
def review(ctx: AppContext) -> ReviewService:
    seed(ctx.engine)
    return ReviewService(ctx)


def _listed(review: ReviewService, list_id: int) -> dict[int, int]:
    return {e["household_id"]: e["level"] for e in review.entries(CLERK, list_id)
            if e["included"]}


def test_the_list_starts_from_the_latest_scores_of_the_commune(review: ReviewService) -> None:
    list_id = review.start(CLERK, 1, COMMUNE)
    # 4 is not poor; 5's later assessment says not poor; 7 lives in another commune
    assert _listed(review, list_id) == {1: 1, 2: 1, 3: 2}
    summary = review.summary(CLERK, list_id)
    assert (summary.status, summary.households, summary.level1, summary.level2) == (
        "draft", 3, 2, 1)
    first = review.entries(CLERK, list_id)[0]
    assert first["family_name_km"] and first["members"] == 2
    # starting again changes nothing; a clerk of another commune sees no list
    assert review.start(CLERK, 1, COMMUNE) == list_id
    assert _listed(review, list_id) == {1: 1, 2: 1, 3: 2}
    with pytest.raises(NotFound):
        review.entries(ELSEWHERE, list_id)
    with pytest.raises(NotFound):  # the round does not cover their area: as a missing one
        review.start(ELSEWHERE, 1, COMMUNE)
    assert [c["commune_code"] for c in review.communes_to_review(CLERK, 1)] == [COMMUNE]


def test_changes_need_a_reason_and_another_persons_decision(review: ReviewService,
                                                           ctx: AppContext) -> None:
    list_id = review.start(CLERK, 1, COMMUNE)
    with pytest.raises(InvalidInput) as bad:
        review.request_change(CLERK, list_id, 6, "add", "no", level=3)
    assert {e.field for e in bad.value.errors} == {"reason", "level"}
    with pytest.raises(InvalidInput) as bad:
        review.request_change(CLERK, list_id, 7, "add", "lost her land in the flood", level=1)
    assert bad.value.errors[0].code == "not_in_commune"
    with pytest.raises(InvalidInput) as bad:
        review.request_change(CLERK, list_id, 1, "add", "already there", level=1)
    assert bad.value.errors[0].code == "already_listed"
    add = review.request_change(CLERK, list_id, 6, "add", "lost the house in the flood",
                                level=1)
    remove = review.request_change(CLERK, list_id, 2, "remove",
                                   "moved to Phnom Penh with a salaried job")
    with pytest.raises(Conflict):  # one change of a household at a time
        review.request_change(CLERK_2, list_id, 6, "add", "asked twice", level=2)
    assert _listed(review, list_id) == {1: 1, 2: 1, 3: 2}  # nothing changes before a decision
    assert review.summary(CLERK, list_id).pending == 2
    with pytest.raises(Forbidden):  # a registrar cannot decide
        review.decide(CLERK_2, add, True, "seen the house myself")
    review.decide(APPROVER, add, True, "seen the house myself")
    review.decide(APPROVER, remove, False, "the job is seasonal")
    assert _listed(review, list_id) == {1: 1, 2: 1, 3: 2, 6: 1}
    changes = {c["id"]: c for c in review.changes(CLERK, list_id)}
    assert changes[add]["status"] == "approved" and changes[add]["checker"] == "approver"
    assert changes[remove]["status"] == "rejected"
    with pytest.raises(Conflict):  # decided once
        review.decide(APPROVER_2, add, True, "again")
    # the history of the list and of the entry say who asked, who accepted and why
    with ctx.engine.connect() as conn:
        log = entries(conn, "targeting_list", list_id)
    added = next(e for e in log if e["action"] == "add")
    assert added["changed_by"] == "approver" and "lost the house" in added["reason"]
    assert "by clerk" in added["reason"]
    # the maker cannot decide their own change, even as an approver
    both = CLERK.__class__("clerk-approver", frozenset({"registrar", "approver"}), COMMUNE)
    own = review.request_change(both, list_id, 3, "remove", "moved away last month")
    with pytest.raises(Forbidden):
        review.decide(both, own, True, "my own change")
    review.decide(APPROVER, own, True, "confirmed by the village chief")
    assert 3 not in _listed(review, list_id)
    # a later scoring does not bring back a household review removed
    review.start(CLERK, 1, COMMUNE)
    assert 3 not in _listed(review, list_id)


def test_post_object_approve_and_issue(review: ReviewService, ctx: AppContext) -> None:
    list_id = review.start(CLERK, 1, COMMUNE)
    summary = review.post(CLERK, list_id)
    days = card_parameters(utcnow().date()).objection_days
    assert summary.status == "posted"
    assert summary.objections_until == utcnow().date() + timedelta(days=days)
    with pytest.raises(Conflict):
        review.post(CLERK, list_id)
    receipt = review.object(CLERK, list_id, "missing", "Household 6 lost its house and land.",
                            household_id=6, name="Mao Piseth")
    grievance = GrievanceService(ctx).get(APPROVER, receipt["grievance_id"])
    assert grievance.category == "exclusion" and grievance.office == COMMUNE
    assert "IDPOOR R2026 120101" in grievance.description
    assert [o["ticket"] for o in review.objections(CLERK, list_id)] == [receipt["ticket"]]
    with pytest.raises(InvalidInput):
        review.object(CLERK, list_id, "nonsense", "short")
    # changes may still be asked while posted (after an objection)
    change = review.request_change(CLERK, list_id, 6, "add", "objection upheld after a visit",
                                   level=2)
    later = utcnow().date() + timedelta(days=days + 1)
    with pytest.raises(Conflict):  # a change waits for a decision
        review.approve(APPROVER, list_id, "objection period over", today=later)
    review.decide(APPROVER, change, True, "visited the household")
    with pytest.raises(Conflict):  # objections still open
        review.approve(APPROVER, list_id, "too early")
    poster = CLERK.__class__("clerk", frozenset({"registrar", "approver"}), COMMUNE)
    with pytest.raises(Forbidden):  # the person who posted it does not approve it
        review.approve(poster, list_id, "my own list", today=later)
    job_id = review.approve(APPROVER_2, list_id, "objection period over", today=later)
    assert job_id and review.summary(CLERK, list_id).status == "approved"
    with pytest.raises(Conflict):  # the approved list takes no more changes
        review.request_change(CLERK, list_id, 4, "add", "too late now", level=1)
    JobWorker(ctx).drain()
    summary = review.summary(CLERK, list_id)
    assert summary.status == "issued" and summary.cards_issued == 4
    with ctx.engine.connect() as conn:
        cards = {r.household_id: r for r in conn.execute(select(equity_card))}
        homes = {r.id: r for r in conn.execute(select(household))}
    assert set(cards) == {1, 2, 3, 6}
    today = utcnow().date()
    for hid, card in cards.items():
        assert is_card_number(card.card_number)
        home = homes[hid]
        assert (home.idpoor_level, home.idpoor_card_number, home.idpoor_valid_from,
                home.idpoor_valid_to) == (card.level, card.card_number, card.valid_from,
                                          card.valid_to)
        assert card.valid_from == today and card.valid_to > today + timedelta(days=365)
    assert homes[4].idpoor_card_number is None
    # the registry's history holds the change with its old and new values
    with ctx.engine.connect() as conn:
        last = entries(conn, "household", 6)[-1]
    assert last["action"] == "equity_card"
    assert last["changes"]["idpoor_level"] == [None, 2]
    assert last["changes"]["idpoor_card_number"] == [None, cards[6].card_number]
    # the public check reads the card as printed, typed in lower case without dashes
    typed = cards[1].card_number.replace("-", "").lower()
    found = CardService(ctx).verify(typed)
    assert found is not None and card_state(found, today).value == "valid"
    assert CardService(ctx).verify("EC-0000-0000-0000-0") is None
    # nothing is left to issue: the job run again changes nothing
    assert ReviewService(ctx).approved_lists(1) == []


def test_a_later_round_replaces_the_card(review: ReviewService, ctx: AppContext) -> None:
    from spmis.targeting.cards import issue_list
    from spmis.targeting.store import (
        targeting_assessment,
        targeting_round,
        targeting_score,
    )
    from tests.integration.targeting_review.seed import AUDIT, NOW

    list_id = review.start(CLERK, 1, COMMUNE)
    with ctx.engine.begin() as conn:
        conn.execute(update(targeting_list).where(targeting_list.c.id == list_id)
                     .values(status="approved"))
        issue_list(ctx, conn, list_id, "test", today=date(2024, 1, 1))
        first = {r.household_id: r.card_number for r in conn.execute(select(equity_card))}
        conn.execute(targeting_round.insert().values(
            id=2, code="R2027", name="Round 2027", kind="village", area_code="12",
            parameter_date=date(2027, 1, 1), opens_on=date(2027, 1, 1),
            closes_on=date(2027, 2, 1), status="open", **AUDIT))
        conn.execute(targeting_assessment.insert().values(
            id=20, round_id=2, household_id=1, village_code="12010101", commune_code=COMMUNE,
            instance_id="uuid:20", form_id="idpoor", form_version="1", channel="odk",
            enumerator="e", submitted_at=NOW, received_at=NOW, answers="{}", status="scored",
            **AUDIT))
        conn.execute(targeting_score.insert().values(
            assessment_id=20, round_id=2, scoring_id=1, total=10, level=2, points="{}",
            parameter_date=date(2027, 1, 1)))
    old = CardService(ctx).verify(first[1])
    assert old is not None and card_state(old, date(2026, 12, 31)).value == "valid"
    assert card_state(old, date(2027, 1, 1)).value == "expired"  # 36 months from 2024-01-01
    second = review.start(CLERK, 2, COMMUNE)
    with ctx.engine.begin() as conn:
        conn.execute(update(targeting_list).where(targeting_list.c.id == second)
                     .values(status="approved"))
        assert issue_list(ctx, conn, second, "test") == 1
        cards = conn.execute(select(equity_card).where(equity_card.c.household_id == 1)
                             .order_by(equity_card.c.id)).all()
        home = conn.execute(select(household).where(household.c.id == 1)).one()
    assert [c.status for c in cards] == ["replaced", "issued"]
    assert cards[0].replaced_by == cards[1].id and cards[1].card_number != first[1]
    assert (home.idpoor_level, home.idpoor_card_number) == (2, cards[1].card_number)
    replaced = CardService(ctx).verify(first[1])
    assert replaced is not None and card_state(replaced, date(2026, 12, 31)).value == "replaced"
    with ctx.engine.connect() as conn:
        assert [e["action"] for e in entries(conn, "equity_card", cards[0].id)] == [
            "issue", "replace"]


def test_approvals_queue_shows_the_change(review: ReviewService, ctx: AppContext) -> None:
    list_id = review.start(CLERK, 1, COMMUNE)
    review.request_change(CLERK, list_id, 6, "add", "lost the house in the flood", level=1)
    pending = ApprovalService(ctx).list(APPROVER, status="pending")
    assert [r.kind for r in pending] == ["targeting_list_change"]
    assert pending[0].area_code == "12010102"
