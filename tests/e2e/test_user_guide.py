"""The user guide's walk-through (docs/user-guide.md), done the way a new user does it: only by
the labels, buttons and links the pages show (no ids or test hooks). It takes the guide's
screenshots: into test-artifacts/user-guide/, and into docs/img/ when SPMIS_UPDATE_DOCS=1."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from tests.e2e.conftest import ARTIFACTS, BROWSER, PASSWORD, PHONE, ROOT, choose_area

pytestmark = BROWSER

DOCS_IMG = ROOT / "docs" / "img"
DESKTOP = {"width": 900, "height": 1000}


def _shot(page, name: str, full: bool = False) -> None:  # type: ignore[no-untyped-def]
    folders = [ARTIFACTS / "user-guide"]
    if os.environ.get("SPMIS_UPDATE_DOCS") == "1":
        folders.append(DOCS_IMG)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full)


def test_a_new_user_registers_a_household_and_sees_its_eligibility(browser, server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=DESKTOP, base_url=server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    started = time.monotonic()
    try:
        page.goto("/")
        page.get_by_role("link", name="English").click()  # the switch is on every page
        page.get_by_role("link", name="Staff sign in").click()
        page.get_by_label("User name", exact=True).fill("reg-chamkarmon")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        _shot(page, "01-sign-in")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name=re.compile("Welcome")).wait_for()
        _shot(page, "02-start")
        page.locator("main").get_by_role("link", name="Register a household").click()
        page.get_by_label("Village", exact=True).select_option(label="Phum Muoy")
        page.get_by_label("IDPoor level", exact=True).select_option(label="Level 1 (very poor)")
        page.get_by_label("IDPoor card number", exact=True).fill("PP-12-0421")
        page.get_by_label("Family name in Khmer", exact=True).fill("ចាន់")
        page.get_by_label("Given name in Khmer", exact=True).fill("សុភា")
        page.get_by_label("Family name in Latin letters", exact=True).fill("Chan")
        page.get_by_label("Given name in Latin letters", exact=True).fill("Sophea")
        page.get_by_label(re.compile(r"^Sex\b")).select_option(label="Female")
        born = page.get_by_role("group", name=re.compile(r"^Date of birth\b"))  # issue 13, #18
        born.get_by_label("Day", exact=True).fill("1")
        born.get_by_label("Month", exact=True).select_option(label="March")
        born.get_by_label("Year", exact=True).fill("1958")
        # a number too short: the mistake the guide shows
        page.get_by_label("National ID card number", exact=True).fill("0123")
        _shot(page, "03-register-form", full=True)
        page.get_by_role("button", name="Register the household").click()
        error = page.locator(".field-error").first
        error.wait_for()
        assert "digits" in error.inner_text()
        error.scroll_into_view_if_needed()
        _shot(page, "04-validation-message")
        page.get_by_label("National ID card number", exact=True).fill("012345678")
        page.get_by_role("button", name="Register the household").click()
        page.get_by_text("The household is registered.").wait_for()
        page.get_by_role("heading", name="Eligibility").scroll_into_view_if_needed()
        _shot(page, "05-household-eligibility")
        assert page.locator(".answer.yes").count() >= 2  # IDPoor base payment, aged 60+
        assert time.monotonic() - started < 120
    finally:
        context.close()


def test_the_public_checks_a_household_on_a_phone(browser, server) -> None:  # type: ignore[no-untyped-def]
    """The guide's public part, on a phone: the check in Khmer, the same answer in English by
    the language switch, and a programme page with its amounts."""
    context = browser.new_context(viewport=PHONE, base_url=server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/eligibility?lang=km")  # the public check, in Khmer, without signing in
        choose_area(page, province="01", district="0102", commune="010201")
        page.get_by_label("កម្រិត ១ (ក្រីក្រខ្លាំង)").check()
        page.get_by_label(re.compile("^អាយុ")).fill("27")
        page.get_by_label(re.compile("^ភេទ")).select_option(label="ស្រី")
        page.get_by_label("មានផ្ទៃពោះ", exact=True).check()
        page.get_by_role("button", name="បន្ថែមបុគ្គលម្នាក់").click()
        page.locator("#members-1-age").fill("1")
        page.locator("#members-1-sex").select_option(label="ប្រុស")
        _shot(page, "06-public-check-form-km")
        page.get_by_role("button", name="ពិនិត្យសិទ្ធិ").click()
        page.locator("[data-total]").wait_for()
        _shot(page, "07-public-check-answer-km", full=True)
        page.locator("nav.lang").get_by_text("English").click()  # the answers are kept
        page.get_by_text("This month, up to").wait_for()
        _shot(page, "08-public-check-answer-en", full=True)
        page.goto("/programmes/pregnant_child_cash_transfer")
        page.get_by_role("heading", name=re.compile("^Amounts in")).wait_for()
        _shot(page, "09-programme-amounts-en", full=True)
    finally:
        context.close()


def test_a_newcomer_tries_the_demo_and_a_policy_officer_simulates_a_reform(  # type: ignore[no-untyped-def]
        browser, dev_server) -> None:
    """The guide's "Trying SPMIS" and "Policy simulation" parts, on a development server as
    `make run` leaves it (demo data and demo accounts)."""
    from spmis.context import AppContext
    from spmis.jobs.worker import JobWorker

    base, _, settings = dev_server
    context = browser.new_context(viewport=DESKTOP, base_url=base)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto("/login?lang=en")
        page.get_by_role("heading", name="Demo accounts (development only)").wait_for()
        _shot(page, "10-demo-accounts", full=True)
        page.get_by_role("button", name="Sign in as demo.programme").click()
        page.locator("main").get_by_role("link", name="Policy simulation").click()
        page.get_by_label("Family Package base payment raised to 50,000 KHR a month").check()
        page.get_by_label(re.compile("^Month to simulate")).fill("2026-11")
        _shot(page, "11-policy-form", full=True)
        page.get_by_role("button", name="Run the simulation").click()
        page.get_by_role("heading", name="Simulating…").wait_for()
        ctx = AppContext.create(settings)
        try:
            JobWorker(ctx).drain()  # what make run's worker does
        finally:
            ctx.engine.dispose()
        page.get_by_role("heading", name="By province").wait_for(timeout=30_000)
        _shot(page, "12-policy-result", full=True)
    finally:
        context.close()
