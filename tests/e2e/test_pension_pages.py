"""The fund's pension payroll walked in Chromium, in Khmer and English, on a server of its own: an
old-age pension approved in September 2026 (its first month paid with the claim); a finance
officer opens the pension payroll's page, is refused a month before the scheme and one too far
ahead (the field named), runs a month (a background job), another approves it; the claim's page
shows the pension each month. An employer's menu has no claims queue, its page links to its
workers' claims. axe-core finds no serious or critical violation; a Khmer page shows no English
catalogue text. With SPMIS_UPDATE_DOCS=1 the screenshots also go to docs/img."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.fund.claims import ClaimService, NewClaim
from spmis.fund.service import FundService
from spmis.payments.model import month_after, period_of
from tests.e2e.conftest import BROWSER, PASSWORD, STATE, drain_jobs, fresh_server, sign_in
from tests.e2e.conftest import doc_shot as shot
from tests.e2e.test_every_page import check_page, english_msgids, untranslated
from tests.integration.fund.claims_seed import seed_pensioners

pytestmark = BROWSER
STAFF = {"fin-pension-1": "finance_officer", "fin-pension-2": "finance_officer",
         "fo-pension": "fund_officer"}
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")



def _ctx() -> AppContext:
    return AppContext.create(STATE["settings"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_server(tmp_path_factory.mktemp("e2e-pensions")) as base:
        yield base


@pytest.fixture(scope="module")
def claim_id(server: str) -> int:
    """An old-age pension approved from September 2026, its first month paid; an employer
    account linked to the pensioner's enterprise."""
    ctx = _ctx()
    try:
        for name, role in STAFF.items():
            AccountService(ctx).create_user(name, role, "", SYSTEM, password=PASSWORD)
        AccountService(ctx).create_user("boss-pension", "employer", "", SYSTEM,
                                        password=PASSWORD)
        old, _, _ = seed_pensioners(ctx)
        officer = Actor("seed-officer", frozenset({"fund_officer", "admin"}), "")
        FundService(ctx).link_user(officer, 1, "boss-pension")
        claims, today = ClaimService(ctx), date.today()
        claim = claims.submit(Actor("fo-a", frozenset({"fund_officer"}), ""),
                              NewClaim(old, "old_age", date(2026, 9, 1)), today)
        claims.act(Actor("fo-b", frozenset({"fund_officer"}), ""), claim["id"], "review",
                   today=today)
        claims.act(Actor("fo-c", frozenset({"fund_officer"}), ""), claim["id"], "approve",
                   today=today)
        claims.act(Actor("fin-x", frozenset({"finance_officer"}), ""), claim["id"], "pay",
                   reference="BANK-0901", today=today)
        return int(claim["id"])
    finally:
        ctx.engine.dispose()


@pytest.mark.parametrize("lang", ["km", "en"])
def test_the_pension_payroll_month_by_month(new_page, claim_id: int, lang: str) -> None:  # type: ignore[no-untyped-def]
    axe, problems, english = Axe(), [], []
    msgids = english_msgids() if lang == "km" else []

    def look(page, where: str) -> None:  # type: ignore[no-untyped-def]
        problems.extend(check_page(page, axe, f"{lang} {where}"))
        english.extend(f"{where}: {m!r}" for m in untranslated(page.inner_text("main"), msgids))
        shot(page, f"fund-pension-{where}-{lang}")

    month = "2026-10" if lang == "km" else "2026-11"
    maker = new_page(lang=lang)
    sign_in(maker, "fin-pension-1")
    maker.goto("/office/payments/programmes/nssf_pension")
    expect(maker.locator("#pension-payroll")).to_be_visible()
    assert maker.locator("#evaluation_run_id").count() == 0  # no enrolment runs for pensions
    for bad in ("2022-09", month_after(period_of(date.today()), 2)):
        maker.fill("#period", bad)
        with maker.expect_navigation():
            maker.click("form[action$='/cycles'] button[type=submit]")
        expect(maker.locator("#period-error")).to_be_visible()
    look(maker, "refused")
    maker.fill("#period", month)
    with maker.expect_navigation():
        maker.click("form[action$='/cycles'] button[type=submit]")
    maker.wait_for_url(re.compile(r".*/office/payments/cycles/\d+\?job=\d+"))
    cycle_url = maker.url.split("?")[0]
    drain_jobs()
    maker.goto(cycle_url)
    lines = maker.locator("#cycle-lines").inner_text().translate(KHMER_DIGITS)
    assert lines == "1", lines  # km: October; en: November
    assert maker.locator("form[action$='/approve']").count() == 0  # the maker
    look(maker, "cycle-waiting")

    checker = new_page(lang=lang)
    sign_in(checker, "fin-pension-2")
    checker.goto(cycle_url)
    with checker.expect_navigation():
        checker.click("form[action$='/approve'] button[type=submit]")
    expect(checker.locator("#cycle-state")).to_have_class(re.compile("state-approved"))
    look(checker, "cycle-approved")

    officer = new_page(lang=lang)
    sign_in(officer, "fo-pension")
    officer.goto(f"/office/fund/claims/{claim_id}")
    rows = officer.locator("#pension-months tbody tr")
    expect(rows).to_have_count(1 if lang == "km" else 2)
    look(officer, "claim")
    assert not problems, "\n".join(problems)
    assert not english, "\n".join(english)


def test_an_employer_has_no_claims_queue_in_its_menu(new_page, claim_id: int) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang="en")
    page.goto("/login")
    page.fill("#username", "boss-pension")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/employer")
    assert page.locator("nav a[href='/office/fund/claims']").count() == 0
    expect(page.locator("#own-claims")).to_have_attribute("href", "/office/fund/claims")


def test_ending_a_pension_on_its_page(new_page, claim_id: int) -> None:  # type: ignore[no-untyped-def]
    """After the two months above: an end before a month already approved is refused under
    the field; the last approved month is accepted and the history says so (in Khmer)."""
    page = new_page(lang="km")
    sign_in(page, "fo-pension")
    page.goto(f"/office/fund/claims/{claim_id}")
    page.fill("#last_period", "2026-09")
    page.fill("#end_reason", "moved abroad")
    with page.expect_navigation():
        page.click("#action-end-pension")
    expect(page.locator("#last_period-error")).to_be_visible()
    problems = check_page(page, Axe(), "km end-refused")
    page.fill("#last_period", "2026-11")
    page.fill("#end_reason", "moved abroad")
    with page.expect_navigation():
        page.click("#action-end-pension")
    expect(page.locator(".history")).to_contain_text("moved abroad")
    assert not untranslated(page.inner_text("main"), english_msgids())
    problems += check_page(page, Axe(), "km ended")
    shot(page, "fund-pension-ended-km")
    assert not problems, "\n".join(problems)
