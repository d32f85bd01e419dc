"""An employer's month at the fund, on both engines: declarations (typed and uploaded, drafts,
submission, duplicates and corrections), the contribution run and its invoices, payments
allocated oldest first, arrears, surcharge and reminders, and the bad input that must be refused
with nothing half-applied."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.errors import Conflict, InvalidInput, NotFound
from spmis.fund import queries
from spmis.fund import schemas as s
from tests.integration.fund.seed import (
    BOSS,
    OFFICER,
    OTHER_BOSS,
    fund_with_two_employers,
    hire,
    lines,
    register,
    seed_registry,
    service,
)

NOV = "2026-11"


def _count(ctx: AppContext, table) -> int:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _contributions(ctx: AppContext, period: str = NOV) -> dict[tuple[int, int], dict]:
    c = queries.contributions()
    with ctx.engine.connect() as conn:
        return {(r["employer_id"], r["person_id"]): dict(r) for r in conn.execute(
            select(c).where(c.c.period == period)).mappings()}


def test_declare_run_invoice_and_a_worker_with_two_employers(ctx: AppContext) -> None:
    fund, e1, e2 = fund_with_two_employers(ctx)
    d1 = fund.declare(BOSS, e1, NOV, lines((41, "150000"), (42, "1,000,000"), (43, "5000000")))
    fund.submit(BOSS, d1["declaration_id"])
    d2 = fund.declare(OTHER_BOSS, e2, NOV, lines((42, "300000")))
    fund.submit(OTHER_BOSS, d2["declaration_id"])
    out = fund.run_month(OFFICER, NOV)
    assert (out["employers"], out["workers"], out["invoices"]) == (2, 4, 2)
    got = _contributions(ctx)
    # 150,000: under both floors (table 200,000; pension 400,000)
    assert (got[e1, 41]["occupational_risk"], got[e1, 41]["health_care_employer"],
            got[e1, 41]["pension_employer"], got[e1, 41]["pension_worker"]) == (
        1_600, 5_200, 8_000, 8_000)
    # 5,000,000: both ceilings (1,200,000)
    assert (got[e1, 43]["occupational_risk"], got[e1, 43]["health_care_employer"],
            got[e1, 43]["pension_worker"]) == (9_600, 31_200, 24_000)
    # person 42 works for both: each employer pays on its own wage
    assert got[e1, 42]["total"] == 8_000 + 26_000 + 20_000 + 20_000
    assert got[e2, 42]["base_occupational"] == 300_000
    assert got[e2, 42]["base_pension"] == 400_000
    with ctx.engine.connect() as conn:
        months = queries.member_months(conn, 42)
    assert [(r["period"], r["employer_number"]) for r in months] == [
        (NOV, "NSSF-0001"), (NOV, "NSSF-0002")]
    inv = fund.invoices(BOSS, e1)
    assert len(inv) == 1 and inv[0]["due_date"] == date(2026, 12, 15)
    assert inv[0]["amount"] == sum(got[e1, p]["total"] for p in (41, 42, 43))
    detail = fund.invoice(BOSS, inv[0]["id"])
    assert detail["khqr"].startswith("000201") and "nssf_contribution@nbcq" in detail["khqr"]
    # the run is idempotent: a second run computes nothing and bills nothing
    again = fund.run_month(OFFICER, NOV)
    assert (again["employers"], again["workers"], again["invoices"]) == (0, 0, 0)
    assert _contributions(ctx) == got
    assert len(fund.invoices(BOSS, e1)) == 1


def test_usd_wages_converted_at_the_months_notified_rate(ctx: AppContext) -> None:
    fund, e1, _ = fund_with_two_employers(ctx)
    with pytest.raises(InvalidInput) as e:  # no rate notified yet: refused, naming the line
        fund.declare(BOSS, e1, NOV, lines((41, "250.50", "USD")))
    assert e.value.errors[0].loc == ("lines", 0, "currency")
    assert e.value.errors[0].code == "no_rate"
    fund.set_rate(OFFICER, NOV, s.RateIn(khr_per_usd=4_050, source="NSSF notice 11/2026",
                                         notified_on=date(2026, 11, 1)))
    d = fund.declare(BOSS, e1, NOV, lines((41, "250.50", "USD"), (42, "600000")))
    detail = fund.declaration(BOSS, d["declaration_id"])
    usd = next(x for x in detail["lines"] if x["person_id"] == 41)
    assert (usd["wage"], usd["currency"], usd["wage_khr"]) == (25_050, "USD", 1_014_525)
    fund.submit(BOSS, d["declaration_id"])
    fund.run_month(OFFICER, NOV)
    assert _contributions(ctx)[e1, 41]["base_pension"] == 1_014_525
    with pytest.raises(Conflict):  # the rate of a month in use is kept
        fund.set_rate(OFFICER, NOV, s.RateIn(khr_per_usd=4_100, source="revised notice",
                                             notified_on=date(2026, 11, 2)))


def test_drafts_replaced_duplicates_after_submission_change_nothing_corrections_kept(
        ctx: AppContext, tmp_path: Path) -> None:
    fund, e1, _ = fund_with_two_employers(ctx)
    first = tmp_path / "nov.csv"
    first.write_text("person_id,wage,currency\n41,500000,KHR\n42,700000,\n")
    a = fund.upload(BOSS, e1, NOV, first)
    b = fund.upload(BOSS, e1, NOV, first)  # re-uploading replaces the draft
    assert a["declaration_id"] == b["declaration_id"] and a["accepted"] == 2
    fund.submit(BOSS, a["declaration_id"])
    fund.run_month(OFFICER, NOV)
    before = fund.declaration(BOSS, a["declaration_id"])
    again = fund.upload(BOSS, e1, NOV, first)  # the same file after submission: nothing
    assert again["unchanged"] is True and again["declaration_id"] == a["declaration_id"]
    assert fund.declaration(BOSS, a["declaration_id"]) == before
    assert len(fund.declarations(BOSS, e1)) == 1
    changed = tmp_path / "nov-fixed.csv"
    changed.write_text("person_id,wage,currency\n41,500000,KHR\n42,900000,KHR\n")
    with pytest.raises(Conflict):  # after submission only a correcting declaration
        fund.upload(BOSS, e1, NOV, changed)
    fix = fund.upload(BOSS, e1, NOV, changed, correction=True)
    fund.submit(BOSS, fix["declaration_id"])
    kept = fund.declarations(BOSS, e1)
    assert [(d["sequence"], d["state"]) for d in kept] == [(2, "submitted"), (1, "submitted")]
    assert kept[0]["corrects_id"] == a["declaration_id"]
    out = fund.run_month(OFFICER, NOV)
    assert (out["employers"], out["workers"]) == (1, 2)
    invoices = sorted(fund.invoices(BOSS, e1), key=lambda i: i["sequence"])
    assert [i["kind"] for i in invoices] == ["contribution", "adjustment"]
    # 700,000 -> 900,000: OR/HC bands 700,000 -> 900,000 (3.4 %), pension 4 %
    assert invoices[1]["amount"] == round(200_000 * 0.034) + round(200_000 * 0.04)
    assert _contributions(ctx)[e1, 42]["declaration_id"] == fix["declaration_id"]


def test_upload_rejects_rows_like_the_registry_import(ctx: AppContext, tmp_path: Path) -> None:
    fund, e1, _ = fund_with_two_employers(ctx)
    f = tmp_path / "nov.csv"
    f.write_text("person_id,wage,currency\n41,500000,KHR\nabc,1,KHR\n42,-5,KHR\n"
                 "45,600000,KHR\n43,=1+1,KHR\n")
    out = fund.upload(BOSS, e1, NOV, f)
    assert out["accepted"] == 1
    assert [(r["source_row"], r["error_field"]) for r in out["rejects"]] == [
        (3, "person_id"), (4, "wage"), (5, "person_id"), (6, "wage")]
    assert "not a worker of this enterprise" in out["rejects"][2]["error_reason"]
    assert out["rejects"][1]["error_reason_km"]
    bad = tmp_path / "all-bad.csv"
    bad.write_text("person_id,wage\n45,100\n")
    assert fund.upload(BOSS, e1, "2026-10", bad)["declaration_id"] is None
    assert len(fund.declarations(BOSS, e1)) == 1


def test_partial_payment_allocated_oldest_first_arrears_surcharge_and_reminders(
        ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    fund, e1, _ = fund_with_two_employers(ctx)
    for period in ("2026-10", NOV):
        d = fund.declare(BOSS, e1, period, lines((41, "1000000")))
        fund.submit(BOSS, d["declaration_id"])
        fund.run_month(OFFICER, period)
    oct_, nov = sorted(fund.invoices(OFFICER, e1), key=lambda i: i["period"])
    each = 8_000 + 26_000 + 40_000
    assert oct_["amount"] == nov["amount"] == each
    paid = fund.record_payment(OFFICER, e1, s.PaymentIn(
        amount=each + 30_000, received_on=date(2026, 12, 10), reference="BK-1"))
    assert paid["allocations"] == [{"invoice_id": oct_["id"], "amount": each},
                                   {"invoice_id": nov["id"], "amount": 30_000}]
    assert paid["unallocated"] == 0
    states = {i["period"]: (i["state"], i["outstanding"]) for i in fund.invoices(BOSS, e1)}
    assert states == {"2026-10": ("paid", 0), NOV: ("partly_paid", each - 30_000)}
    with pytest.raises(Conflict):
        fund.record_payment(OFFICER, e1, s.PaymentIn(
            amount=1, received_on=date(2026, 12, 10), reference="BK-1"))
    late = service(ctx, date(2027, 1, 20))
    arrears = late.arrears(BOSS, e1)
    assert [(a["owed"], a["months_late"], a["surcharge"]) for a in arrears] == [
        (each - 30_000, 2, 0)]  # the surcharge rate is 0 until confirmed
    assert late.arrears(OFFICER)[0]["employer_id"] == e1
    monkeypatch.setattr("spmis.fund.billing.surcharge_rate", lambda day: 0.01)
    monkeypatch.setattr("spmis.fund.run.surcharge_rate", lambda day: 0.01)
    assert late.arrears(BOSS, e1)[0]["surcharge"] == round((each - 30_000) * 0.01 * 2)
    d = late.declare(BOSS, e1, "2026-12", lines((41, "1000000")))
    late.submit(BOSS, d["declaration_id"])
    out = late.run_month(OFFICER, "2026-12")
    # overdue on 20 January: November's rest and December's invoice (due 15 January)
    assert out["surcharges"] == 1 and out["reminders"] == 2
    surcharge = [i for i in late.invoices(BOSS, e1) if i["kind"] == "surcharge"]
    assert surcharge[0]["amount"] == round((each - 30_000 + each) * 0.01)
    assert surcharge[0]["due_date"] == date(2027, 2, 15)
    assert late.run_month(OFFICER, "2026-12")["reminders"] == 0  # each reminder once
    over = late.record_payment(OFFICER, e1, s.PaymentIn(
        amount=10**7, received_on=date(2027, 1, 21), reference="BK-2"))
    assert over["unallocated"] > 0 and all(i["state"] == "paid"
                                           for i in late.invoices(BOSS, e1))


def test_an_employer_sees_its_own_enterprise_only(ctx: AppContext) -> None:
    fund, e1, e2 = fund_with_two_employers(ctx)
    assert [w["person_id"] for w in fund.workers(BOSS, e1)] == [41, 42, 43]
    for call in (lambda: fund.workers(BOSS, e2), lambda: fund.employer(BOSS, e2),
                 lambda: fund.invoices(BOSS, e2), lambda: fund.declarations(BOSS, e2),
                 lambda: fund.arrears(BOSS, e2), lambda: fund.workers(BOSS, 999)):
        with pytest.raises(NotFound):
            call()
    assert [e["id"] for e in fund.employers(BOSS)] == [e1]
    d = fund.declare(OTHER_BOSS, e2, NOV, lines((42, "300000")))
    with pytest.raises(NotFound):
        fund.declaration(BOSS, d["declaration_id"])
    with pytest.raises(NotFound):
        fund.submit(BOSS, d["declaration_id"])


def test_bad_input_is_refused_and_nothing_is_half_applied(ctx: AppContext) -> None:
    fund, e1, e2 = fund_with_two_employers(ctx)
    from spmis.fund import store

    def refused(call, loc, code):  # type: ignore[no-untyped-def]
        with pytest.raises(InvalidInput) as e:
            call()
        assert (e.value.errors[0].loc, e.value.errors[0].code) == (loc, code)
        assert e.value.errors[0].msg_km

    refused(lambda: fund.declare(BOSS, e1, NOV, lines((41, "500000"), (42, "-1"))),
            ("lines", 1, "wage"), "negative")
    refused(lambda: fund.declare(BOSS, e1, NOV, lines((41, "500000"), (45, "1"))),
            ("lines", 1, "person_id"), "unknown_worker")
    refused(lambda: fund.declare(BOSS, e1, "2008-10", lines((41, "500000"))),
            ("period",), "before_scheme")
    refused(lambda: fund.declare(BOSS, e1, "2027-01", lines((41, "500000"))),
            ("period",), "future_period")
    with pytest.raises(NotFound) as nf:  # an enterprise the user does not belong to
        fund.declare(BOSS, e2, NOV, lines((42, "500000")))
    assert "that you may act for" in nf.value.msg
    assert _count(ctx, store.fund_declaration) == 0
    assert _count(ctx, store.fund_declaration_line) == 0
    # a worker hired after the month is not a worker of the month
    hire(fund, BOSS, e1, 44, start=date(2026, 12, 1))
    refused(lambda: fund.declare(BOSS, e1, NOV, lines((44, "500000"))),
            ("lines", 0, "person_id"), "unknown_worker")


def test_registration_and_declaration_deadlines_and_voluntary_members(ctx: AppContext) -> None:
    seed_registry(ctx)
    fund = service(ctx)
    late = register(fund, 1, "NSSF-0001", first_hire=date(2026, 10, 1),
                     registered_on=date(2026, 11, 5))
    ontime = register(fund, 2, "NSSF-0002", first_hire=date(2026, 10, 1),
                      registered_on=date(2026, 10, 31))
    assert fund.employer(OFFICER, late)["registered_late"] is True
    assert fund.employer(OFFICER, ontime)["registration_due"] == date(2026, 10, 31)
    assert fund.employer(OFFICER, ontime)["registered_late"] is False
    a = hire(fund, OFFICER, late, 41, start=date(2026, 11, 2), declared_on=date(2026, 11, 6))
    assert fund.workers(OFFICER, late)[0]["declared_late"] is True
    assert fund.workers(OFFICER, late)[0]["id"] == a
    hire(fund, OFFICER, ontime, 41, start=date(2026, 11, 2))  # a second employer at once
    member = fund.affiliate(OFFICER, s.AffiliationIn(
        person_id=43, kind="self_employed", start_date=date(2026, 11, 1)))
    child = fund.affiliate(OFFICER, s.AffiliationIn(
        person_id=45, kind="dependant", principal_id=member["id"],
        start_date=date(2026, 11, 1)))
    assert (member["scheme"], child["scheme"]) == ("voluntary_health", "voluntary_health")
    with pytest.raises(InvalidInput):
        fund.affiliate(OFFICER, s.AffiliationIn(person_id=44, kind="dependant",
                                                start_date=date(2026, 11, 1)))
    with pytest.raises(InvalidInput):
        fund.affiliate(OFFICER, s.AffiliationIn(person_id=999, employer_id=late,
                                                start_date=date(2026, 11, 1)))
    with pytest.raises(InvalidInput):  # enterprise 3 is not in a Phnom Penh officer's area
        fund.register_employer(
            Actor("pp", frozenset({"fund_officer"}), "12"), s.EmployerIn(
                enterprise_id=3, employer_number="NSSF-0003", sector="agriculture",
                address="Kampot", contact_name="Chan", first_hire_date=date(2026, 1, 1)))
