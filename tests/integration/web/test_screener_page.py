"""The public "am I eligible?" page over HTTP (issue 13, items 5-12): people added and removed
with and without htmx, no default sex, the limit said, empty people left out and said so; the
answer led by what the household can receive and its total, ended programmes folded, conditions
marked by a sign and a word, a per-visit amount said once; the language switch keeps the
answers; month names; impossible households and limits named in both languages; programme
pages with amounts from the rules' parameters."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from spmis.pagekit.i18n import Formatter
from spmis.rules.explain import parameter_value
from spmis.rules.screener import current_period

HTML = {"Accept": "text/html"}
HTMX = {**HTML, "HX-Request": "true"}


@pytest.fixture
def browser(app) -> TestClient:  # type: ignore[no-untyped-def]
    with TestClient(app, headers=HTML) as c:
        yield c


def mother(**extra: str) -> dict[str, str]:
    """The rural mother: IDPoor level 1, pregnant, her husband, a baby and a pupil."""
    form = {"province": "01", "district": "0102", "commune": "010201", "idpoor_level": "1",
            "rows": "4",
            "members-0-age": "28", "members-0-sex": "female", "members-0-pregnant": "1",
            "members-1-age": "32", "members-1-sex": "male",
            "members-2-age": "1", "members-2-sex": "male",
            "members-3-age": "7", "members-3-sex": "female",
            "members-3-school_level": "primary"}
    form.update(extra)
    return form


def main(html: str) -> str:
    return html.split("<main", 1)[1]


# ---------------------------------------------------------------- item 5: people in place
def test_a_new_person_has_no_sex_chosen(browser: TestClient) -> None:
    page = browser.get("/eligibility").text
    select = re.search(r'<select id="members-0-sex".*?</select>', page, re.S).group(0)  # type: ignore[union-attr]
    assert '<option value="">' in select and "selected" not in select
    assert " required" in select


def test_add_a_person_with_htmx_sends_back_only_the_people(browser: TestClient) -> None:
    r = browser.post("/eligibility", data=mother(action="add"), headers=HTMX)
    assert r.status_code == 200
    assert "<html" not in r.text and r.text.lstrip().startswith('<div id="members"')
    assert re.search(r'id="members-4-age"[^>]*autofocus', r.text)
    assert 'value="28"' in r.text and 'name="rows" value="5"' in r.text
    assert 'id="people-status" hx-swap-oob="innerHTML"' in r.text  # said aloud (role=status)


def test_add_a_person_without_javascript_moves_to_the_new_person(browser: TestClient) -> None:
    r = browser.post("/eligibility", data=mother(action="add"))
    assert "<html" in r.text
    assert re.search(r'id="members-4-age"[^>]*autofocus', r.text)
    assert r.text.count("autofocus") == 1
    removed = browser.post("/eligibility", data=mother(action="remove-0")).text
    assert re.search(r'id="add-person"[^>]*autofocus', removed)


def test_remove_a_person_renumbers_the_others(browser: TestClient) -> None:
    r = browser.post("/eligibility", data=mother(action="remove-1"), headers=HTMX)
    assert 'name="rows" value="3"' in r.text
    assert re.search(r'id="members-1-age"[^>]*value="1"', r.text)  # the baby moved up
    assert re.search(r'id="members-2-age"[^>]*value="7"', r.text)
    assert 'id="members-3-age"' not in r.text
    assert "Person 2 removed." in browser.post(
        "/eligibility?lang=en", data=mother(action="remove-1"), headers=HTMX).text


def test_the_limit_is_said_and_adding_stops_there(browser: TestClient) -> None:
    page = browser.get("/eligibility?lang=en").text
    assert "You can enter up to 20 people." in page
    full = {"rows": "20", **{f"members-{i}-age": "30" for i in range(20)}}
    r = browser.post("/eligibility?lang=en", data={**full, "action": "add"})
    assert 'id="members-19-age"' in r.text and 'id="members-20-age"' not in r.text
    assert 'value="add"' not in r.text
    assert r.text.count("20 people is the most this check takes.") == 2  # on the page, and said
    km = browser.post("/eligibility?lang=km", data={**full, "action": "add"}).text
    assert "ការពិនិត្យនេះទទួលបានច្រើនបំផុត ២០ នាក់។" in km


def test_empty_extra_people_are_left_out_and_said_so(browser: TestClient) -> None:
    r = browser.post("/eligibility?lang=en", data=mother(rows="6"))
    assert r.status_code == 200, main(r.text)[:3000]
    assert "People with nothing filled in were left out: 2." in r.text
    assert 'name="rows" value="4"' in r.text


def test_a_person_without_sex_is_asked_for_it(browser: TestClient) -> None:
    r = browser.post("/eligibility?lang=en", data=mother(**{"members-1-sex": ""}))
    assert r.status_code == 422
    assert 'id="members-1-sex-error"' in r.text
    assert re.search(r'<select id="members-1-sex"[^>]*autofocus', r.text)


# ------------------------------------------------------ items 6 and 7: the answer, said once
def test_the_answer_leads_with_what_the_household_receives_and_the_total(browser: TestClient
                                                                        ) -> None:
    html = main(browser.post("/eligibility?lang=en", data=mother()).text)
    # 160,000 (two visits) + 28,000 base payment + 20,000 scholarship
    total = re.search(r'class="total-amount">([^<]+)<', html).group(1)  # type: ignore[union-attr]
    assert total == "208,000 KHR"
    assert html.index("data-total") < html.index('data-programme="family_package_base"')
    received = re.findall(r'<li class="card answer yes" data-programme="(\w+)"', html)
    assert set(received) == {"pregnant_child_cash_transfer", "family_package_base",
                             "family_package_scholarship"}
    # not eligible now and ended: folded, each with its count; ended ones say when they paid
    assert re.search(r'<details class="others">\s*<summary>Programmes your household cannot '
                     r"get now \(9\)", html)
    assert re.search(r'<details class="past">\s*<summary>Programmes that have ended \(3\)', html)
    assert "Paid from June 2020 to March 2024" in html
    assert html.index('data-programme="covid19_cash_transfer"') > html.index('class="past"')


def test_conditions_are_marked_by_a_sign_and_a_word(browser: TestClient) -> None:
    html = main(browser.post("/eligibility?lang=en", data=mother()).text)
    assert '<span class="mark" aria-hidden="true">✓</span> <strong>Met:</strong>' in html
    assert '<span class="mark" aria-hidden="true">✗</span> <strong>Not met:</strong>' in html
    km = main(browser.post("/eligibility?lang=km", data=mother()).text)
    assert "<strong>បានបំពេញ៖</strong>" in km and "<strong>មិនបានបំពេញ៖</strong>" in km


def test_a_per_visit_amount_is_said_once_and_right(browser: TestClient) -> None:
    html = main(browser.post("/eligibility?lang=en", data=mother()).text)
    card = re.search(r'data-programme="pregnant_child_cash_transfer">(.*?)</li>\s*<li',
                     html, re.S).group(1)  # type: ignore[union-attr]
    assert "per health visit" not in card
    assert ("<strong>160,000 KHR</strong> this month if each pregnant woman and each child "
            "under 2 goes to the health centre once (80,000 KHR a visit)") in card
    assert card.count("160,000") == 1
    assert "and <strong>400,000 KHR</strong> once, at the birth" in card


# ------------------------------------------------------ item 8: the language switch keeps all
def test_the_language_switch_re_posts_the_answers(browser: TestClient) -> None:
    km = browser.post("/eligibility", data=mother()).text
    switch = re.search(r'<button type="submit" form="screener"[^>]*>English</button>', km)
    assert switch is not None
    assert 'formaction="/eligibility?lang=en"' in switch.group(0)
    assert 'name="switch_language" value="answer"' in switch.group(0)
    en = browser.post("/eligibility?lang=en", data={**mother(), "switch_language": "answer"})
    assert '<html lang="en">' in en.text and "208,000 KHR" in en.text
    form_page = browser.get("/eligibility").text  # before any answer: only re-show the form
    assert re.search(r'form="screener"[^>]*value="form"', form_page)
    typed = browser.post("/eligibility?lang=en", data={"members-0-age": "41",
                                                       "switch_language": "form"})
    assert typed.status_code == 200 and 'value="41"' in typed.text
    assert 'id="members-0-age-error"' not in typed.text and "results-title" not in typed.text


# ------------------------------------------------------------------- item 9: month names
def test_months_are_written_with_their_names(browser: TestClient) -> None:
    month = current_period()
    en = main(browser.post("/eligibility?lang=en", data=mother()).text)
    km = main(browser.post("/eligibility?lang=km", data=mother()).text)
    assert f"Estimate for {Formatter('en').month(month)}" in en
    assert Formatter("km").month(month) in km
    assert not re.search(r"[0-9០-៩]{4}-[0-9០-៩]{2}", en + km)


# ---------------------------------------------------- items 10 and 11: what is wrong, said
def test_an_impossible_household_is_refused_naming_person_and_field(browser: TestClient) -> None:
    r = browser.post("/eligibility?lang=en", data=mother(**{
        "members-1-pregnant": "1", "members-2-pregnant": "1", "members-2-sex": "female"}))
    assert r.status_code == 422
    assert 'id="members-1-pregnant-error"' in r.text and 'id="members-2-pregnant-error"' in r.text
    assert re.search(r'<a href="#members-1-pregnant">Person 2 · Pregnant</a>: person 2 is male',
                     r.text)
    assert "person 3 is 1 year old and marked pregnant" in r.text
    assert re.search(r'id="members-1-pregnant"[^>]*autofocus', r.text)  # the first at fault
    km = browser.post("/eligibility?lang=km", data=mother(**{"members-1-pregnant": "1"})).text
    assert "បុគ្គលទី ២ ជាបុរស" in km


def test_a_limit_message_says_the_limit_in_both_languages(browser: TestClient) -> None:
    bad = mother(**{"members-0-age": "-1", "members-2-age": "abc"})
    en = browser.post("/eligibility?lang=en", data=bad).text
    km = browser.post("/eligibility?lang=km", data=bad).text
    assert "Input should" not in en
    assert en.count("Must be a whole number from 0 to 130") == 2  # under both fields
    assert "ត្រូវតែជាចំនួនគត់ពី ០ ដល់ ១៣០" in km and "តូចពេក" not in km
    assert re.search(r'id="members-0-age"[^>]*autofocus', en)
    assert en.count("autofocus") == 1


# ------------------------------------------------------ item 12: programmes and their amounts
def test_programme_pages_show_amounts_from_the_parameters(browser: TestClient) -> None:
    month = current_period()
    fmt = Formatter("en")
    base = parameter_value("social_assistance.family_package.base_payment", month)
    page = browser.get("/programmes/family_package_base?lang=en").text
    assert f"{fmt.money(base)} a month for the household" in page
    assert f"Amounts in {fmt.month(month)}" in page
    visit = parameter_value("social_assistance.pregnant_child.antenatal_payment", month)
    visits = parameter_value("social_assistance.pregnant_child.antenatal_payments_max", month)
    page = browser.get("/programmes/pregnant_child_cash_transfer?lang=en").text
    assert f"{fmt.money(visit)} for each antenatal visit, up to {visits} visits" in page
    elderly = browser.get("/programmes/family_package_elderly?lang=en").text
    assert "(not yet confirmed)" in elderly  # the parameter file says the amount is unconfirmed


def test_an_ended_programme_says_so_with_its_last_amounts(browser: TestClient) -> None:
    page = browser.get("/programmes/covid19_cash_transfer?lang=en").text
    assert "<strong>Ended</strong> · Paid from June 2020 to March 2024" in page
    assert "Amounts in March 2024, the last month paid" in page
    rural = parameter_value("social_assistance.covid19.household_base.rural", "2024-03")
    assert f"For the household: {Formatter('en').money(rural)}" in page
    assert 'href="/eligibility"' not in main(page)  # no "am I eligible?" for what has ended


def test_the_catalogue_lists_current_programmes_first_and_labels_ended_ones(browser: TestClient
                                                                          ) -> None:
    page = main(browser.get("/programmes?lang=en").text)
    order = re.findall(r'data-programme="(\w+)"', page)
    ended = {"covid19_cash_transfer", "inflation_cash_transfer", "flood_cash_transfer"}
    assert set(order[-3:]) == ended and not ended & set(order[:-3])
    assert page.index("Programmes that have ended") < page.index('"covid19_cash_transfer"')
    assert page.count("<strong>Ended</strong>") == 3
