"""Issue 15 in Chromium: an employer's month at the fund, as the people who do it. The employer
signs in (its own page, not the back office), types the month's wages (one in US dollars),
saves the draft and submits it; uploads next month's file and sees the refused row; a fund
officer computes the month (a background job) and records a partial payment; the employer sees
the invoice with its KHQR code, on a phone too, in Khmer and English. axe-core finds no serious
violation and nothing is wider than a 360 px screen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.fund import schemas as s
from spmis.fund.service import FundService
from spmis.jobs.worker import JobWorker
from tests.e2e.conftest import ARTIFACTS, BROWSER, PASSWORD, PHONE, ROOT, STATE, fresh_server
from tests.integration.fund.seed import OFFICER, hire, register, seed_registry

pytestmark = BROWSER
PERIOD = "2026-11"
SERIOUS = {"serious", "critical"}


def shot(page, name: str, docs: bool = True) -> None:  # type: ignore[no-untyped-def]
    """A screenshot in test-artifacts/, and in docs/img/ (docs/fund.md, the user guide) when
    SPMIS_UPDATE_DOCS=1 and ``docs``."""
    folders = [ARTIFACTS]
    if docs and os.environ.get("SPMIS_UPDATE_DOCS") == "1":
        folders.append(ROOT / "docs" / "img")
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _ctx() -> AppContext:
    return AppContext.create(STATE["settings"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_server(tmp_path_factory.mktemp("e2e-fund")) as base:
        ctx = _ctx()
        try:
            seed_registry(ctx)
            fund = FundService(ctx)
            employer = register(fund, 1, "NSSF-0001")
            for pid in (41, 42, 43):
                hire(fund, OFFICER, employer, pid)
            fund.set_rate(OFFICER, PERIOD, s.RateIn(
                khr_per_usd=4_100, source="NSSF notice of November 2026",
                notified_on=date(2026, 11, 1)))
            accounts = AccountService(ctx)
            accounts.create_user("boss-angkor", "employer", "", SYSTEM, password=PASSWORD)
            accounts.create_user("fund-officer", "fund_officer", "", SYSTEM, password=PASSWORD)
            fund.link_user(OFFICER, employer, "boss-angkor")
        finally:
            ctx.engine.dispose()
        yield base


def _sign_in(page, username: str, lands: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{lands}")


def _clean(page) -> None:  # type: ignore[no-untyped-def]
    found = [v for v in Axe().run(page).response["violations"] if v["impact"] in SERIOUS]
    assert not found, [(v["id"], v["nodes"][0]["target"]) for v in found]
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= page.viewport_size["width"], f"{wide} px wide"


def test_employer_month(browser, server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server, viewport=PHONE)
    context.add_cookies([{"name": "spmis_lang", "value": "en", "url": server}])
    page = context.new_page()
    _sign_in(page, "boss-angkor", "/employer")  # an employer lands on its own page
    expect(page.locator("h1")).to_have_text("Angkor Garments")
    page.fill("#period", PERIOD)
    page.fill("#lines-0-wage", "150000")
    page.fill("#lines-1-wage", "-5")
    page.fill("#lines-2-wage", "300")
    page.select_option("#lines-2-currency", "USD")
    page.click("form[action='/employer/declare'] button[type=submit]")
    expect(page.locator("#lines-1-wage-error")).to_contain_text("cannot be negative")
    shot(page, "fund-declare-error")
    page.fill("#lines-1-wage", "1000000")
    page.click("form[action='/employer/declare'] button[type=submit]")
    expect(page.locator("#declarations")).to_be_visible()
    shot(page, "fund-declare-draft")
    page.click("form[action^='/employer/declarations/'] button[type=submit]")
    expect(page.locator("[data-declaration]").first).to_contain_text("Submitted")
    _clean(page)

    f = tmp_path / "december.csv"
    f.write_text("person_id,wage,currency\n41,500000,KHR\n42,abc,KHR\n45,700000,KHR\n")
    page.fill("#upload_period", "2026-12")
    page.set_input_files("#file", str(f))
    page.click("form[action='/employer/upload'] button[type=submit]")
    expect(page.locator("#upload-result")).to_contain_text("1 rows accepted, 2 rows refused")
    expect(page.locator("#rejects")).to_contain_text("not a worker of this enterprise")
    # the refused row of a worker names them; the row of someone else says nothing about them
    expect(page.locator("#rejects [data-row='3']")).to_contain_text("Chan Sophea")
    expect(page.locator("#rejects")).not_to_contain_text("Heng")
    shot(page, "fund-upload-rejects")

    officer = browser.new_context(base_url=server)
    officer.add_cookies([{"name": "spmis_lang", "value": "en", "url": server}])
    o = officer.new_page()
    _sign_in(o, "fund-officer", "/office")
    o.goto("/office/fund")
    o.fill("#period", PERIOD)
    o.click("form[action='/office/fund/runs'] button[type=submit]")
    o.wait_for_url("**/office/jobs/*")
    ctx = _ctx()
    try:
        JobWorker(ctx).drain()
    finally:
        ctx.engine.dispose()
    o.goto("/office/fund")
    expect(o.locator("#runs")).to_contain_text("3 workers")
    o.click("text=NSSF-0001")
    o.click("text=Record a payment")
    o.fill("#amount", "20000")
    o.fill("#reference", "BAKONG-771")
    o.click("form[action$='/payments'] button[type=submit]")
    expect(o.locator("#invoices")).to_contain_text("Partly paid")
    shot(o, "fund-officer-employer")
    _clean(o)
    officer.close()

    page.goto("/employer")
    expect(page.locator("[data-khqr-invoice] img")).to_be_visible()
    shot(page, "fund-employer-invoice-phone")
    _clean(page)
    page.click("#invoices a")
    expect(page.locator("#khqr")).to_contain_text("000201")
    context.add_cookies([{"name": "spmis_lang", "value": "km", "url": server}])
    page.goto("/employer")
    expect(page.locator("h2").first).to_contain_text("ប្រកាស")
    shot(page, "fund-employer-km")
    _clean(page)
    # another enterprise's invoice or the back office: not for an employer
    assert page.goto("/office/fund").status == 403
    context.close()


#: the three workers of the enterprise, as the page names them, and what is typed for each
TYPED = (("Pich Sreyneang", "ពេជ្រ ស្រីនាង", "150000", "KHR", "150000"),
         ("Chan Sophea", "ចាន់ សុភា", "1,000,000", "KHR", "1000000"),
         ("Keo Bopha", "កែវ បុប្ផា", "250.5", "USD", "250.50"))


@pytest.mark.parametrize(("viewport", "lang", "period"), [
    ({"width": 360, "height": 800}, "km", "2026-10"),
    ({"width": 1280, "height": 900}, "en", "2026-09"),
], ids=["phone-km", "desktop-en"])
def test_typed_wages_are_kept(browser, server: str, viewport: dict[str, int], lang: str,  # type: ignore[no-untyped-def]
                              period: str) -> None:
    """The employer types three wages (field by field with the keyboard, each field named by its
    worker), saves the draft and submits it; every wage and currency typed is what was kept,
    and the month's invoice shows its KHQR code. The fields stay inside a 360 px screen."""
    ctx = _ctx()
    try:
        fund = FundService(ctx)
        fund.set_rate(OFFICER, period, s.RateIn(khr_per_usd=4_100, source="NSSF notice",
                                                notified_on=date(2026, 9, 1)))
        [employer] = fund.employers(OFFICER, "NSSF-0001")
    finally:
        ctx.engine.dispose()
    context = browser.new_context(base_url=server, viewport=viewport)
    context.add_cookies([{"name": "spmis_lang", "value": lang, "url": server}])
    page = context.new_page()
    _sign_in(page, "boss-angkor", "/employer")
    page.fill("#period", period)
    # from the month to the first wage; a field filled in from another month's draft is
    # selected when the keyboard reaches it, so typing replaces it
    page.keyboard.press("Tab")
    for i, (latin, khmer, wage, currency, _) in enumerate(TYPED):
        field = page.locator(f"#lines-{i}-wage")
        expect(field).to_be_focused()  # the keyboard goes wage, currency, next worker's wage
        label = page.locator(f"label[for='lines-{i}-wage']")
        expect(label).to_contain_text(khmer if lang == "km" else latin)
        box, select = field.bounding_box(), page.locator(f"#lines-{i}-currency").bounding_box()
        assert box and select and max(box["x"] + box["width"],
                                      select["x"] + select["width"]) <= viewport["width"]
        page.keyboard.type(wage)
        page.keyboard.press("Tab")
        expect(page.locator(f"#lines-{i}-currency")).to_be_focused()
        page.select_option(f"#lines-{i}-currency", currency)
        page.keyboard.press("Tab")
    device = "phone" if viewport["width"] < 640 else "desktop"
    shot(page, f"fund-declare-typed-{device}-{lang}", docs=device == "phone")
    page.click("form[action='/employer/declare'] button[type=submit]")
    page.wait_for_url(f"**/employer?period={period}#declaration")
    for i, (_, _, _, currency, shown) in enumerate(TYPED):
        expect(page.locator(f"#lines-{i}-wage")).to_have_value(shown)
        expect(page.locator(f"#lines-{i}-currency")).to_have_value(currency)
    ctx = _ctx()
    try:
        fund = FundService(ctx)
        [draft] = [d for d in fund.declarations(OFFICER, employer["id"])
                   if d["period"] == period]
        kept = fund.declaration(OFFICER, draft["id"])["lines"]
        assert [(x["person_id"], x["wage"], x["currency"]) for x in kept] == [
            (41, 150_000, "KHR"), (42, 1_000_000, "KHR"), (43, 25_050, "USD")]
        page.click(f"form[action='/employer/declarations/{draft['id']}/submit'] "
                   "button[type=submit]")
        expect(page.locator(f"[data-declaration='{draft['id']}']")).to_contain_text(
            "បានដាក់ស្នើ" if lang == "km" else "Submitted")
        fund.run_month(OFFICER, period)
        [invoice] = [i for i in fund.invoices(OFFICER, employer["id"]) if i["period"] == period]
    finally:
        ctx.engine.dispose()
    page.goto("/employer")
    expect(page.locator(f"[data-khqr-invoice='{invoice['id']}'] img")).to_be_visible()
    shot(page, f"fund-employer-{device}-{lang}", docs=False)
    _clean(page)
    page.click(f"[data-invoice='{invoice['id']}'] a")
    expect(page.locator("#khqr")).to_contain_text("000201")
    shot(page, f"fund-invoice-{device}-{lang}", docs=False)
    _clean(page)
    context.close()
