"""Issue 14 in Chromium: one payment cycle end to end, as the people who do it. A programme
officer lists the candidates of an evaluation run (counts by province, commune and sex), an
approver enrols them, a finance officer runs the month's cycle (a background job) and another
approves its payroll, the payroll file is downloaded, the bank's result file uploaded and
reconciled, and the ledger shows the money paid; the household page shows its payments."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.payments.accounts import set_account
from spmis.payments.providers import install_examples
from spmis.payments.service import PaymentsService
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService
from spmis.rules.service import RulesService
from tests.e2e.conftest import BROWSER, PASSWORD, STATE, drain_jobs, fresh_server, sign_in
from tests.e2e.conftest import doc_shot as shot

pytestmark = BROWSER
CODE = "covid19_cash_transfer"
PERIOD = "2024-03"
VILLAGE = "17010101"  # Prasat, Char Chhuk (Siem Reap): no other browser test registers here
STAFF = {"po-pay": "programme_officer", "apr-pay": "approver", "fin-pay-1": "finance_officer",
         "fin-pay-2": "finance_officer"}
PEOPLE = [("Sok", "Dara", "F"), ("Chan", "Vanna", "M"), ("Keo", "Sophea", "F")]



def _ctx() -> AppContext:
    return AppContext.create(STATE["settings"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own: the walk counts every eligible household of the registry,
    so households other browser tests register in the shared server would change its figures."""
    with fresh_server(tmp_path_factory.mktemp("e2e-payments")) as base:
        yield base


@pytest.fixture(scope="module")
def prepared(server: str) -> dict[str, object]:
    """Staff, three IDPoor households in one commune, the programme records, an example bank
    and the evaluation of the month (the rules' own pages are tested elsewhere)."""
    ctx = _ctx()
    try:
        accounts = AccountService(ctx)
        for name, role in STAFF.items():
            accounts.create_user(name, role, "", SYSTEM, password=PASSWORD)
        households = []
        for family, given, sex in PEOPLE:
            body = s.HouseholdCreate.model_validate({
                "village_code": VILLAGE, "idpoor_level": 1, "idpoor_card_number": f"C-{given}",
                "idpoor_valid_from": "2020-01-01", "idpoor_valid_to": "2030-12-31",
                "members": [{"relationship": "head", "family_name_latin": family,
                             "given_name_latin": given, "sex": sex,
                             "date_of_birth": "1980-05-05"}]})
            households.append(RegistryService(ctx).create_household(body, SYSTEM).id)
        PaymentsService(ctx).seed_programmes(SYSTEM)
        install_examples(ctx, SYSTEM)
        run = RulesService(ctx).evaluate(SYSTEM, PERIOD, [CODE])
        return {"households": households, "run_id": run.run_id}
    finally:
        ctx.engine.dispose()


def _accounts(households: list[int]) -> None:
    """The beneficiaries' bank accounts (recorded by the delivery part, tested there)."""
    ctx = _ctx()
    try:
        pay = PaymentsService(ctx)
        for i, hid in enumerate(households):
            found = pay.household_payments(SYSTEM, hid)["beneficiaries"]
            head = RegistryService(ctx).get_household(hid, SYSTEM).members[0].id
            set_account(ctx, SYSTEM, found[0]["id"], "example_bank", f"00012345{i}", head)
    finally:
        ctx.engine.dispose()


def test_one_cycle_from_enrolment_to_the_ledger(new_page, prepared,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    households = prepared["households"]
    assert isinstance(households, list)
    page = new_page(lang="en")
    sign_in(page, "po-pay")
    page.click('.menu a[href="/office/payments"]')
    page.click(f'tr[data-programme="{CODE}"] a[href="/office/payments/programmes/{CODE}"]')
    page.get_by_role("button", name="Activate the programme").click()
    page.get_by_text("Set a budget").click()
    page.fill("#year", "2024")
    page.fill("#amount", "10000000")
    page.fill("#legal_reference", "budget law 2024, chapter 4")
    page.get_by_role("button", name="Save the budget").click()
    expect(page.locator("#budgets")).to_contain_text("10,000,000")
    page.fill("#evaluation_run_id", str(prepared["run_id"]))
    page.get_by_role("button", name="List the candidates").click()
    page.wait_for_url(re.compile(r".*/office/payments/enrolment-runs/\d+"))
    expect(page.locator("#run-state")).to_have_text("Waiting for a decision")
    expect(page.locator("#candidates")).to_have_text("3")
    expect(page.locator("table", has_text="Commune")).to_contain_text("Char Chhuk")
    expect(page.locator("table", has_text="Sex of the head")).to_contain_text("Women")
    shot(page, "payments-enrolment-run-en")
    enrolment_url = page.url

    page = new_page(lang="km")
    sign_in(page, "apr-pay")
    page.goto(enrolment_url)
    page.fill("#reason", "checked against the commune list")
    page.get_by_role("button", name="ចុះឈ្មោះបេក្ខជន").click()
    expect(page.locator("#run-state")).to_have_text("បានអនុម័ត")
    shot(page, "payments-enrolment-approved-km")
    _accounts(households)

    page = new_page(lang="en")
    sign_in(page, "fin-pay-1")
    page.goto(f"/office/payments/programmes/{CODE}")
    page.fill("#period", "2024-13")  # a month that does not exist: named, nothing queued
    page.get_by_role("button", name="Run the cycle").click()
    expect(page.locator("#period-error")).to_contain_text("YYYY-MM")
    page.fill("#period", PERIOD)
    page.get_by_role("button", name="Run the cycle").click()
    page.wait_for_url(re.compile(r".*/office/payments/cycles/\d+\?job=\d+"))
    cycle_url = page.url.split("?")[0]
    drain_jobs()
    page.goto(cycle_url)
    expect(page.locator("#cycle-state")).to_have_text("Waiting for approval")
    expect(page.locator("#cycle-lines")).to_have_text("3")
    expect(page.locator("table", has_text="By province")).to_contain_text("Siemreap")
    expect(page.locator("table", has_text="By sex of the recipient")).to_contain_text("Women")
    expect(page.get_by_role("button", name="Approve the payroll")).to_have_count(0)  # the maker
    shot(page, "payments-cycle-waiting-en")

    page = new_page(lang="en")
    sign_in(page, "fin-pay-2")
    page.goto(cycle_url)
    page.get_by_role("button", name="Approve the payroll").click()
    expect(page.locator("#cycle-state")).to_have_text("Approved")
    shot(page, "payments-cycle-approved-en")

    page.get_by_role("link", name="Payroll files and reconciliation").click()
    with page.expect_download() as info:
        page.click("#payroll-counts a[href*='format=csv']")
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 1 + 3
    refs = [r[4] for r in rows[1:]]
    result = tmp_path / "bank-result.csv"
    result.write_text("Reference,Status,Date,Reason\n" + "".join(
        f"{ref},SUCCESS,05/03/2024,\n" for ref in refs), encoding="utf-8")
    page.select_option("#provider", "example_bank")
    page.set_input_files("#file", str(result))
    with page.expect_navigation():
        page.click("main form[enctype] button[type=submit]")
    page.wait_for_url(re.compile(r".*/office/jobs/\d+"))
    drain_jobs()
    page.reload()
    shot(page, "payments-reconciliation-en")

    page.goto(f"/office/payments/ledger/{CODE}?year=2024")
    total = page.locator("#ledger-total")
    paid = total.locator("[data-k=paid]").inner_text()
    assert paid == total.locator("[data-k=committed]").inner_text() and not paid.startswith("0 ")
    expect(total.locator("[data-k=budget]")).to_have_text("10,000,000 KHR")
    free, spent = (int(t.split()[0].replace(",", "")) for t in (
        total.locator("[data-k=free]").inner_text(), paid))
    assert free == 10_000_000 - spent
    expect(total.locator("[data-k=pending]")).to_contain_text("0")
    shot(page, "payments-ledger-en")

    page.goto(f"/office/households/{households[0]}")
    history = page.locator("#household-payments")
    expect(history).to_contain_text("Payment history")
    expect(history).to_contain_text("Paid")
    expect(history.locator("table")).to_contain_text("COVID-19 cash transfer")
    shot(page, "payments-household-en")


def test_a_shock_top_up_is_previewed_before_an_approver_approves_it(new_page,  # type: ignore[no-untyped-def]
                                                                    prepared) -> None:
    """After the cycle above, the commune's three beneficiaries are enrolled: a flood there gets
    a top-up; the page shows the households and the cost before the decision."""
    page = new_page(lang="en")
    sign_in(page, "po-pay")
    page.goto("/office/payments/shocks")
    page.fill("#name_en", "March floods")
    page.fill("#name_km", "ទឹកជំនន់ខែមីនា")
    page.select_option("#kind", "top_up")
    page.select_option("#programme", CODE)
    page.fill("#communes", "170101")
    page.fill("#start_date", "1")
    page.select_option("#start_date-month", "3")
    page.fill("#start_date-year", "2024")
    page.fill("#end_date", "31")
    page.select_option("#end_date-month", "2")  # 31 February: the page says so
    page.fill("#end_date-year", "2024")
    page.fill("#amount", "40000")
    page.fill("#legal_reference", "decision 7/2024")
    page.get_by_role("button", name="Preview the households and the cost").click()
    expect(page.locator("#end_date-error")).to_contain_text("has no day 31")
    page.select_option("#end_date-month", "3")
    page.get_by_role("button", name="Preview the households and the cost").click()
    page.wait_for_url(re.compile(r".*/office/payments/shocks/\d+"))
    expect(page.locator("#shock-households")).to_have_text("3")
    expect(page.locator("#shock-cost")).to_contain_text("120,000")
    shot(page, "payments-shock-preview-en")
    shock_url = page.url

    page = new_page(lang="km")
    sign_in(page, "apr-pay")
    page.goto(shock_url)
    page.fill("#reason", "the commune chief confirmed the flood")
    page.get_by_role("button", name="អនុម័ត", exact=True).click()
    expect(page.locator("#shock-state")).to_have_text("បានអនុម័ត")
    shot(page, "payments-shock-approved-km")
