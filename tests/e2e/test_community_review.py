"""Issue 19 (second half) in Chromium: the community review of a commune's list of poor
households, as the people who do it. A commune registrar starts the list from the round's
scores and asks to add one household and remove another, each with a reason (a change without
a reason is refused next to the field); an approver accepts one and refuses the other, with
reasons; the registrar posts the list and prints the village posting list (a PDF in Khmer,
rasterised: not blank, Khmer shaped); after the objection period the approver approves the
list, the background job issues the equity cards, the printed card carries a QR code, and the
public verification page (phone-sized, Khmer and English) says the card is valid."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import update

from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.jobs.worker import JobWorker
from spmis.targeting.review_store import targeting_list
from tests.e2e.conftest import ARTIFACTS, BROWSER, ROOT, STATE, fresh_server, sign_in
from tests.e2e.conftest import doc_shot as shot
from tests.e2e.test_every_page import (
    NOT_KHMER,
    PAGE_TEXT,
    check_page,
    english_msgids,
    untranslated,
)
from tests.integration.targeting_review.seed import seed
from tests.pdf_check import assert_khmer_page

pytestmark = BROWSER



def _ctx() -> AppContext:
    return AppContext.create(STATE["settings"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own: the seed writes households 1 to 7 and round 1."""
    with fresh_server(tmp_path_factory.mktemp("e2e-review")) as base:
        ctx = _ctx()
        try:
            seed(ctx.engine)
        finally:
            ctx.engine.dispose()
        yield base


def _ask(page, action: str, household: int, reason: str, level: str | None = None) -> None:  # type: ignore[no-untyped-def]
    page.select_option("#action", action)
    page.fill("#household_id", str(household))
    if level:
        page.select_option("#level", level)
    page.fill("#reason", reason)
    with page.expect_navigation():
        page.click("#change-form button[type=submit]")


def test_review_post_and_print(new_page, server: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page("en")
    page.set_viewport_size({"width": 1100, "height": 900})
    sign_in(page, "reg-chamkarmon")
    page.goto("/office/targeting/review/1")
    expect(page.locator("#communes")).to_contain_text("Tonle Basak")
    with page.expect_navigation():
        page.click("#communes button[type=submit]")
    expect(page.locator("#list-status")).to_have_text("In review")
    expect(page.locator("#list-count")).to_contain_text("3")
    # a change without a reason is refused, the message next to the field
    _ask(page, "add", 6, "")
    expect(page.locator("#reason-error")).to_be_visible()
    _ask(page, "add", 6, "The flood took the house in October", level="1")
    expect(page.locator("#done")).to_contain_text("Another person decides it")
    _ask(page, "remove", 2, "Moved to Phnom Penh with a salaried job")
    expect(page.locator("#entries #household-6")).to_have_count(0)  # not before a decision
    expect(page.locator("#changes .change-status").first).to_have_text("Waiting for a decision")
    shot(page, "review-changes-asked")

    approver = new_page("en")
    approver.set_viewport_size({"width": 1100, "height": 900})
    sign_in(approver, "approver-pp")
    approver.goto(page.url.split("?")[0])
    cards = approver.locator("#changes li")
    expect(cards).to_have_count(2)
    add_card = approver.locator("#changes li", has_text="household 6")
    add_card.locator("input[name^=reason-]").fill("Visited the family: the house is gone")
    with approver.expect_navigation():
        add_card.locator("button", has_text="Accept").click()
    expect(approver.locator("#done")).to_contain_text("accepted")
    remove_card = approver.locator("#changes li", has_text="household 2")
    remove_card.locator("input[name^=reason-]").fill("The job is seasonal; still poor")
    with approver.expect_navigation():
        remove_card.locator("button", has_text="Refuse").click()
    expect(approver.locator("#entries #household-6")).to_contain_text("Poor Level 1")
    expect(approver.locator("#entries #household-2")).to_contain_text("Poor Level 1")
    expect(approver.locator("#changes")).to_contain_text("Accepted")
    expect(approver.locator("#changes")).to_contain_text("Refused")
    expect(approver.locator("#list-count")).to_contain_text("4")
    shot(approver, "review-changes-decided")

    page.reload()
    with page.expect_navigation():
        page.click("#post-list")
    expect(page.locator("#list-status")).to_have_text("Posted for objections")
    # the village posting list, in Khmer
    page.goto(page.url.split("?")[0] + "?lang=km")
    expect(page.locator("h1")).to_contain_text("បញ្ជីគ្រួសារក្រីក្រ")
    shot(page, "review-list-km")
    # the Khmer pages hold no English words of the catalogue and no Latin letters or Western
    # digits that are not data
    msgids = english_msgids()
    for path in (page.url.split("?")[0], "/office/targeting/review/1", "/office/targeting/review"):
        page.goto(path)
        assert untranslated(page.evaluate(PAGE_TEXT), msgids) == [], path
        assert page.evaluate(NOT_KHMER) == [], path
    page.goto("/office/targeting/lists/1")
    href = page.locator("#posting-pdf").get_attribute("href")
    assert href
    pdf = page.request.get(href + ("&" if "?" in href else "?") + "village=12010101")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    image = assert_khmer_page(pdf.body())
    image.save(ARTIFACTS / "review-posting-list-km.png")
    if os.environ.get("SPMIS_UPDATE_DOCS") == "1":
        image.save(ROOT / "docs" / "img" / "review-posting-list-km.png")


def test_approve_issue_and_verify(new_page, server: str) -> None:  # type: ignore[no-untyped-def]
    ctx = _ctx()
    try:  # the objection period is over
        with ctx.engine.begin() as conn:
            conn.execute(update(targeting_list).values(
                objections_until=utcnow().date() - timedelta(days=1)))
    finally:
        ctx.engine.dispose()
    approver = new_page("en")
    approver.set_viewport_size({"width": 1100, "height": 900})
    sign_in(approver, "approver-pp")
    approver.goto("/office/targeting/lists/1")
    approver.fill("#approve_reason", "No objection upheld in the villages")
    with approver.expect_navigation():
        approver.click("#approve-form button[type=submit]")
    expect(approver.locator("#list-status")).to_have_text("Approved; cards being issued")
    ctx = _ctx()
    try:
        JobWorker(ctx).drain()
    finally:
        ctx.engine.dispose()
    approver.reload()
    expect(approver.locator("#list-status")).to_have_text("Cards issued")
    expect(approver.locator("#cards-issued")).to_have_text("4")
    shot(approver, "review-cards-issued")
    number = approver.locator("#cards tbody tr").first.locator("td").first.inner_text().strip()
    card_href = approver.locator("#cards tbody tr").first.locator("a").get_attribute("href")
    assert card_href
    card = approver.request.get(card_href + "?lang=km")
    assert card.status == 200
    image = assert_khmer_page(card.body())
    image.save(ARTIFACTS / "equity-card-km.png")
    if os.environ.get("SPMIS_UPDATE_DOCS") == "1":
        image.save(ROOT / "docs" / "img" / "equity-card-km.png")
    # the public check, on a phone, in Khmer then English: what the QR code opens; axe finds
    # nothing serious, nothing is wider than the screen, no English on the Khmer page
    axe = Axe()
    for lang, valid in (("km", "មានសុពលភាព"), ("en", "Valid")):
        phone = new_page(lang, bypass_csp=True)  # axe is injected as a script
        phone.goto(f"/cards/verify?n={number}")
        expect(phone.locator("#card-state")).to_have_text(valid)
        assert check_page(phone, axe, f"{lang} /cards/verify") == []
        if lang == "km":
            assert untranslated(phone.evaluate(PAGE_TEXT), english_msgids()) == []
            assert phone.evaluate(NOT_KHMER) == []
        shot(phone, f"card-verify-{lang}")
    # the staff list page on a phone too
    staff = new_page("km", bypass_csp=True)
    sign_in(staff, "approver-pp")
    staff.goto("/office/targeting/lists/1")
    assert check_page(staff, axe, "km /office/targeting/lists/1") == []
    phone = new_page("en")
    phone.goto("/cards/verify?n=EC-0000-0000-0000-0")
    expect(phone.locator("#card-result")).to_contain_text("No equity card has this number")
