"""Issue 13, item 18: one unambiguous date input everywhere: a day, a month chosen by its name
and a year, never the browser's own date field (whose order follows the browser's language:
03/12/1998 under the hint "day, month, year"); a date that does not exist is named, in Khmer
and English, at its field, and nothing typed is lost."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER, fill_date, save_registration, sign_in
from tests.e2e.test_journeys import HOME_VILLAGE

pytestmark = BROWSER

FORMS = ["/office/households/new", "/office/people/{pid}/edit", "/office/households/{hid}/edit"]


def _register(page, born: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/office/households/new")
    page.select_option("#village", HOME_VILLAGE)
    page.fill("#members-0-family_name_km", "កែវ")
    page.fill("#members-0-given_name_km", "ចន្ថា")
    page.fill("#members-0-family_name_latin", "Keo")
    page.fill("#members-0-given_name_latin", "Chantha")
    page.select_option("#members-0-sex", "F")
    fill_date(page, "members-0-date_of_birth", born)


def test_a_date_is_a_day_a_month_by_name_and_a_year_in_khmer(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang="km")
    sign_in(page, "reg-chamkarmon")
    page.goto("/office/households/new")
    expect(page.locator("input[type=date]")).to_have_count(0)
    group = page.locator("#members-0-date_of_birth-group")
    expect(group.locator("legend")).to_contain_text("ថ្ងៃខែឆ្នាំកំណើត")
    months = page.locator("#members-0-date_of_birth-month option").all_inner_texts()
    assert months[1:4] == ["មករា", "កុម្ភៈ", "មីនា"] and months[-1] == "ធ្នូ", months
    # 31 February does not exist: said at the field, in Khmer, with what was typed kept
    _register(page, "1998-02-28")
    page.fill("#members-0-date_of_birth", "៣១")  # Khmer digits are digits too
    page.click("button[value=save]")
    error = page.locator("#members-0-date_of_birth-error")
    expect(error).to_have_text("ខែកុម្ភៈ ឆ្នាំ១៩៩៨ គ្មានថ្ងៃទី ៣១ ទេ៖ សូមពិនិត្យថ្ងៃ")
    assert page.get_attribute("#members-0-date_of_birth", "aria-invalid") == "true"
    assert page.input_value("#members-0-date_of_birth") == "៣១"
    assert page.input_value("#members-0-date_of_birth-month") == "2"
    summary = page.locator(".error-summary").inner_text()
    assert "ថ្ងៃខែឆ្នាំកំណើត" in summary and "គ្មានថ្ងៃទី ៣១" in summary, summary
    shot(page, "date-input-error-km")
    page.fill("#members-0-date_of_birth", "3")
    page.select_option("#members-0-date_of_birth-month", "12")
    save_registration(page)
    facts = page.locator("main table").first.inner_text()
    assert "៣ ធ្នូ ១៩៩៨" in facts, facts  # 3 December, not 12 March
    hid = int(re.search(r"/households/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    pid = int(page.locator('main table a[href^="/office/people/"]').first
              .get_attribute("href").rsplit("/", 1)[1])  # type: ignore[union-attr]
    for path in FORMS:
        page.goto(path.format(hid=hid, pid=pid))
        expect(page.locator("input[type=date]")).to_have_count(0)
        assert page.locator("fieldset.date").count() >= 1, path
    page.goto(f"/office/people/{pid}/edit")
    assert page.input_value("#date_of_birth") == "3"
    assert page.input_value("#date_of_birth-month") == "12"
    assert page.input_value("#date_of_birth-year") == "1998"
    shot(page, "date-input-correction-km")


def test_a_wrong_date_is_named_in_english_and_a_correction_saves_a_new_one(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang="en")
    sign_in(page, "reg-chamkarmon")
    _register(page, "1988-07-14")
    page.fill("#members-0-date_of_birth-year", "88")
    page.click("button[value=save]")
    expect(page.locator("#members-0-date_of_birth-error")).to_have_text(
        "The year must have 4 digits, for example 1998")
    shot(page, "date-input-error-en")
    page.fill("#members-0-date_of_birth-year", "1988")
    save_registration(page)
    pid = page.locator('main table a[href^="/office/people/"]').first.get_attribute("href")
    page.goto(f"{pid}/edit")
    page.select_option("#date_of_birth-month", "")
    page.fill("#reason", "birth certificate")
    page.click("main button[type=submit]")
    expect(page.locator("#date_of_birth-error")).to_have_text(
        "Give the day, the month and the year")
    page.select_option("#date_of_birth-month", "8")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    facts = page.locator("dl.facts").first.inner_text()
    assert "Aug 14, 1988" in facts, facts
