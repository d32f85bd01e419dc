"""The complaint form and its follow-up page in Chromium at 360 px, in Khmer and English: a
person complains without logging in, gets a ticket number and a PIN, follows the complaint,
sees each status change a grievance officer makes, and answers whether they are satisfied.
axe-core finds no serious or critical violation on any of these pages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import BROWSER, PASSWORD, STATE, choose_area, sign_in
from tests.e2e.test_every_page import check_page, english_msgids, untranslated

pytestmark = BROWSER
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
OFFICER = "grv-chamkarmon"


@pytest.fixture(scope="module")
def officer(server: str) -> str:
    """A grievance officer of commune 120101 (Tonle Basak), and another of its district."""
    from spmis.auth.accounts import AccountService
    from spmis.auth.model import SYSTEM
    from spmis.context import AppContext

    ctx = AppContext.create(STATE["settings"])
    try:
        for name, scope in ((OFFICER, "120101"), ("grv-second", "1201")):
            AccountService(ctx).create_user(name, "grievance_officer", scope, SYSTEM,
                                            password=PASSWORD)
    finally:
        ctx.engine.dispose()
    return OFFICER


def _follow(page, ticket: str, pin: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/grievances/follow")
    page.fill("#ticket", ticket)
    page.fill("#pin", pin)
    page.click("main form button[type=submit]")
    page.locator("#status").wait_for()


@pytest.mark.parametrize("lang", ["km", "en"])
def test_complain_follow_and_answer_on_a_phone(new_page, officer: str, shot,  # type: ignore[no-untyped-def]
                                               lang: str) -> None:
    axe, problems = Axe(), []
    msgids = english_msgids() if lang == "km" else []
    english: list[str] = []

    def look(page, where: str) -> None:  # type: ignore[no-untyped-def]
        problems.extend(check_page(page, axe, f"{lang} {where}"))
        english.extend(f"{where}: {m!r}" for m in untranslated(page.inner_text("main"), msgids))
        shot(page, f"grievance-{lang}-{where}")

    person = new_page(lang=lang, bypass_csp=True)
    person.goto("/grievances")
    assert person.get_attribute("html", "lang") == lang
    person.click("button[value=submit]")  # nothing filled in: every message shows
    person.locator(".field-error").first.wait_for()
    assert person.locator(".error-summary li").count() >= 3
    look(person, "form-errors")
    person.check("#category-payment_not_received")
    person.fill("#description", "ប្រាក់ខែវិច្ឆិកាមិនទាន់បានមកដល់ទេ។ The November payment did not arrive.")
    choose_area(person, province="12", district="1201", commune="120101")
    person.fill("#phone", "012 345 678")
    look(person, "form")
    person.click("button[value=submit]")
    person.locator("#pin").wait_for()
    look(person, "receipt")
    ticket = person.inner_text("#ticket").translate(KHMER_DIGITS)
    pin = person.inner_text("#pin").translate(KHMER_DIGITS)
    assert len(ticket) == 9 and len(pin) == 6

    # a wrong PIN is refused with a message, the right one shows the status
    person.goto("/grievances/follow")
    look(person, "follow")
    person.fill("#ticket", ticket)
    person.fill("#pin", "999999" if pin != "999999" else "888888")
    person.click("main form button[type=submit]")
    person.locator("[role=alert]").wait_for()
    _follow(person, ticket, pin)
    assert person.locator("#status.state-received").count() == 1
    look(person, "status-received")

    # the commune's grievance officer reviews and resolves it from the queue
    staff = new_page(lang="en", bypass_csp=True)
    sign_in(staff, officer)
    staff.goto("/office/grievances")
    staff.click(f"tr[data-ticket='{ticket}'] a")
    staff.click("#start-review")
    staff.locator("[role=status]").wait_for()
    # the officer answers in the complainant's language (free text shown on the staff and audit
    # pages too: no English word of the catalogue in it, see test_every_page)
    answer = {"km": "ប្រាក់ត្រូវបានផ្ញើម្តងទៀតនៅថ្ងៃទី ៣ ធ្នូ ទៅគណនី Wing របស់អ្នក។",
              "en": "Your Wing account got the November transfer on 3 December."}[lang]
    staff.fill("#reason", answer)
    staff.click("#resolve")
    staff.locator("[role=status]").wait_for()
    assert staff.inner_text("#status") == "Resolved"
    problems.extend(check_page(staff, axe, f"{lang} office grievance"))
    shot(staff, f"grievance-{lang}-office-resolved")

    # the complainant sees each change and answers
    _follow(person, ticket, pin)
    assert person.locator("#status.state-resolved").count() == 1
    assert person.locator("#timeline li").count() == 3
    assert person.inner_text("#resolution") == answer
    look(person, "status-resolved")
    person.check("#satisfaction-satisfied")
    person.click("main form[action$=satisfaction] button[type=submit]")
    person.locator("#status.state-closed").wait_for()
    look(person, "status-closed")
    assert not problems, "\n".join(problems)
    assert not english, "English text on Khmer pages:\n" + "\n".join(english)


def test_staff_take_in_an_appeal_that_only_a_second_reviewer_decides(  # type: ignore[no-untyped-def]
        new_page, officer: str, shot) -> None:
    """An officer takes in an appeal for someone who phoned, naming who made the decision; that
    person is refused the review on the page, another officer reviews and decides it."""
    axe, problems = Axe(), []
    staff = new_page(lang="en", bypass_csp=True)
    sign_in(staff, officer)
    staff.goto("/office/grievances")
    staff.click("text=Take in a complaint")
    staff.select_option("#channel", "phone")
    staff.check("#category-exclusion")
    staff.fill("#description", "Caller says her household was dropped from the family package.")
    choose_area(staff, province="12", district="1201", commune="120101")
    staff.check("#kind-appeal")
    staff.select_option("#decision_kind", "enrolment")
    staff.fill("#decided_by", officer)  # the officer made the enrolment decision
    problems += check_page(staff, axe, "office grievance new")
    shot(staff, "grievance-office-new")
    staff.click("button[value=submit]")
    staff.locator("#pin").wait_for()
    ticket = staff.inner_text("#ticket")
    staff.click("text=Open the complaint")
    staff.click("#start-review")
    staff.locator("[role=alert]").wait_for()
    assert "second reviewer" in staff.inner_text("[role=alert]")
    problems += check_page(staff, axe, "office appeal refused")
    shot(staff, "grievance-office-appeal-refused")

    second = new_page(lang="km", bypass_csp=True)
    sign_in(second, "grv-second")
    second.goto("/office/grievances")
    problems += check_page(second, axe, "km office queue")
    shot(second, "grievance-office-queue-km")
    second.click(f"tr[data-ticket='{ticket}'] a")
    second.click("#start-review")
    second.locator("[role=status]").wait_for()
    second.fill("#reason", "ពិនិត្យឡើងវិញ៖ គ្រួសារនេះនៅតែមានសិទ្ធិ ហើយត្រូវបានចុះឈ្មោះវិញ។")
    second.select_option("#outcome", "changed")
    second.click("#resolve")
    second.locator("[role=status]").wait_for()
    problems += check_page(second, axe, "km office appeal resolved")
    shot(second, "grievance-office-appeal-resolved-km")
    assert not problems, "\n".join(problems)
