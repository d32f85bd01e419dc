"""Issue 13, item 20: a print view (no menu, buttons or forms; a header with the page's title,
the date and who printed it) of household pages, lists and reports, and downloads of the lists
as CSV and XLSX: only what the user may see, formula-safe, each logged as a read of personal
data."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from spmis.auth import access
from spmis.context import AppContext
from tests.e2e.conftest import BROWSER, STATE, sign_in
from tests.e2e.test_back_office import register

pytestmark = BROWSER

#: what printing leaves out
CHROME = ".site-header, .site-footer, main form, main button, .downloads, .pager"


@pytest.fixture(scope="module")
def listed(server: str) -> dict[str, int]:
    return {
        "formula": register("12010102", "កែវ", "សុផល", "Keo", "Sophal", born="1980-05-06"),
        "plain": register("12010101", "កែវ", "ចន្ទា", "Keo", "Chanda", born="1990-01-02"),
        "elsewhere": register("01020101", "កែវ", "រដ្ឋា", "Keo", "Ratha", born="1985-03-04"),
    }


def _printed(page, shot, name: str) -> str:  # type: ignore[no-untyped-def]
    page.emulate_media(media="print")
    header = page.locator(".print-header")
    expect(header).to_be_visible()
    for hidden in page.locator(CHROME).all():
        expect(hidden).to_be_hidden()
    shot(page, name)
    text = header.inner_text()
    page.emulate_media(media="screen")
    expect(header).to_be_hidden()
    return text


@pytest.mark.parametrize("lang", ["km", "en"])
def test_household_pages_and_lists_print_without_the_menu(new_page, shot, listed, lang) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang=lang)
    page.set_viewport_size({"width": 800, "height": 1000})
    sign_in(page, "reg-chamkarmon")
    page.goto(f"/office/households/{listed['plain']}")
    expect(page.locator("button[data-print]")).to_be_visible()  # the script shows it
    text = _printed(page, shot, f"print-household-{lang}")
    title = "គ្រួសារលេខ" if lang == "km" else "Household"
    printed = r"បោះពុម្ព.*reg-chamkarmon" if lang == "km" else r"Printed .*\d{4}.* by reg-chamkarmon"
    assert title in text and re.search(printed, text), text
    page.goto("/office/households?area=120101")
    text = _printed(page, shot, f"print-households-{lang}")
    assert ("ស្វែងរកគ្រួសារ" if lang == "km" else "Find a household") in text, text
    expect(page.locator("main table")).to_be_visible()


def test_a_list_downloads_as_csv_and_xlsx_only_what_the_user_sees(new_page, shot, listed) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang="km")
    sign_in(page, "reg-chamkarmon")
    page.goto("/office/people?name=Keo")
    shot(page, "downloads-km")
    with page.expect_download() as got:
        page.click(".downloads a[data-format=csv]")
    rows = list(csv.reader(io.StringIO(got.value.path().read_text("utf-8-sig"))))
    assert rows[0][:3] == ["លេខបុគ្គល", "ឈ្មោះ", "ឈ្មោះជាអក្សរឡាតាំង"], rows[0]
    names = [r[2] for r in rows[1:]]
    assert "Keo Chanda" in names and "Keo Ratha" not in names, names  # only the user's area
    assert "Keo Sophal" in names, names
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r[4]) for r in rows[1:]), rows
    with page.expect_download() as got:
        page.click(".downloads a[data-format=xlsx]")
    sheet = load_workbook(io.BytesIO(got.value.path().read_bytes()), read_only=True).active
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0][0] == "លេខបុគ្គល" and len(cells) == len(rows), cells
    assert not any(isinstance(v, str) and v.startswith("=") for r in cells for v in r), cells
    # households, in English, with the same filters as the page
    page = new_page(lang="en")
    sign_in(page, "reg-chamkarmon")
    page.goto("/office/households?area=12010102")
    with page.expect_download() as got:
        page.click(".downloads a[data-format=csv]")
    rows = list(csv.reader(io.StringIO(got.value.path().read_text("utf-8-sig"))))
    assert rows[0][:4] == ["Household number", "Head of household", "Name in Latin letters",
                           "Province or capital"], rows[0]
    assert [r[0] for r in rows[1:]] == [str(listed["formula"])], rows
    assert rows[1][3:7] == ["Phnom Penh", "Chamkar Mon", "Tonle Basak", "Phum Pir"], rows[1]
    # each download is a read of personal data, in the access log
    ctx = AppContext.create(STATE["settings"])
    try:
        with ctx.engine.connect() as conn:
            logged = access.read_log(conn, actor="reg-chamkarmon", limit=1000)
    finally:
        ctx.engine.dispose()
    reasons = {(e.entity_type, e.entity_id, e.reason) for e in logged}
    assert ("household", listed["formula"], "web export households.csv") in reasons, reasons
    assert any(e.entity_type == "person" and e.reason == "web export people.xlsx"
               for e in logged), reasons


def test_a_download_outside_ones_area_finds_nothing(new_page, listed) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang="en")
    sign_in(page, "reg-chamkarmon")
    response = page.request.get("/office/households.csv?area=01020101")
    assert response.status in (403, 422), response.status
    assert "Ratha" not in response.text()
