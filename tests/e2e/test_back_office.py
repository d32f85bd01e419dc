"""Issue 13, "the back office", in a real browser, as the commune officer at a desk does it:
finding households by the name of a place (Khmer or Latin; a name several places share lists
them; an unknown one says so), and finding a person whose Khmer name is typed without a sign."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService
from tests.e2e.conftest import BROWSER, HTMX_BUSY, STATE, fill_date, sign_in

pytestmark = BROWSER


def register(village: str, family_km: str, given_km: str, family: str, given: str,
             born: str = "1971-02-03", sex: str = "M", **member: Any) -> int:
    """A household of one, registered straight through the service (the pages under test are
    the search pages); returns the household id."""
    ctx = AppContext.create(STATE["settings"])
    try:
        body = s.HouseholdCreate.model_validate({"village_code": village, "members": [{
            "relationship": "head", "family_name_km": family_km, "given_name_km": given_km,
            "family_name_latin": family, "given_name_latin": given, "sex": sex,
            "date_of_birth": born, **member}]})
        return RegistryService(ctx).create_household(body, SYSTEM).id
    finally:
        ctx.engine.dispose()


@pytest.fixture(scope="module")
def households(server: str) -> dict[str, int]:
    return {
        "tonle_basak": register("12010101", "ហ៊ុន", "សុភាព", "Hun", "Sopheap"),
        "battambang": register("02010101", "ម៉ៅ", "ចន្ថា", "Mao", "Chantha"),
    }


def search_place(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type a place and search; wait until htmx has put the answer in (a screenshot taken while
    htmx settles makes it copy the screenshot's caret style onto the field: a CSP report)."""
    page.goto("/office/households")
    page.fill("#area", text)
    with page.expect_response(lambda r: "/office/households?" in r.url):
        page.click("form[role=search] button[type=submit]")
    expect(page.locator(HTMX_BUSY)).to_have_count(0)


def test_households_are_found_by_the_name_of_a_place(new_page, shot, households) -> None:  # type: ignore[no-untyped-def]
    hid = households["tonle_basak"]
    page = new_page(lang="en")
    sign_in(page, "admin1")
    search_place(page, "Tonle Basak")  # a commune, in Latin letters
    page.locator(f'#results a[href="/office/households/{hid}"]').wait_for()
    expect(page.locator("#results")).to_contain_text("Place: Tonle Basak, Chamkar Mon, Phnom Penh")
    expect(page.locator(f'#results a[href="/office/households/{households["battambang"]}"]')
           ).to_have_count(0)

    search_place(page, "Phum Muoy")  # 59 villages share the name: choose
    choices = page.locator("#results ul.choices a")
    expect(page.locator("#results h2")).to_contain_text("Several places are called “Phum Muoy”")
    assert choices.count() > 5
    shot(page, "household-search-choose-place-en")
    page.get_by_role("link", name="Phum Muoy, Tonle Basak, Chamkar Mon, Phnom Penh").click()
    page.locator(f'#results a[href="/office/households/{hid}"]').wait_for()

    search_place(page, "Phum Muoy, Tonle Basak")  # the place above it tells them apart
    page.locator(f'#results a[href="/office/households/{hid}"]').wait_for()

    search_place(page, "Nowhereville")
    error = page.locator("#area-error")
    expect(error).to_have_text(
        "No province, district, commune or village is called “Nowhereville”.")
    assert page.get_attribute("#area", "aria-invalid") == "true"

    search_place(page, "Kompong Cham")  # a spelling variant: the closest names are offered
    expect(page.locator("#results")).to_contain_text("Did you mean:")
    expect(page.locator("#results ul.choices")).to_contain_text("Kampong Cham")


def test_a_place_in_khmer_and_the_registrars_own_area(new_page, shot, households) -> None:  # type: ignore[no-untyped-def]
    hid = households["tonle_basak"]
    page = new_page(lang="km")
    sign_in(page, "reg-chamkarmon")
    search_place(page, "ភូមិ ១")  # only one village of that name in the registrar's commune
    page.locator(f'#results a[href="/office/households/{hid}"]').wait_for()
    expect(page.locator("#results")).to_contain_text("ទីកន្លែង៖ ភូមិ ១, ទន្លេបាសាក់")
    shot(page, "household-search-place-km")
    search_place(page, "ខេត្តបាត់ដំបង")
    expect(page.locator("#area-error")).to_have_text("«ខេត្តបាត់ដំបង» នៅក្រៅតំបន់របស់អ្នក។")
    search_place(page, "គ្មានកន្លែងនេះ")
    expect(page.locator("#area-error")).to_contain_text("គ្មានខេត្ត ស្រុក ឃុំ ឬភូមិណា")
    shot(page, "household-search-unknown-place-km")


def test_a_khmer_name_typed_without_its_sign_is_found(new_page, shot, households) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang="km")
    sign_in(page, "reg-chamkarmon")
    page.goto("/office/people")
    page.fill("#name", "ហុន")  # registered as ហ៊ុន (with the triisap)
    page.click("form[role=search] button[type=submit]")
    expect(page.locator("main ul.plain")).to_contain_text("ហ៊ុន សុភាព")
    shot(page, "person-search-khmer-without-sign-km")


def _fill_person(page, village: str, family_km: str, given_km: str, family: str,  # type: ignore[no-untyped-def]
                 given: str, born: str) -> None:
    page.goto("/office/households/new")
    page.select_option("#village", village)
    page.fill("#members-0-family_name_km", family_km)
    page.fill("#members-0-given_name_km", given_km)
    page.fill("#members-0-family_name_latin", family)
    page.fill("#members-0-given_name_latin", given)
    page.select_option("#members-0-sex", "M")
    fill_date(page, "members-0-date_of_birth", born)
    page.locator("#members-0-date_of_birth-year").blur()  # the change htmx listens to


def test_registering_someone_already_in_the_commune_warns_first(new_page, shot, households) -> None:  # type: ignore[no-untyped-def]
    """Item 15: the warning shows as the person is filled in, with a way to open the record;
    pressing "Register" shows the likely duplicates again and saves nothing until the user says
    these are different people."""
    page = new_page(lang="en")
    sign_in(page, "reg-chamkarmon")
    # another village of the same commune; the Khmer name written without its sign, the Latin
    # one a spelling variant: still the same person
    _fill_person(page, "12010102", "ហុន", "សុភាព", "Hun", "Sophiep", "1971-02-03")
    warning = page.locator("#members-0-duplicates .likely-duplicates")
    warning.wait_for()
    expect(warning).to_contain_text("This person may already be registered")
    expect(warning).to_contain_text("ហ៊ុន សុភាព · Hun Sopheap")
    link = warning.locator("a").first
    assert link.get_attribute("target") == "_blank"
    with page.context.expect_page() as opened:
        link.click()
    record = opened.value
    record.wait_for_load_state()
    assert "/office/people/" in record.url
    expect(record.locator("h1")).to_contain_text("ហ៊ុន សុភាព")
    record.close()
    expect(page.locator(HTMX_BUSY)).to_have_count(0)
    shot(page, "register-likely-duplicate-en")

    page.click("button[value=save]")
    panel = page.locator("#duplicates")
    panel.wait_for()
    expect(panel).to_contain_text("Nothing is saved yet")
    expect(panel.locator("li[data-person]")).to_have_count(1)
    assert "/office/households/new" in page.url
    shot(page, "register-duplicate-confirmation-en")
    page.click("button[value=save-anyway]")
    page.wait_for_url("**/office/households/*?created=1")


def test_the_duplicate_warning_in_khmer_and_no_warning_for_someone_new(new_page, shot,  # type: ignore[no-untyped-def]
                                                                       households) -> None:
    page = new_page(lang="km")
    sign_in(page, "reg-chamkarmon")
    _fill_person(page, "12010101", "ហ៊ុន", "សុភាព", "Hun", "Sopheap", "1971-02-03")
    warning = page.locator("#members-0-duplicates .likely-duplicates")
    expect(warning).to_contain_text("បុគ្គលនេះប្រហែលជាបានចុះឈ្មោះរួចហើយ")
    expect(page.locator(HTMX_BUSY)).to_have_count(0)
    shot(page, "register-likely-duplicate-km")
    page.click("button[value=save]")
    expect(page.locator("#duplicates")).to_contain_text("មិនទាន់រក្សាទុកអ្វីទេ")
    # born another day: a different person, registered at once
    _fill_person(page, "12010101", "ហ៊ុន", "សុភាព", "Hun", "Sopheap", "1975-02-03")
    expect(page.locator(HTMX_BUSY)).to_have_count(0)
    expect(page.locator("#members-0-duplicates .likely-duplicates")).to_have_count(0)
    page.click("button[value=save]")
    page.wait_for_url("**/office/households/*?created=1")


def _pending_pair(a: int, b: int) -> int:
    """A pair for the review queue, as a deduplication run leaves it."""
    from sqlalchemy import create_engine, insert

    from spmis.db.base import utcnow
    from spmis.linkage.store import link_review

    engine = create_engine(STATE["settings"].database_url)
    try:
        with engine.begin() as conn:
            return int(conn.execute(insert(link_review).values(
                person_id_l=a, person_id_r=b, match_probability=0.91, reasons=["name=same"],
                conflicts=[], area_code_l="12010101", area_code_r="12010101",
                status="pending", created_at=utcnow(),
            ).returning(link_review.c.id)).scalar_one())
    finally:
        engine.dispose()


def _head(hid: int) -> int:
    ctx = AppContext.create(STATE["settings"])
    try:
        return RegistryService(ctx).get_household(hid, SYSTEM).members[0].id
    finally:
        ctx.engine.dispose()


def _run_waiting_jobs() -> None:
    """What the worker does (the e2e server runs none)."""
    from spmis.jobs.worker import JobWorker

    ctx = AppContext.create(STATE["settings"])
    try:
        JobWorker(ctx).drain()
    finally:
        ctx.engine.dispose()


def test_an_administrator_starts_a_deduplication_run_from_the_page(new_page, shot,  # type: ignore[no-untyped-def]
                                                                   households) -> None:
    """Item 16: the run starts from a button (a background job), and the administrator, who may
    not compare records, is told which roles may."""
    twin = register("12010101", "ហ៊ុន", "សុភាព", "Hun", "Sopheap")  # the same man, twice
    rid = _pending_pair(_head(households["tonle_basak"]), _head(twin))
    for lang, button, finished in (("en", "Find possible duplicates in my area", "Finished"),
                                   ("km", "ស្វែងរកកំណត់ត្រាដែលអាចស្ទួនក្នុងតំបន់ខ្ញុំ", "បានបញ្ចប់")):
        page = new_page(lang=lang)
        sign_in(page, "admin1")
        page.click('.menu a[href="/office/linkage"]')
        page.get_by_role("button", name=button).click()
        page.wait_for_url("**/office/jobs/*")
        shot(page, f"dedupe-run-started-{lang}")
        _run_waiting_jobs()
        page.reload()
        expect(page.locator("#job-status")).to_contain_text(finished)
        expect(page.locator(".job-result")).to_be_visible()
        shot(page, f"dedupe-run-finished-{lang}")
        page.goto("/office/linkage")
        expect(page.locator("tr[data-run]").first).to_contain_text(finished)

        response = page.goto(f"/office/linkage/{rid}")  # comparing records is casework
        assert response is not None and response.status == 403
        main = page.locator("main").inner_text()
        if lang == "en":
            assert "This page is for: Approver, Auditor, Registrar" in main, main
            assert "Your roles: Administrator" in main
        else:
            assert "ទំព័រនេះសម្រាប់៖" in main and "អ្នកគ្រប់គ្រង" in main, main
        shot(page, f"role-needed-403-{lang}")


def test_accepting_a_pair_says_an_approver_must_approve_the_merge(new_page, shot,  # type: ignore[no-untyped-def]
                                                                  households) -> None:
    twin = register("12010101", "ហ៊ុន", "សុភាព", "Hun", "Sopheap")
    rid = _pending_pair(_head(households["tonle_basak"]), _head(twin))
    page = new_page(lang="en")
    sign_in(page, "reg-chamkarmon")
    page.goto(f"/office/linkage/{rid}")
    page.fill("#reason", "same man, registered twice")
    page.get_by_role("button", name="Same person: ask to merge").click()
    status = page.locator("[role=status]")
    expect(status).to_contain_text("is filed. An approver must approve it before the two records "
                                   "are merged.")
    shot(page, "linkage-accepted-en")
    page.get_by_role("link", name="Approvals").first.click()
    expect(page.locator("li[data-request]").first).to_contain_text("Merge")
