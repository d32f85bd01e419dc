"""The fund's monthly pensions paid every month (issue 15), on both engines: an approved old-age
pension's first month is paid with the claim, the months after it by the pension payroll (a
payment cycle of ``nssf_pension``): run, approved by another finance officer, put in a
provider's payroll file, reconciled and counted in the ledger, three months in a row. A second
run creates nothing and changes nothing; a recorded death stops the pension (not a survivors'
pension, paid on the deceased's record); bad months are refused naming the field."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.errors import Conflict, InvalidInput
from spmis.fund.claims import ClaimService, NewClaim
from spmis.jobs.worker import JobWorker
from spmis.payments import orders, store
from spmis.payments.accounts import set_account
from spmis.payments.model import month_after, period_of
from spmis.payments.order_store import payment_order
from spmis.payments.payroll_files import open_payroll
from spmis.payments.providers import install_examples
from spmis.payments.reconciliation import reconcile
from spmis.payments.service import PaymentsService
from spmis.registry.store import person
from tests.integration.fund.claims_seed import seed_pensioners

TODAY = date(2026, 12, 6)
CODE = "nssf_pension"
OFFICER, REVIEWER, DECIDER = (Actor(n, frozenset({"fund_officer"}), "")
                              for n in ("officer", "reviewer", "decider"))
FINANCE, FINANCE_2 = (Actor(n, frozenset({"finance_officer"}), "")
                      for n in ("finance", "finance-2"))


def _approved(ctx: AppContext, person_id: int, kind: str, day: str) -> dict[str, Any]:
    claims = ClaimService(ctx)
    claim = claims.submit(OFFICER, NewClaim(person_id, kind, date.fromisoformat(day)), TODAY)
    assert claim["refusal"] == "" and claim["amount"] > 0, claim
    claims.act(REVIEWER, claim["id"], "review", today=TODAY)
    return claims.act(DECIDER, claim["id"], "approve", today=TODAY)


def _lines(ctx: AppContext, **where: Any) -> list[dict[str, Any]]:
    e = store.entitlement
    with ctx.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(e).where(*(e.c[k] == v for k, v in where.items()))
            .order_by(e.c.period, e.c.id)).mappings()]


def _pay_month(ctx: AppContext, pay: PaymentsService, period: str, tmp: Path) -> int:
    """Run, approve, payroll file and a provider's result file paying every line."""
    cycle_id = pay.open_cycle(FINANCE, CODE, period)
    pay.run_cycle(FINANCE, cycle_id)
    with pytest.raises(Conflict):  # maker-checker: the maker cannot approve their own run
        pay.approve_cycle(FINANCE, cycle_id)
    pay.approve_cycle(FINANCE_2, cycle_id)
    out = tmp / f"payroll-{period}.csv"
    open_payroll(ctx, FINANCE_2, cycle_id, "example_bank", "csv").write(out)
    refs = [line.split(",")[4] for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    result = tmp / f"result-{period}.csv"
    result.write_text("Reference,Status,Date,Reason\n" + "".join(
        f"{ref},SUCCESS,05/12/2026,\n" for ref in refs), encoding="utf-8")
    done = reconcile(ctx, FINANCE_2, cycle_id, "example_bank", result, result.name, today=TODAY)
    assert done.state == "applied", done.problems
    return cycle_id


def test_a_pension_is_paid_three_months_in_a_row_and_a_second_run_changes_nothing(
        ctx: AppContext, tmp_path: Path) -> None:
    old, _, _ = seed_pensioners(ctx)
    claim = _approved(ctx, old, "old_age", "2026-09-01")
    order = claim["payment_order"]
    assert (order["frequency"], order["first_period"], order["ends_on_death_of"]) == (
        "monthly", "2026-09", old)
    amount = claim["amount"]
    ClaimService(ctx).act(FINANCE, claim["id"], "pay", reference="BANK-9", today=TODAY)

    pay = PaymentsService(ctx, clock=lambda: TODAY)
    install_examples(ctx, SYSTEM)
    october = pay.open_cycle(FINANCE, CODE, "2026-10")
    first = pay.run_cycle(FINANCE, october)
    assert (first["new_lines"], first["amount"]) == (1, amount)  # September came with the claim
    b = store.beneficiary
    with ctx.engine.connect() as conn:
        bid, hid = conn.execute(select(b.c.id, b.c.household_id)
                                .where(b.c.entity_id == old)).one()
    set_account(ctx, SYSTEM, int(bid), "example_bank", "000123456", old)
    again = pay.run_cycle(FINANCE, october)  # pending approval: run again, nothing new
    assert (again["new_lines"], again["lines"]) == (0, 1)
    pay.approve_cycle(FINANCE_2, october)
    before = _lines(ctx)
    assert pay.run_cycle(FINANCE, october)["new_lines"] == 0  # approved: left as it is
    assert _lines(ctx) == before
    assert pay.open_cycle(FINANCE, CODE, "2026-10") == october

    out = tmp_path / "october.csv"
    open_payroll(ctx, FINANCE_2, october, "example_bank", "csv").write(out)
    [ref] = [line.split(",")[4] for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    result = tmp_path / "october-result.csv"
    result.write_text(f"Reference,Status,Date,Reason\n{ref},SUCCESS,05/11/2026,\n",
                      encoding="utf-8")
    assert reconcile(ctx, FINANCE_2, october, "example_bank", result, result.name,
                     today=TODAY).state == "applied"
    for period in ("2026-11", "2026-12"):
        _pay_month(ctx, pay, period, tmp_path)

    lines = _lines(ctx)
    assert [(x["period"], x["amount"], x["state"], x["component"]) for x in lines] == [
        (p, amount, "paid", f"pension:{order['id']}") for p in ("2026-10", "2026-11", "2026-12")]
    assert {x["household_id"] for x in lines} == {hid}
    book = pay.ledger(FINANCE, CODE, 2026)
    assert (book["total"]["paid"], book["total"]["pending"], book["problems"]) == (
        3 * amount, 0, [])
    # every month's run again: nothing new, nothing approved or paid changed
    for period in ("2026-10", "2026-11", "2026-12"):
        cycle_id = pay.open_cycle(FINANCE, CODE, period)
        assert pay.run_cycle(FINANCE, cycle_id)["new_lines"] == 0
    assert _lines(ctx) == lines
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(b)).scalar_one() == 1


def test_a_late_pension_gets_its_months_owed_and_a_recorded_death_stops_it(
        ctx: AppContext) -> None:
    old, other, spouse = seed_pensioners(ctx)
    pensioner = _approved(ctx, old, "old_age", "2026-08-01")
    pay = PaymentsService(ctx, clock=lambda: TODAY)
    november = pay.open_cycle(FINANCE, CODE, "2026-11")
    assert pay.run_cycle(FINANCE, november)["new_lines"] == 3  # September to November
    assert [x["period"] for x in _lines(ctx)] == ["2026-09", "2026-10", "2026-11"]
    # the other member dies. A survivors' pension needs 60 months of pension contributions, so
    # none can be approved before October 2027 (contributions began in October 2022): its order
    # is placed here as approval places it, on the deceased member's record with no death
    # ending it, so the death does not stop it
    with ctx.engine.begin() as conn:
        conn.execute(update(person).where(person.c.id == other).values(status="deceased"))
        survivors = orders.place(conn, DECIDER, source="fund_claim", source_ref="99",
                                 person_id=other, amount=150_000, currency="KHR",
                                 frequency="monthly", purpose_en="Survivors' pension",
                                 purpose_km="សោធនអ្នកនៅរស់", first_period="2026-11",
                                 ends_on_death_of=None)
    # the old-age pensioner's death is recorded: nothing more is paid to them
    with ctx.engine.begin() as conn:
        conn.execute(update(person).where(person.c.id == old).values(status="deceased"))
    december = pay.open_cycle(FINANCE, CODE, "2026-12")
    done = pay.run_cycle(FINANCE, december)
    assert done["new_lines"] == 1
    [line] = _lines(ctx, cycle_id=december)
    assert (line["period"], line["amount"], line["component"]) == (
        "2026-12", 150_000, f"pension:{survivors['id']}")
    assert pensioner["payment_order"]["id"] != survivors["id"]
    # an order with no first month cannot be monthly
    with ctx.engine.begin() as conn, pytest.raises(InvalidInput) as exc:
        orders.place(conn, DECIDER, source="fund_claim", source_ref="100", person_id=spouse,
                     amount=1, currency="KHR", frequency="monthly", purpose_en="x",
                     purpose_km="x")
    assert exc.value.errors[0].loc == ("first_period",)


def test_bad_months_are_refused_naming_the_period(ctx: AppContext) -> None:
    pay = PaymentsService(ctx, clock=lambda: TODAY)
    for bad, code in (("2022-09", "before_programme_start"),
                      (month_after(period_of(TODAY), 2), "too_far_ahead"),
                      ("2026-13", "period_format")):
        with pytest.raises(InvalidInput) as exc:
            pay.open_cycle(FINANCE, CODE, bad)
        [error] = exc.value.errors
        assert (error.loc, error.code) == (("period",), code), error
        assert error.msg_km
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.payment_cycle)
                            ).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(payment_order)).scalar_one() == 0


def test_the_run_over_the_api_and_its_job(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    old, _, _ = seed_pensioners(ctx)
    _approved(ctx, old, "old_age", "2026-10-01")
    maker, checker = auth_client("finance_officer"), auth_client("finance_officer")
    period = period_of(date.today())
    r = maker.post("/api/v1/payments/cycles", json={"programme": CODE,
                                                    "period": month_after(period, 2)})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["period"], r.text
    assert r.json()["detail"][0]["msg_km"]
    r = maker.post("/api/v1/payments/cycles", json={"programme": CODE, "period": period})
    assert r.status_code == 202, r.text
    cycle_id = r.json()["cycle_id"]
    JobWorker(ctx).drain()
    job = maker.get(f"/api/v1/jobs/{r.json()['job_id']}").json()
    assert job["state"] == "succeeded", job["error"]
    cycle = maker.get(f"/api/v1/payments/cycles/{cycle_id}").json()
    assert cycle["state"] == "pending_approval" and cycle["lines"] >= 1
    assert cycle["evaluation_run_id"] is None
    r = maker.post(f"/api/v1/payments/cycles/{cycle_id}/approve", json={})
    assert r.status_code == 409, r.text
    r = checker.post(f"/api/v1/payments/cycles/{cycle_id}/approve", json={})
    assert r.status_code == 200 and r.json()["lines_approved"] == cycle["lines"], r.text


def test_a_pension_ends_on_its_last_month(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    old, _, _ = seed_pensioners(ctx)
    claim = _approved(ctx, old, "old_age", "2026-08-01")
    pay = PaymentsService(ctx, clock=lambda: TODAY)
    october = pay.open_cycle(FINANCE, CODE, "2026-10")
    pay.run_cycle(FINANCE, october)
    pay.approve_cycle(FINANCE_2, october)  # September and October approved
    november = pay.open_cycle(FINANCE, CODE, "2026-11")
    assert pay.run_cycle(FINANCE, november)["new_lines"] == 1
    officer = auth_client("fund_officer")
    end = f"/api/v1/fund/claims/{claim['id']}/pension-end"
    for body, field, code in (
            ({"last_period": "2026-09", "reason": "moved abroad"}, "last_period",
             "already_in_payroll"),  # October is in an approved payroll
            ({"last_period": "2026-07", "reason": "moved abroad"}, "last_period",
             "before_first"),
            ({"last_period": "2026-1", "reason": "moved abroad"}, "last_period",
             "period_format"),
            ({"last_period": "2026-10", "reason": " "}, "reason", "reason_missing")):
        r = officer.post(end, json=body)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"][0]
        assert (detail["loc"][-1], detail["type"]) == (field, code) and detail["msg_km"]
    assert auth_client("finance_officer").post(end, json={
        "last_period": "2026-10", "reason": "moved abroad"}).status_code == 403
    r = officer.post(end, json={"last_period": "2026-10", "reason": "moved abroad"})
    assert r.status_code == 200, r.text
    assert r.json()["payment_order"]["last_period"] == "2026-10"
    assert r.json()["history"][-1]["action"] == "end_pension"
    [cancelled] = _lines(ctx, period="2026-11")
    assert (cancelled["state"], cancelled["state_reason"]) == ("cancelled", "moved abroad")
    december = pay.open_cycle(FINANCE, CODE, "2026-12")
    assert pay.run_cycle(FINANCE, december)["new_lines"] == 0
    r = officer.post(end, json={"last_period": "2026-11", "reason": "set wrongly"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "after_end"
    months = [m["period"] for m in officer.get(f"/api/v1/fund/claims/{claim['id']}")
              .json()["payment_order"]["months"]]
    assert months == ["2026-11", "2026-10", "2026-09"]
