"""Exits, re-entry and shock response (issue 14): a child's second birthday ends the pregnant
women and children transfer with a notice; an expired IDPoor card exits a household and its
renewal brings it back; a manual exit needs an approver; a shock top-up and an expansion are
previewed, approved, paid and end by themselves on their last day; the ledger adds up after
every step. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from spmis.auth.approvals import ApprovalService
from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.errors import Conflict, InvalidInput
from spmis.payments import store
from spmis.rules.service import RulesService
from tests.integration.payments.seed import (
    APPROVER,
    FINANCE,
    FINANCE_2,
    OFFICER,
    seed_registry,
    service,
)
from tests.integration.payments.test_enrolment_cycle import CODE, _ledger_adds_up


def _programme(ctx: AppContext, code: str, period: str) -> int:
    """Activate ``code``, evaluate ``period`` and enrol everyone eligible; the run id."""
    pay = service(ctx)
    pay.set_programme_state(OFFICER, code, "active", "decision")
    run = RulesService(ctx).evaluate(SYSTEM, period, [code])
    enrol = pay.create_enrolment_run(OFFICER, code, run.run_id)
    pay.decide_enrolment(APPROVER, enrol["id"], True, "checked")
    return run.run_id


def _cycle(ctx: AppContext, code: str, period: str, *, evaluate: bool = True) -> dict[str, Any]:
    if evaluate:
        RulesService(ctx).evaluate(SYSTEM, period, [code])
    pay = service(ctx)
    cycle_id = pay.open_cycle(FINANCE, code, period)
    done = pay.run_cycle(FINANCE, cycle_id)
    if done["lines"]:
        pay.approve_cycle(FINANCE_2, cycle_id)
    return done


def _beneficiary(ctx: AppContext, code: str, household_id: int) -> dict[str, Any]:
    b, p = store.beneficiary, store.programme
    with ctx.engine.connect() as conn:
        return dict(conn.execute(select(b).join_from(b, p, p.c.id == b.c.programme_id).where(
            p.c.code == code, b.c.household_id == household_id)).mappings().one())


def _outbox(ctx: AppContext) -> list[tuple[Any, ...]]:
    o = store.notification_outbox
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(o.c.event, o.c.household_id, o.c.text_en, o.c.text_km).order_by(o.c.id))]


def test_a_child_turning_2_exits_the_household_with_a_notice(ctx: AppContext) -> None:
    seed_registry(ctx.engine)
    service(ctx).seed_programmes(OFFICER)
    code = "pregnant_child_cash_transfer"
    _programme(ctx, code, "2026-09")  # the child is 23 months old
    assert _beneficiary(ctx, code, 6)["state"] == "enrolled"
    _cycle(ctx, code, "2026-10", evaluate=True)
    assert _beneficiary(ctx, code, 6)["state"] == "enrolled"  # 2 on 15 October: month starts 1
    done = _cycle(ctx, code, "2026-11")
    assert done["exited"] == 1
    left = _beneficiary(ctx, code, 6)
    assert (left["state"], left["state_reason"]) == ("exited", "child_turned_2")
    notices = _outbox(ctx)
    assert [(n[0], n[1]) for n in notices] == [("exit", 6)]
    assert "the child turned 2" in notices[0][2] and "កុមារ" in notices[0][3]
    history = service(ctx).household_payments(OFFICER, 6)["beneficiaries"][0]["history"]
    assert [h["action"] for h in history] == ["candidate", "enrolled", "exit"]


def test_an_expired_card_exits_and_a_renewed_one_brings_the_household_back(
        ctx: AppContext) -> None:
    seed_registry(ctx.engine)
    pay = service(ctx)
    pay.seed_programmes(OFFICER)
    pay.set_budget(OFFICER, CODE, 2023, 50_000_000, "KHR", "budget law 2023")
    _programme(ctx, CODE, "2023-06")
    _cycle(ctx, CODE, "2023-06", evaluate=False)
    from spmis.registry.store import household
    with ctx.engine.begin() as conn:  # household 1's card ends with June
        conn.execute(update(household).where(household.c.id == 1)
                     .values(idpoor_valid_to=date(2023, 6, 30)))
    july = _cycle(ctx, CODE, "2023-07")
    assert (july["exited"], july["lines"]) == (1, 4)
    gone = _beneficiary(ctx, CODE, 1)
    assert (gone["state"], gone["state_reason"]) == ("exited", "idpoor_card_expired")
    _ledger_adds_up(ctx)
    with ctx.engine.begin() as conn:
        conn.execute(update(household).where(household.c.id == 1)
                     .values(idpoor_valid_to=date(2030, 12, 31)))
    august = _cycle(ctx, CODE, "2023-08")
    assert (august["reentered"], august["lines"]) == (1, 5)
    assert _beneficiary(ctx, CODE, 1)["state"] == "enrolled"
    _ledger_adds_up(ctx)


def test_a_manual_exit_applies_only_when_another_approver_approves(ctx: AppContext) -> None:
    seed_registry(ctx.engine)
    pay = service(ctx)
    pay.seed_programmes(OFFICER)
    _programme(ctx, CODE, "2023-06")
    one = _beneficiary(ctx, CODE, 2)
    with pytest.raises(InvalidInput):
        pay.request_exit(OFFICER, one["id"], "  ")
    request_id = pay.request_exit(OFFICER, one["id"], "moved abroad")
    assert _beneficiary(ctx, CODE, 2)["state"] == "enrolled"  # not before the decision
    ApprovalService(ctx).approve(request_id, APPROVER, "confirmed by the commune")
    left = _beneficiary(ctx, CODE, 2)
    assert (left["state"], left["state_reason"]) == ("exited", "manual")
    assert _cycle(ctx, CODE, "2023-06", evaluate=False)["lines"] == 4  # no automatic re-entry
    again = pay.apply(OFFICER, CODE, 2, "2023-06")  # re-entry on application
    assert again["kind"] == "application" and again["candidates"] == 1
    pay.decide_enrolment(APPROVER, again["id"], True, "back")
    assert _beneficiary(ctx, CODE, 2)["state"] == "enrolled"


def test_a_top_up_is_previewed_paid_for_its_months_and_ends_by_itself(ctx: AppContext) -> None:
    seed_registry(ctx.engine)
    pay = service(ctx)
    pay.seed_programmes(OFFICER)
    pay.set_budget(OFFICER, CODE, 2023, 50_000_000, "KHR", "budget law 2023")
    _programme(ctx, CODE, "2023-06")
    shock = pay.declare_shock(
        OFFICER, name_en="June floods", name_km="ទឹកជំនន់ខែមិថុនា", kind="top_up",
        programme_code=CODE, communes=["010201"], start_date=date(2023, 6, 10),
        end_date=date(2023, 7, 31), amount=50_000, legal_reference="decision 12/2023")
    preview = shock["preview"]
    assert (preview["households"], preview["months"], preview["cost"]) == (4, 2, 400_000)
    assert shock["state"] == "pending" and shock["communes"] == ["010201"]
    with pytest.raises(Conflict):
        pay.decide_shock(APPROVER.__class__("officer", frozenset({"approver"}), ""),
                         shock["id"], True, "mine")
    pay.decide_shock(APPROVER, shock["id"], True, "approved")
    june = _cycle(ctx, CODE, "2023-06", evaluate=False)
    assert june["lines"] == 5 + 4
    july = _cycle(ctx, CODE, "2023-07")
    assert july["lines"] == 5 + 4
    _ledger_adds_up(ctx)
    august = _cycle(ctx, CODE, "2023-08")
    assert august["lines"] == 5  # the top-up ended with July
    assert pay.shock(OFFICER, shock["id"])["state"] == "ended"
    book = _ledger_adds_up(ctx)
    assert book["total"]["committed"] == june["amount"] + july["amount"] + august["amount"]


def test_an_expansion_enrols_households_until_its_last_day(ctx: AppContext) -> None:
    seed_registry(ctx.engine)
    pay = service(ctx)
    pay.seed_programmes(OFFICER)
    code = "inflation_cash_transfer"
    pay.set_programme_state(OFFICER, code, "active", "decision")
    RulesService(ctx).evaluate(SYSTEM, "2023-01", [code])
    with pytest.raises(InvalidInput) as caught:  # the rules give an expansion's amount
        pay.declare_shock(
            OFFICER, name_en="Storm", name_km="ព្យុះ", kind="expansion", programme_code=code,
            communes=["010201"], start_date=date(2023, 1, 5), end_date=date(2023, 1, 31),
            amount=10, legal_reference="decision 1/2023")
    assert caught.value.errors[0].code == "amount_not_in_rules"
    shock = pay.declare_shock(
        OFFICER, name_en="Storm", name_km="ព្យុះ", kind="expansion", programme_code=code,
        communes=["010201"], start_date=date(2023, 1, 5), end_date=date(2023, 1, 31),
        amount=None, legal_reference="decision 1/2023")
    assert shock["preview"]["households"] == 4 and shock["preview"]["cost"] > 0
    pay.decide_shock(APPROVER, shock["id"], True, "approved")
    temporary = _beneficiary(ctx, code, 1)
    assert temporary["state"] == "enrolled" and str(temporary["temporary_until"]) == "2023-01-31"
    january = _cycle(ctx, code, "2023-01", evaluate=False)
    assert january["lines"] == 4 and january["amount"] == shock["preview"]["monthly_cost"]
    february = _cycle(ctx, code, "2023-02")
    assert february["lines"] == 0
    ended = _beneficiary(ctx, code, 1)
    assert (ended["state"], ended["state_reason"]) == ("exited", "shock_ended")
    assert pay.shock(OFFICER, shock["id"])["state"] == "ended"
