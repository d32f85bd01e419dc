"""The public check on a 360 x 740 phone, as the rural mother does it (issue 13, items 5-8 and
the journey): people added and removed in place, no sex chosen for her, the answer led by what
the household can receive and its total, a per-visit amount said once, the language switch
keeping the answers; and the whole check, in Khmer, from the home page to the total in no more
than three screens of answer."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER, HTMX_BUSY, PHONE, choose_area

pytestmark = BROWSER

#: the rural mother's household: her (pregnant), her husband, their baby, their pupil
HOUSEHOLD = [("28", "female", True, None), ("32", "male", False, None),
             ("1", "male", False, None), ("7", "female", False, "primary")]
MOST_SCREENS = 3


def fill_person(page, i: int, age: str, sex: str, pregnant: bool, school: str | None  # type: ignore[no-untyped-def]
                ) -> None:
    page.fill(f"#members-{i}-age", age)
    page.select_option(f"#members-{i}-sex", sex)
    if pregnant:
        page.check(f"#members-{i}-pregnant")
    if school:
        page.select_option(f"#members-{i}-school_level", school)


def add_person(page) -> None:  # type: ignore[no-untyped-def]
    page.click("button[value=add]")
    expect(page.locator(HTMX_BUSY)).to_have_count(0)


def fill_household(page) -> None:  # type: ignore[no-untyped-def]
    """The rural mother's answers, from the empty form."""
    choose_area(page, province="01", district="0102", commune="010201")
    page.check("#idpoor_level-1")
    for i, person in enumerate(HOUSEHOLD):
        if i:
            add_person(page)
        fill_person(page, i, *person)


def test_people_are_added_and_removed_in_place(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    """Item 5: adding a person stays where the reader is (no reload to the top) and moves to
    the new person; nobody is "female" before it is chosen; a person can be removed; the limit
    is said."""
    page = new_page(lang="en")
    page.goto("/eligibility")
    assert page.input_value("#members-0-sex") == ""  # no default sex
    expect(page.get_by_text("You can enter up to 20 people.")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    fill_person(page, 0, "28", "female", True, None)
    add_person(page)
    expect(page.locator("#members-1-age")).to_be_focused()
    assert page.evaluate("window.scrollY") > PHONE["height"]  # still down at the people
    assert page.input_value("#members-1-sex") == ""
    fill_person(page, 1, "32", "male", False, None)
    add_person(page)
    fill_person(page, 2, "1", "male", False, None)
    page.get_by_role("button", name="Remove person 2").click()
    expect(page.locator(HTMX_BUSY)).to_have_count(0)
    expect(page.locator("#members-2-age")).to_have_count(0)
    assert page.input_value("#members-1-age") == "1"  # the baby is person 2 now
    assert page.input_value("#members-0-age") == "28"
    expect(page.locator("#people-status")).to_have_text("Person 2 removed.")
    assert page.evaluate("window.notReloaded") is True  # everything happened in place
    shot(page, "screener-people-in-place")


def test_people_are_added_without_javascript_too(browser, server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, base_url=server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/eligibility?lang=en")
        page.fill("#members-0-age", "28")
        page.click("button[value=add]")
        page.wait_for_load_state()
        expect(page.locator("#members-1-age")).to_be_focused()  # autofocus scrolls there too
        assert page.input_value("#members-0-age") == "28"
        page.get_by_role("button", name="Remove person 1").click()
        page.wait_for_load_state()
        expect(page.locator("#add-person")).to_be_focused()
        assert page.locator("fieldset.member").count() == 1
        assert page.input_value("#members-0-age") == ""  # person 2 (empty) is person 1 now
    finally:
        context.close()


def answer_page(new_page, lang: str):  # type: ignore[no-untyped-def]
    page = new_page(lang=lang)
    page.goto("/eligibility")
    fill_household(page)
    page.click("button[value=check]")
    page.locator("#results-title").wait_for()
    return page


def test_the_answer_leads_with_what_the_household_receives(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    """Item 6: the total and the programmes the household can receive come first; the others
    and the ended ones are folded; each condition is marked by a sign and a word."""
    page = answer_page(new_page, "en")
    total = page.locator("[data-total]")
    expect(total).to_contain_text("This month, up to 208,000 KHR")
    assert total.bounding_box()["y"] < PHONE["height"]  # type: ignore[index]  # on the first screen
    yes = page.locator("li.answer.yes")
    assert yes.count() == 3
    expect(page.locator('[data-programme="covid19_cash_transfer"]')).to_be_hidden()  # folded
    expect(page.locator('[data-programme="nssf_old_age_pension"]')).to_be_hidden()
    met = yes.first.locator("ul.conditions li").first
    expect(met).to_have_text(re.compile(r"^✓ Met: "))
    page.get_by_text(re.compile(r"Programmes your household cannot get now")).click()
    expect(page.locator("li.unmet").first).to_have_text(re.compile(r"^✗ Not met: "))
    shot(page, "screener-answer-en")


def test_a_per_visit_amount_is_said_once_and_right(new_page) -> None:  # type: ignore[no-untyped-def]
    """Item 7: not "160,000 KHR per health visit" but 160,000 this month for one visit each,
    80,000 a visit."""
    page = answer_page(new_page, "en")
    card = page.locator('[data-programme="pregnant_child_cash_transfer"]')
    text = card.inner_text()
    assert "per health visit" not in text
    assert text.count("160,000") == 1
    assert ("160,000 KHR this month if each pregnant woman and each child under 2 goes to the "
            "health centre once (80,000 KHR a visit)") in text


def test_switching_language_keeps_the_answers(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    """Item 8: the switch on the answer page shows the same answer in the other language."""
    page = answer_page(new_page, "en")
    page.locator("nav.lang").get_by_text("ខ្មែរ").click()  # a button that re-posts the form
    page.wait_for_url("**/eligibility?lang=km")
    assert page.get_attribute("html", "lang") == "km"
    assert page.input_value("#members-0-age") == "28"  # the answers are kept...
    assert page.input_value("#members-3-school_level") == "primary"
    expect(page.locator("#results-title")).to_be_visible()  # ...and answered again
    expect(page.locator("[data-total]")).to_contain_text("២០៨,០០០ ៛")
    shot(page, "screener-answer-after-switch-km")
    # and on the form, before any answer: what was typed stays
    form = new_page(lang="km")
    form.goto("/eligibility")
    form.fill("#members-0-age", "41")
    form.locator("nav.lang").get_by_text("English").click()
    form.wait_for_url("**/eligibility?lang=en")
    assert form.input_value("#members-0-age") == "41"
    expect(form.locator("#results-title")).to_have_count(0)


def test_the_rural_mother_checks_in_khmer_from_the_home_page(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    """The journey: home page -> "am I eligible?" -> her household -> the answer with the total,
    in Khmer on a phone, and the answer fits in three screens."""
    page = new_page()
    page.goto("/")
    assert page.get_attribute("html", "lang") == "km"
    page.click('a.card[href="/eligibility"]')
    fill_household(page)
    page.get_by_role("button", name="ពិនិត្យសិទ្ធិ").click()
    expect(page.locator("[data-total]")).to_contain_text("២០៨,០០០ ៛")
    expect(page.locator("[data-total]")).to_be_in_viewport()
    expect(page.locator("#results-title")).to_be_focused()
    height = page.evaluate("document.documentElement.scrollHeight")
    screens = height / PHONE["height"]
    print(f"answer: {height} px = {screens:.2f} screens of {PHONE['height']} px")
    assert screens <= MOST_SCREENS, f"the answer is {screens:.2f} screens long"
    shot(page, "screener-journey-answer-km")
