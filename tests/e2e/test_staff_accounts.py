"""Issue 12 #4 and issue 13 #19 in a real browser: an administrator creates a registrar; a
registrar may see identifiers, so the account waits for a second administrator, who approves it
and receives the one-time link; the new registrar chooses a password with it and signs in; the
approver role asked for later waits for the second administrator too. Screenshots in
test-artifacts/staff-*.png (English and Khmer)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from tests.e2e.conftest import BROWSER, PASSWORD, STATE, sign_in

pytestmark = BROWSER
CHOSEN = "a quiet morning in Kampot"


@pytest.fixture(scope="module")
def second_admin(server: str) -> str:
    ctx = AppContext.create(STATE["settings"])
    try:
        AccountService(ctx).create_user("admin2", "admin", "", SYSTEM, password=PASSWORD)
    finally:
        ctx.engine.dispose()
    return "admin2"


def _approve_first(page, reason: str) -> str:  # type: ignore[no-untyped-def]
    """As the second administrator: approve the newest staff request; returns the link."""
    page.goto("/office/approvals")
    card = page.locator("li.card", has=page.locator("[data-staff-request]")).first
    card.locator("input[name=reason]").fill(reason)
    card.locator("button[type=submit]", has_text="Approve").click()
    link = page.locator("code.activation-link")
    link.wait_for()
    return str(link.inner_text())


def test_a_registrar_account_needs_two_administrators_and_its_person(  # type: ignore[no-untyped-def]
        new_page, shot, second_admin) -> None:
    first = new_page(lang="en")
    sign_in(first, "admin1")
    first.goto("/office/users")
    first.fill("#username", "sokha")
    first.fill("#full_name", "Sok Sokha")
    first.fill("#scope", "120101")
    first.check("#role-registrar")
    first.fill("#reason", "new registrar for Tonle Basak")
    first.click("form[action='/office/users'] button[type=submit]")
    filed = first.locator("[data-filed]")
    expect(filed).to_contain_text("need a second administrator")
    expect(first.locator("code.activation-link")).to_have_count(0)
    expect(first.locator("table")).not_to_contain_text("sokha")
    shot(first, "staff-1-request-filed")
    # the maker sees the request but no button to decide it
    first.goto("/office/approvals")
    card = first.locator("li.card", has=first.locator("[data-staff-request]")).first
    expect(card).to_contain_text("sokha")
    expect(card.locator("button", has_text="Approve")).to_have_count(0)

    second = new_page(lang="en")
    sign_in(second, second_admin)
    link = _approve_first(second, "confirmed with the district office")
    assert re.search(r"/activate\?token=[\w-]{20,}$", link), link
    shot(second, "staff-2-approved-link-shown-once")
    second.goto("/office/approvals")
    expect(second.locator("code.activation-link")).to_have_count(0)  # once only

    person = new_page(lang="en")
    person.goto(link)
    expect(person.locator("[data-username]")).to_have_text("sokha")
    person.fill("#password", "sokha")
    person.fill("#password_again", "sokha")
    person.click("main button[type=submit]")
    expect(person.locator(".field-error").first).to_be_visible()
    person.fill("#password", CHOSEN)
    person.fill("#password_again", CHOSEN)
    shot(person, "staff-3-choose-password")
    person.click("main button[type=submit]")
    expect(person.locator(".notice.ok")).to_contain_text("Your password is set")
    person.goto("/login")
    person.fill("#username", "sokha")
    person.fill("#password", CHOSEN)
    person.click("main button[type=submit]")
    person.wait_for_url("**/office")
    person.goto(link)  # the link worked once
    expect(person.locator(".notice.error")).to_contain_text("not valid any more")

    # the approver role, asked for by the first administrator, waits for the second
    first.goto("/office/users")
    first.click("a:text-is('sokha')")
    first.check("#role-approver")
    first.click("form[action$='/edit'] button[type=submit]")
    expect(first.locator("[data-filed]")).to_be_visible()
    expect(first.locator("dl.facts")).not_to_contain_text("Approver")
    shot(first, "staff-4-approver-request-waits")
    second.goto("/office/approvals")
    card = second.locator("li.card", has=second.locator("[data-staff-request]")).first
    expect(card).to_contain_text("Approver")
    card.locator("input[name=reason]").fill("the district needs a second approver")
    card.locator("button[type=submit]", has_text="Approve").click()
    expect(second.locator(".notice.ok").first).to_be_visible()
    first.goto(re.sub(r"/edit$", "", first.url))
    expect(first.locator("dl.facts")).to_contain_text("Approver")
    expect(first.locator("table")).to_contain_text("Requested by: admin1")
    shot(first, "staff-5-account-history")


def test_an_ordinary_account_reset_and_disable_in_khmer(  # type: ignore[no-untyped-def]
        new_page, shot) -> None:
    page = new_page(lang="km")
    sign_in(page, "admin1")
    page.goto("/office/users")
    page.fill("#username", "dara.aud")
    page.check("#role-auditor")
    page.click("form[action='/office/users'] button[type=submit]")
    link = page.locator("code.activation-link")
    link.wait_for()
    shot(page, "staff-6-km-link-for-auditor")
    page.click("a:text-is('dara.aud')")
    page.click("form[action$='/reset'] button")
    expect(page.locator("code.activation-link")).to_be_visible()
    page.click("form[action$='/disable'] button")
    expect(page.locator("[data-state]")).to_have_text("បានបិទ")
    shot(page, "staff-7-km-disabled")
