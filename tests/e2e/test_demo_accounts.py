"""Issue 13, item 21: on a development installation (what `make run` serves) the sign-in page
lists one demo account per role with their password, in Khmer and English, and a newcomer signs
in with one click and can do that role's work; a test installation lists none."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from spmis.auth.demo import DEMO_ACCOUNTS
from tests.e2e.conftest import BROWSER, PHONE

pytestmark = BROWSER
DESKTOP = {"width": 1000, "height": 900}


def test_a_test_installation_lists_no_demo_account(new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang="en")
    page.goto("/login")
    expect(page.get_by_role("heading", name="Staff sign in")).to_be_visible()
    expect(page.locator(".demo-accounts")).to_have_count(0)
    assert "demo." not in page.content()


@pytest.mark.parametrize("lang", ["km", "en"])
def test_a_newcomer_signs_in_as_each_role_with_one_click(browser, dev_server, lang: str) -> None:  # type: ignore[no-untyped-def]
    from tests.e2e.conftest import ARTIFACTS

    base, district = dev_server[0], dev_server[1]
    context = browser.new_context(viewport=DESKTOP, base_url=base)
    context.add_cookies([{"name": "spmis_lang", "value": lang, "url": base}])
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/login")
        rows = page.locator("tr[data-demo]")
        expect(rows).to_have_count(len(DEMO_ACCOUNTS))
        title = "គណនីសាកល្បង" if lang == "km" else "Demo accounts (development only)"
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        password = page.locator("#demo-password").inner_text()
        assert password.startswith("spmis-")
        registrar = page.locator('tr[data-demo="demo.registrar"]')
        expect(registrar).to_contain_text("Registrar" if lang == "en" else "អ្នកចុះឈ្មោះ")
        expect(registrar).to_contain_text(district[lang])  # its district, by name
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"sign-in-demo-accounts-{lang}.png"),
                        full_page=True)

        # the approver: one click, then the approval queue
        page.get_by_role("button", name=("ចូលប្រើជា" if lang == "km" else "Sign in as")
                         + " demo.approver").click()
        page.wait_for_url("**/office")
        page.locator('.menu a[href="/office/approvals"]').click()
        page.wait_for_url("**/office/approvals")
        assert page.locator("main h1").count() == 1
        context.clear_cookies()
        context.add_cookies([{"name": "spmis_lang", "value": lang, "url": base}])

        # the registrar reviews possible duplicates and finds households of the district
        page.goto("/login")
        page.locator('tr[data-demo="demo.registrar"] button').click()
        page.wait_for_url("**/office")
        page.locator('.menu a[href="/office/linkage"]').click()
        page.wait_for_url("**/office/linkage")
        response = page.goto("/office/households")
        assert response is not None and response.status == 200
        context.clear_cookies()
    finally:
        context.close()


def test_the_demo_accounts_fit_a_phone(browser, dev_server) -> None:  # type: ignore[no-untyped-def]
    base = dev_server[0]
    context = browser.new_context(viewport=PHONE, base_url=base)
    try:
        page = context.new_page()
        page.goto("/login?lang=en")
        page.locator('tr[data-demo="demo.auditor"] button').click()
        page.wait_for_url("**/office")
        expect(page.locator("main h1")).to_be_visible()
    finally:
        context.close()
