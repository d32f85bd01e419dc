"""Issue 14 in Chromium: a finance officer opens an approved cycle's payroll, downloads the bank's
file, uploads a result file with a mistake and reads the report (nothing applied, in English
and Khmer), then uploads the corrected file and sees it applied."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.jobs.worker import JobWorker
from tests.e2e.conftest import BROWSER, PASSWORD, STATE, sign_in
from tests.integration.payments.delivery_fixtures import approved_cycle, line_states

pytestmark = BROWSER
FINANCE = "fin-payroll"


@pytest.fixture(scope="module")
def cycle(server: str):  # type: ignore[no-untyped-def]
    ctx = AppContext.create(STATE["settings"])
    try:
        AccountService(ctx).create_user(FINANCE, "finance_officer", "", SYSTEM,
                                        password=PASSWORD)
        yield ctx, approved_cycle(ctx, 3)
    finally:
        ctx.engine.dispose()


def _upload(page, cycle_id: int, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/office/payments/cycles/{cycle_id}/payroll")
    page.select_option("#provider", "example_bank")
    page.set_input_files("#file", str(path))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/office/jobs/\d+"))


def test_payroll_download_and_reconciliation_upload(new_page, shot, cycle,  # type: ignore[no-untyped-def]
                                                    tmp_path: Path) -> None:
    ctx, c = cycle
    page = new_page(lang="en")
    sign_in(page, FINANCE)
    page.goto(f"/office/payments/cycles/{c.cycle_id}/payroll")
    expect(page.locator("#payroll-counts")).to_contain_text("Example bank")
    expect(page.locator("#payroll-counts")).to_contain_text("240,000")
    shot(page, "payments-payroll-en")

    with page.expect_download() as info:
        page.click("#payroll-counts a[href*='format=csv']")
    download = info.value
    assert download.suggested_filename.endswith("-example_bank.csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0][0] == "Account Number" and len(rows) == 4
    refs = [r[4] for r in rows[1:]]

    bad = tmp_path / "bank-result.csv"
    bad.write_text("Reference,Status,Date,Reason\n"
                   f"{refs[0]},SUCCESS,02/12/2026,\n{refs[1]},FAILED,02/12/2026,\n"
                   f"{refs[2]},SUCCESS,02/12/2026,\n{refs[2]},SUCCESS,02/12/2026,\n",
                   encoding="utf-8")
    _upload(page, c.cycle_id, bad)
    JobWorker(ctx).drain()
    page.reload()
    expect(page.locator("#reconcile-outcome")).to_contain_text("refused, nothing applied")
    shot(page, "payments-reconciliation-job-en")
    page.click("text=See the reconciliation")
    expect(page.locator("#rec-state")).to_contain_text("Refused: nothing applied")
    expect(page.locator("#problems")).to_contain_text("a failed payment needs its reason")
    expect(page.locator("#problems")).to_contain_text("appears more than once in the file")
    shot(page, "payments-reconciliation-refused-en")
    assert [s["state"] for s in line_states(ctx, c.lines)] == ["approved"] * 3

    km = new_page(lang="km")
    sign_in(km, FINANCE)
    km.goto(page.url)
    expect(km.locator("#problems")).to_contain_text("ការទូទាត់បរាជ័យត្រូវមានហេតុផល")
    shot(km, "payments-reconciliation-refused-km")

    good = tmp_path / "bank-result-2.csv"
    good.write_text("Reference,Status,Date,Reason\n"
                    f"{refs[0]},SUCCESS,02/12/2026,\n{refs[1]},FAILED,02/12/2026,closed\n"
                    f"{refs[2]},SUCCESS,02/12/2026,\n", encoding="utf-8")
    _upload(page, c.cycle_id, good)
    JobWorker(ctx).drain()
    page.goto(f"/office/payments/cycles/{c.cycle_id}/payroll")
    expect(page.locator("#reconciliations tbody tr").first).to_contain_text("Applied")
    shot(page, "payments-payroll-after-en")
    page.click("#reconciliations tbody tr:first-child a")
    expect(page.locator("#rec-paid")).to_contain_text("2")
    expect(page.locator("#rec-failed")).to_contain_text("1")
    shot(page, "payments-reconciliation-applied-en")
    assert [s["state"] for s in line_states(ctx, c.lines)] == ["paid", "failed", "paid"]

    # the failed payment is retried in December's cycle, from the same page
    from tests.integration.payments.delivery_fixtures import add_cycle

    december = add_cycle(ctx, c.programme_id, period="2026-12", state="draft")
    page.goto(f"/office/payments/cycles/{c.cycle_id}/payroll")
    expect(page.locator("#failed-lines")).to_contain_text("closed")
    page.get_by_role("button", name="Retry the chosen payments").click()  # nothing ticked
    expect(page.locator("#line-error")).to_be_visible()
    page.check(f"#line-{c.lines[1]}")
    page.select_option("#to_cycle", str(december))
    shot(page, "payments-failed-retry-en")
    page.get_by_role("button", name="Retry the chosen payments").click()
    expect(page.locator("#failed-done")).to_be_visible()
    moved = line_states(ctx, c.lines)[1]
    assert (moved["state"], moved["attempt"], moved["payroll_cycle_id"]) == (
        "approved", 2, december)


def test_payroll_pages_are_accessible_on_a_phone_in_khmer(new_page, cycle) -> None:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    from tests.e2e.test_every_page import check_page, english_msgids, untranslated

    ctx, c = cycle
    page = new_page(lang="km", bypass_csp=True)
    sign_in(page, FINANCE)
    axe, problems, msgids = Axe(), [], english_msgids()
    from spmis.payments.reconciliation import list_reconciliations

    recs = [f"/office/payments/reconciliations/{r['id']}"
            for r in list_reconciliations(ctx, c.cycle_id)]
    assert len(recs) == 2  # the refused and the applied one of the walk above
    for path in [f"/office/payments/cycles/{c.cycle_id}/payroll", *recs]:
        page.goto(path)
        problems += check_page(page, axe, path)
        problems += [f"{path}: {t!r}" for t in untranslated(page.inner_text("main"), msgids)]
    assert not problems, "\n".join(problems)


def test_a_programme_officer_records_a_visit_and_imports_a_health_centre_file(  # type: ignore[no-untyped-def]
        new_page, shot, cycle, tmp_path: Path) -> None:
    from sqlalchemy import update

    from spmis.registry.store import person

    ctx, c = cycle
    officer = "po-events"
    AccountService(ctx).create_user(officer, "programme_officer", "", SYSTEM, password=PASSWORD)
    with ctx.engine.begin() as conn:
        conn.execute(update(person).where(person.c.id == c.persons[1])
                     .values(external_key="HC-EVENTS-1"))
    page = new_page(lang="en")
    sign_in(page, officer)
    page.click('.menu a[href="/office/payments/events"]')
    page.fill("#person_id", str(c.persons[0]))
    page.select_option("#kind", "antenatal_visit")
    page.fill("#event_date", "31")
    page.select_option("#event_date-month", "2")  # 31 February: named, nothing recorded
    page.fill("#event_date-year", "2026")
    page.fill("#facility", "Chamkar Mon health centre")
    page.click("main form.stack button[type=submit]")
    expect(page.locator("#event_date-error")).to_be_visible()
    page.select_option("#event_date-month", "3")
    page.click("main form.stack button[type=submit]")
    expect(page.locator("#event-recorded")).to_be_visible()
    shot(page, "payments-event-recorded-en")

    bad = tmp_path / "hc.csv"
    bad.write_text("person_key,event,date,facility\nHC-EVENTS-1,vaccination,2026-03-02,HC\n"
                   "NOBODY,vaccination,2026-03-02,HC\n", encoding="utf-8")
    page.set_input_files("#file", str(bad))
    page.click("main form[enctype] button[type=submit]")
    expect(page.locator("#import-problems")).to_contain_text("NOBODY is not in the registry")
    shot(page, "payments-events-import-refused-en")
    good = tmp_path / "hc-2.csv"
    good.write_text("person_key,event,date,facility\nHC-EVENTS-1,vaccination,2026-03-02,HC\n",
                    encoding="utf-8")
    page.set_input_files("#file", str(good))
    page.click("main form[enctype] button[type=submit]")
    expect(page.locator("#import-done")).to_contain_text("1 events recorded")

    km = new_page(lang="km", bypass_csp=True)
    sign_in(km, officer)
    km.goto("/office/payments/events")
    from axe_playwright_python.sync_playwright import Axe

    from tests.e2e.test_every_page import check_page, english_msgids, untranslated

    problems = check_page(km, Axe(), "events")
    problems += untranslated(km.inner_text("main"), english_msgids())
    shot(km, "payments-events-km")
    assert not problems, problems
