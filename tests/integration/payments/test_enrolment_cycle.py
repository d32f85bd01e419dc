"""Programmes as data, enrolment from a pinned run, and a payment cycle that is idempotent,
approved by a finance officer other than its maker, with a ledger that adds up after every
step (issue 14). SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.errors import Conflict, Forbidden, InvalidInput
from spmis.payments import store
from spmis.payments.model import LedgerLine
from spmis.rules.service import RulesService
from tests.integration.payments.seed import (
    APPROVER,
    FINANCE,
    FINANCE_2,
    OFFICER,
    seed_registry,
    service,
)

PERIOD = "2023-06"
CODE = "covid19_cash_transfer"


def _lines(ctx: AppContext) -> list[tuple[Any, ...]]:
    e = store.entitlement
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(e.c.id, e.c.beneficiary_id, e.c.period, e.c.component, e.c.amount,
                   e.c.state).order_by(e.c.id))]


def _ledger_adds_up(ctx: AppContext) -> dict[str, Any]:
    book = service(ctx).ledger(OFFICER, CODE, 2023)
    assert book["problems"] == []
    for m in book["months"]:
        assert m["problems"] == []
    t = book["total"]
    line = LedgerLine(1, "2023-12", "KHR", book["budget"], t["committed"], t["paid"],
                      t["failed"], t["returned"], t["pending"])
    assert line.budget == line.committed + line.free
    assert line.committed == line.paid + line.failed + line.pending
    return book


def enrolled_programme(ctx: AppContext) -> tuple[int, int]:
    """Seed, activate COVID-19 with a budget, evaluate June 2023, enrol; (run id, enrolment)."""
    seed_registry(ctx.engine)
    pay = service(ctx)
    created = pay.seed_programmes(OFFICER)
    assert CODE in created and "family_package_base" in created
    assert "nssf_old_age_pension" not in created  # social security is the fund's
    assert pay.seed_programmes(OFFICER) == []  # seeding again creates nothing
    pay.set_programme_state(OFFICER, CODE, "active", "sub-decree 88")
    pay.set_budget(OFFICER, CODE, 2023, 10_000_000, "KHR", "budget law 2023")
    run = RulesService(ctx).evaluate(SYSTEM, PERIOD, [CODE])
    enrol = pay.create_enrolment_run(OFFICER, CODE, run.run_id)
    return run.run_id, enrol["id"]


def test_programmes_come_from_the_catalogue_with_their_dates(ctx: AppContext) -> None:
    pay = service(ctx)
    pay.seed_programmes(OFFICER)
    covid = pay.programme(OFFICER, CODE)
    assert covid["state"] == "draft" and covid["rules_variable"] == "covid19_cash_transfer"
    assert str(covid["start_date"]) == "2020-06-01" and str(covid["end_date"]) == "2024-03-31"
    assert covid["name_km"].startswith("ការឧបត្ថម្ភ")
    with pytest.raises(Conflict):  # draft -> suspended is not a move
        pay.set_programme_state(OFFICER, CODE, "suspended", "x")


def test_an_enrolment_run_counts_candidates_and_another_approver_enrols(ctx: AppContext) -> None:
    _, enrol_id = enrolled_programme(ctx)
    pay = service(ctx)
    run = pay.enrolment_run(OFFICER, enrol_id)
    assert run["state"] == "pending" and run["candidates"] == 5  # household 5 has no card
    summary = run["summary"]
    assert {g["code"]: g["count"] for g in summary["province"]} == {"01": 4, "12": 1}
    assert {g["code"]: g["count"] for g in summary["commune"]} == {"010201": 4, "120101": 1}
    assert {g["code"]: g["count"] for g in summary["sex"]} == {"F": 3, "M": 2}
    assert sum(g["amount"] for g in summary["sex"]) == run["amount"] > 0
    with pytest.raises(Forbidden):  # a programme officer is no approver
        pay.decide_enrolment(OFFICER, enrol_id, True, "ok")
    maker = APPROVER.__class__("officer", frozenset({"approver"}), "")
    with pytest.raises(Conflict):  # the maker cannot decide their own run
        pay.decide_enrolment(maker, enrol_id, True, "ok")
    assert pay.decide_enrolment(APPROVER, enrol_id, True, "checked")["state"] == "approved"
    with pytest.raises(Conflict):  # decided once
        pay.decide_enrolment(APPROVER, enrol_id, False, "again")
    history = pay.household_payments(OFFICER, 1)["beneficiaries"][0]["history"]
    assert [h["action"] for h in history] == ["candidate", "enrolled"]
    assert history[1]["changes"] == {"state": ["candidate", "enrolled"]}


def test_a_cycle_run_twice_creates_nothing_and_changes_nothing(ctx: AppContext) -> None:
    _, enrol_id = enrolled_programme(ctx)
    pay = service(ctx)
    assert _ledger_adds_up(ctx)["total"]["committed"] == 0
    pay.decide_enrolment(APPROVER, enrol_id, True, "checked")
    cycle_id = pay.open_cycle(FINANCE, CODE, PERIOD)
    first = pay.run_cycle(FINANCE, cycle_id)
    assert first["new_lines"] == 5 and first["state"] == "pending_approval"
    lines = _lines(ctx)
    assert len(lines) == 5 and {r[5] for r in lines} == {"draft"}
    _ledger_adds_up(ctx)

    assert pay.open_cycle(FINANCE, CODE, PERIOD) == cycle_id  # the month has one cycle
    again = pay.run_cycle(FINANCE, cycle_id)
    assert again["new_lines"] == 0 and again["amount"] == first["amount"]
    assert _lines(ctx) == lines

    with pytest.raises(Conflict):  # the maker cannot approve their own cycle
        pay.approve_cycle(FINANCE, cycle_id)
    with pytest.raises(Forbidden):  # an approver is not a finance officer
        pay.approve_cycle(APPROVER, cycle_id)
    assert pay.approve_cycle(FINANCE_2, cycle_id) == 5
    book = _ledger_adds_up(ctx)
    assert book["total"]["committed"] == book["total"]["pending"] == first["amount"]
    assert book["total"]["free"] == 10_000_000 - first["amount"]

    approved = _lines(ctx)
    after = pay.run_cycle(FINANCE, cycle_id)  # approved: nothing runs again
    assert after["new_lines"] == 0 and _lines(ctx) == approved
    with pytest.raises(Conflict):
        pay.approve_cycle(FINANCE_2, cycle_id)
    cycle = pay.cycle(OFFICER, cycle_id)
    assert {g["code"]: g["count"] for g in cycle["totals"]["sex"]} == {"F": 3, "M": 2}
    assert {g["code"]: g["count"] for g in cycle["totals"]["province"]} == {"01": 4, "12": 1}
    assert [h["action"] for h in cycle["history"]] == ["create", "run", "run", "approve"]


def test_bad_input_is_named_in_both_languages_and_nothing_is_written(ctx: AppContext) -> None:
    _, enrol_id = enrolled_programme(ctx)
    pay = service(ctx)
    pay.decide_enrolment(APPROVER, enrol_id, True, "checked")
    cases = [
        ("no_such_programme", PERIOD, "programme", "unknown_programme"),
        (CODE, "2020-05", "period", "before_programme_start"),
        (CODE, "2024-04", "period", "after_programme_end"),
        (CODE, "2023-13", "period", "period_format"),
    ]
    for code, period, field, kind in cases:
        with pytest.raises(InvalidInput) as caught:
            pay.open_cycle(FINANCE, code, period)
        err = caught.value.errors[0]
        assert (err.loc, err.code) == ((field,), kind)
        assert err.msg and err.msg_km and err.msg != err.msg_km
    pay.set_programme_state(OFFICER, "family_package_base", "active", "sub-decree")
    with pytest.raises(InvalidInput) as caught:
        pay.open_cycle(FINANCE, "family_package_base", "2027-02")
    assert caught.value.errors[0].code == "too_far_ahead"
    with pytest.raises(InvalidInput) as caught:  # not evaluated for that month
        pay.open_cycle(FINANCE, CODE, "2023-07")
    assert caught.value.errors[0].loc == ("evaluation_run_id",)
    assert pay.cycles(OFFICER) == []

    cycle_id = pay.open_cycle(FINANCE, CODE, PERIOD)
    with ctx.engine.connect() as conn:
        b = store.beneficiary
        one = conn.execute(select(b.c.id).where(b.c.household_id == 1)).scalar_one()
    with pytest.raises(InvalidInput) as caught:  # an amount the rules do not give
        pay.add_line(FINANCE, cycle_id, one, 1)
    assert caught.value.errors[0].code == "amount_not_in_rules"
    assert caught.value.errors[0].msg_km
    assert _lines(ctx) == []
