"""Issue 13, item 22: a policy officer (the demo programme officer of a development server with
the demo population) chooses a reform on the policy page, the simulation runs as a background
job, and its page shows cost and beneficiaries by province and sex as charts and tables, in
Khmer and English, with the figures as a CSV file."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from spmis.context import AppContext
from tests.e2e.conftest import ARTIFACTS, BROWSER, PHONE

pytestmark = BROWSER
DESKTOP = {"width": 1100, "height": 900}


def _run_waiting_jobs(settings) -> None:  # type: ignore[no-untyped-def]
    """What `make run`'s worker does (the test server runs none)."""
    from spmis.jobs.worker import JobWorker

    ctx = AppContext.create(settings)
    try:
        JobWorker(ctx).drain()
    finally:
        ctx.engine.dispose()


def _sign_in(context, base: str, lang: str, who: str = "demo.programme"):  # type: ignore[no-untyped-def]
    context.add_cookies([{"name": "spmis_lang", "value": lang, "url": base}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    # a 4xx answer (the browser's own favicon request) is not a page error: as in conftest
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto("/login")
    page.locator(f'tr[data-demo="{who}"] button').click()
    page.wait_for_url("**/office")
    return page


@pytest.mark.parametrize("lang", ["en", "km"])
def test_a_policy_officer_simulates_a_reform(browser, dev_server, lang: str) -> None:  # type: ignore[no-untyped-def]
    base, _, settings = dev_server
    context = browser.new_context(viewport=DESKTOP, base_url=base, accept_downloads=True)
    try:
        page = _sign_in(context, base, lang)
        page.locator('.menu a[href="/office/policy"]').click()
        page.wait_for_url("**/office/policy")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"policy-form-{lang}.png"), full_page=True)
        name = ("បង្កើនប្រាក់មូលដ្ឋានកញ្ចប់គ្រួសារដល់ ៥០,០០០ ៛ ក្នុងមួយខែ" if lang == "km"
                else "Family Package base payment raised to 50,000 KHR a month")
        page.get_by_label(name).check()
        page.fill("#period", "2026-11")
        page.get_by_role("button", name="ដំណើរការការក្លែងធ្វើ" if lang == "km"
                         else "Run the simulation").click()
        page.wait_for_url(re.compile(r".*/office/policy/\d+$"))
        expect(page.locator("#simulation-status")).to_be_visible()  # waiting for the worker
        _run_waiting_jobs(settings)
        # htmx asks for the status every 2 s and reloads the page once the job has ended
        expect(page.locator("#chart-cost-province")).to_be_visible(timeout=30_000)
        expect(page.locator("h1")).to_have_text(name)
        current = page.locator('tr.current[data-programme="family_package_base"]')
        expect(current).to_be_visible()  # the programme the reform changes is shown first
        cost = page.locator('[data-figure="cost"]').inner_text()
        paid = page.locator('[data-figure="paid"]').inner_text()
        digits = "០-៩" if lang == "km" else "0-9"
        riel = "៛" if lang == "km" else "KHR"
        assert re.search(f"[{digits},]+ {riel} → [{digits},]+ {riel}", cost), cost
        # the same households are paid, each 50,000 instead of 28,000
        before, after = (int(_western(x).replace(",", "")) for x in paid.split(" → "))
        assert before == after > 0
        bars = page.locator("#chart-cost-province rect.bar-reform")
        rows = page.locator("#by-province tbody tr")
        assert bars.count() == rows.count() > 1  # one group per province, in chart and table
        base_len = float(page.locator("#chart-cost-province rect.bar-base").first
                         .get_attribute("width") or 0)
        reform_len = float(bars.first.get_attribute("width") or 0)
        assert reform_len == pytest.approx(base_len * 50_000 / 28_000, rel=0.02)
        expect(page.locator("#chart-paid-sex rect.bar-reform")).to_have_count(2)
        expect(page.locator("#by-sex tbody tr")).to_have_count(2)
        women = "ស្ត្រី" if lang == "km" else "Women"
        expect(page.locator("#by-sex")).to_contain_text(women)
        expect(page.locator("#chart-paid-sex")).to_contain_text(women)  # the chart's labels too
        page.screenshot(path=str(ARTIFACTS / f"policy-result-{lang}.png"), full_page=True)

        with page.expect_download() as download:
            page.locator('a[href$="/figures.csv"]').click()
        text = download.value.path().read_text(encoding="utf-8")
        table = list(csv.DictReader(io.StringIO(text)))
        total = next(r for r in table if r["programme"] == "family_package_base"
                     and r["dimension"] == "total")
        assert total["unit"] == "households"
        assert int(total["reform_cost"]) == 50_000 * int(total["reform_beneficiaries"])
        by_sex = [r for r in table if r["programme"] == "family_package_base"
                  and r["dimension"] == "sex"]
        assert {r["unit"] for r in by_sex} == {"people"}
        provinces = [r for r in table if r["programme"] == "family_package_base"
                     and r["dimension"] == "province"]
        assert sum(int(r["reform_cost"]) for r in provinces) == int(total["reform_cost"])
        assert all(r["name"] for r in provinces)  # provinces by name, not only code
        assert not page.errors, page.errors  # type: ignore[attr-defined]
    finally:
        context.close()


def _western(text: str) -> str:
    return text.translate(str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")).strip()


def test_a_wrong_month_is_said_at_its_field(browser, dev_server) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = dev_server
    context = browser.new_context(viewport=PHONE, base_url=base)
    try:
        page = _sign_in(context, base, "en")
        page.goto("/office/policy")
        page.get_by_label("A new value for one amount or age").check()
        page.fill("#period", "2026-13")
        page.fill("#value", "lots")
        page.get_by_role("button", name="Run the simulation").click()
        expect(page.locator("#period-error")).to_contain_text("YYYY-MM")
        expect(page.locator("#value-error")).to_contain_text("number")
        expect(page.locator("#parameter-error")).to_be_visible()
        assert page.input_value("#value") == "lots"  # what was typed stays
    finally:
        context.close()


def test_only_policy_roles_see_the_page(browser, dev_server) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = dev_server
    context = browser.new_context(viewport=PHONE, base_url=base)
    try:
        page = _sign_in(context, base, "en", "demo.registrar")
        expect(page.locator('.menu a[href="/office/policy"]')).to_have_count(0)
        response = page.goto("/office/policy")
        assert response is not None and response.status == 403
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["km", "en"])
def test_the_policy_pages_are_accessible_on_a_phone_and_khmer_throughout(  # type: ignore[no-untyped-def]
        browser, dev_server, lang: str) -> None:
    """axe-core finds no serious violation on the policy form, the figures and the sign-in page
    with its demo accounts, nothing is wider than 360 px, and no catalogue text is left in
    English on the Khmer pages."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.e2e.test_every_page import PAGE_TEXT, check_page, english_msgids, untranslated

    base, _, settings = dev_server
    context = browser.new_context(viewport=PHONE, base_url=base, bypass_csp=True)
    axe = Axe()
    problems: list[str] = []
    english: list[str] = []
    msgids = english_msgids()

    def look(page, where: str) -> None:  # type: ignore[no-untyped-def]
        problems.extend(check_page(page, axe, f"{lang} {where}"))
        if lang == "km":
            # the visible text outside translate="no" (commands such as `spmis worker`)
            english.extend(f"{where}: {m!r}" for m in untranslated(page.evaluate(PAGE_TEXT),
                                                                  msgids))
    try:
        page = context.new_page()
        page.goto(f"/login?lang={lang}")
        look(page, "/login (demo accounts)")
        page = _sign_in(context, base, lang)
        page.goto("/office/policy")
        look(page, "/office/policy")
        if lang == "km":  # a new value for one amount, chosen by its Khmer name
            page.locator("#reform-custom").check()
            page.select_option("#parameter", "social_assistance.family_package.base_payment")
            page.fill("#value", "40,000")
            page.fill("#start", "2026-01")
        else:
            page.locator("#reform-elderly_from_65").check()
        page.fill("#period", "2026-11")
        page.locator("form[action='/office/policy'] button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/office/policy/\d+$"))
        look(page, "/office/policy/N (waiting)")
        _run_waiting_jobs(settings)
        page.reload()
        page.locator("#chart-cost-province").wait_for()
        if lang == "km":
            expect(page.locator("h1")).to_have_text(
                "កញ្ចប់គ្រួសារ៖ ប្រាក់មូលដ្ឋានក្នុងមួយគ្រួសារ ៛ ក្នុងមួយខែ៖ 40,000")
            expect(page.locator('[data-figure="cost"] strong')).to_contain_text("០០០")
        look(page, "/office/policy/N")
        page.screenshot(path=str(ARTIFACTS / f"policy-result-phone-{lang}.png"), full_page=True)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert not english, "English text on Khmer pages:\n" + "\n".join(english)
