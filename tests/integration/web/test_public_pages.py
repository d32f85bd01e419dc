"""Public portal pages over HTTP: languages, locale formatting, the eligibility form (answers and
messages next to their fields), page weight, and no 500 on bad input."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}
PUBLIC_PAGES = ["/", "/programmes", "/programmes/family_package_base", "/eligibility"]


@pytest.fixture
def browser(app) -> TestClient:  # type: ignore[no-untyped-def]
    with TestClient(app, headers=HTML) as c:
        yield c


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_default_to_khmer_and_switch_to_english(browser: TestClient, path: str
                                                             ) -> None:
    r = browser.get(path)
    assert r.status_code == 200
    assert '<html lang="km">' in r.text
    assert "Content-Security-Policy" in r.headers
    assert len(r.content) < 200_000
    en = browser.get(path, params={"lang": "en"})
    assert '<html lang="en">' in en.text
    assert browser.cookies.get("spmis_lang") == "en"
    assert '<html lang="en">' in browser.get(path).text  # remembered


def test_static_files_are_served_by_spmis(browser: TestClient) -> None:
    for path in ("/static/css/site.css", "/static/vendor/htmx.min.js",
                 "/static/vendor/noto-sans-khmer-khmer-400-normal.woff2"):
        r = browser.get(path)
        assert r.status_code == 200, path
        assert "max-age" in r.headers["cache-control"]


def _household(**extra: str) -> dict[str, str]:
    form = {"province": "12", "district": "1201", "commune": "120101", "idpoor_level": "1",
            "rows": "2", "members-0-age": "30", "members-0-sex": "female",
            "members-0-pregnant": "1", "members-1-age": "70", "members-1-sex": "male"}
    form.update(extra)
    return form


def test_eligibility_answers_in_khmer_with_riel_amounts(browser: TestClient) -> None:
    r = browser.post("/eligibility", data=_household())
    assert r.status_code == 200
    assert 'data-programme="family_package_elderly"' in r.text
    assert "មានសិទ្ធិ" in r.text
    assert re.search(r"[០-៩],[០-៩]{3} ៛", r.text), "riel amounts in Khmer digits"


def test_eligibility_answers_in_english(browser: TestClient) -> None:
    r = browser.post("/eligibility?lang=en", data=_household())
    assert r.status_code == 200
    assert "What your household can receive" in r.text and "KHR" in r.text


def test_validation_messages_sit_next_to_their_fields(browser: TestClient) -> None:
    r = browser.post("/eligibility?lang=en",
                     data=_household(commune="", **{"members-1-age": "old"}))
    assert r.status_code == 422
    assert 'id="commune-error"' in r.text
    assert 'id="members-1-age-error"' in r.text
    assert 'aria-describedby="members-1-age-error"' in r.text


def test_add_a_person_keeps_what_was_typed(browser: TestClient) -> None:
    r = browser.post("/eligibility", data=_household(action="add"))
    assert r.status_code == 200
    assert 'name="members-2-age"' in r.text
    assert 'value="70"' in r.text


@pytest.mark.parametrize("form", [
    {}, {"rows": "999"}, {"rows": "x", "members-0-age": "-5"}, {"idpoor_level": "9"},
    {"province": "99", "district": "<script>", "commune": "'"},
])
def test_bad_input_never_500(browser: TestClient, form: dict[str, str]) -> None:
    r = browser.post("/eligibility", data=form)
    assert r.status_code in (200, 422)
    assert "<script>" not in r.text.split("<main", 1)[1]


def test_unknown_programme_is_a_404_page(browser: TestClient) -> None:
    r = browser.get("/programmes/nope")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]


def test_area_picker_lists_the_children_of_a_choice(browser: TestClient) -> None:
    r = browser.get("/areas/picker", params={"province": "12", "level": "commune"})
    assert r.status_code == 200
    assert 'value="1201"' in r.text


def test_area_picker_works_without_javascript(browser: TestClient) -> None:
    r = browser.post("/eligibility", data={"province": "12", "action": "refresh", "rows": "1"})
    assert r.status_code == 200
    assert '<option value="1201"' in r.text  # the districts of the chosen province
    assert 'id="members-0-age-error"' not in r.text  # no validation on a refresh


def test_unknown_address_is_a_page_for_browsers_and_json_for_clients(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        page = c.get("/no-such-page", headers=HTML)
        assert page.status_code == 404 and '<html lang="km">' in page.text
        api = c.get("/api/v1/no-such-thing", headers=HTML)
        assert api.status_code == 404 and api.headers["content-type"] == "application/json"
        plain = c.get("/no-such-page")
        assert plain.status_code == 404 and plain.json() == {"detail": "Not Found"}
