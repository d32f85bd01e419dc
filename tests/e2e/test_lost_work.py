"""Issue 13, "lost work and dead ends", in a real browser, as the registrar and the approver do it:
registering a pregnant woman; an error of a field the form does not show is named in the summary;
a correction with a new phone keeps its other edits; a stale request can be rebased, rejected or
cancelled; the approver sees both sides of a change and both people of a merge."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import insert

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.linkage.review import ReviewService
from spmis.linkage.schemas import AcceptIn
from spmis.linkage.store import link_review
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService
from tests.e2e.conftest import BROWSER, STATE, fill_date, save_registration, sign_in

HOME_VILLAGE = "12010101"

pytestmark = BROWSER


def _fill_woman(page, *, family: str = "ចាន់", given: str = "ស្រីមុំ",  # type: ignore[no-untyped-def]
                latin: tuple[str, str] = ("Chan", "Sreymom"), born: str = "1996-05-01") -> None:
    page.goto("/office/households/new")
    page.select_option("#village", HOME_VILLAGE)
    page.fill("#members-0-family_name_km", family)
    page.fill("#members-0-given_name_km", given)
    page.fill("#members-0-family_name_latin", latin[0])
    page.fill("#members-0-given_name_latin", latin[1])
    page.select_option("#members-0-sex", "F")
    fill_date(page, "members-0-date_of_birth", born)


def test_a_pregnant_woman_is_registered_with_her_expected_delivery_date(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang="en")
    sign_in(page, "reg-chamkarmon")
    _fill_woman(page)
    due = date.today() + timedelta(days=120)
    page.check("#members-0-pregnant")
    fill_date(page, "members-0-expected_delivery_date", due.isoformat())
    shot(page, "register-pregnant-en")
    save_registration(page)
    page.click('a[href^="/office/people/"]')
    facts = page.locator("dl.facts").first.inner_text()
    assert "Pregnant" in facts and "Yes" in facts
    assert f"Expected delivery date\n{due:%b} {due.day}, {due.year}" in facts


def test_an_error_of_a_field_missing_from_the_form_is_named_in_the_summary(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    """The rule behind item 1: a message about a field the page does not show is not lost. The
    registration form reads an occupation but shows no field for it: a value sent anyway (here
    added to the page) that is too long is named in the summary at the top, in both languages."""
    for lang, person, field in (("en", "Person 1", "Occupation"), ("km", "បុគ្គលទី ១", "មុខរបរ")):
        page = new_page(lang=lang)
        sign_in(page, "reg-chamkarmon")
        _fill_woman(page)
        page.locator("#members-0-sex").evaluate(
            "(e) => { const i = document.createElement('input'); i.type = 'hidden';"
            " i.name = 'members-0-occupation'; i.value = 'x'.repeat(150); e.form.append(i); }")
        page.click("button[value=save]")
        summary = page.locator(".error-summary")
        summary.wait_for()
        shot(page, f"register-summary-names-hidden-field-{lang}")
        text = summary.inner_text()
        assert f"{person} · {field}" in text, text
        expect(page.locator("#members-0-occupation-error")).to_have_count(0)  # not on the form


def _register_woman(page, *, national_id: str, latin: tuple[str, str] = ("Chan", "Sreymom"),  # type: ignore[no-untyped-def]
                    phone: str = "") -> int:
    """Register a one-person household as the Chamkar Mon registrar; returns the person id."""
    _fill_woman(page, latin=latin)
    page.fill("#members-0-identifiers-national_id", national_id)
    if phone:
        page.fill("#members-0-identifiers-phone", phone)
    save_registration(page)
    page.click('a[href^="/office/people/"]')
    page.wait_for_url(re.compile(r".*/office/people/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_a_correction_with_a_new_phone_keeps_its_other_edits(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    """Name, pregnancy and a new phone in one correction: the name and the pregnancy are saved
    at once, the phone waits for an approver, and the page says both."""
    for lang, nid, saved, waiting in (
        ("en", "511111111", "Saved:", "Waiting for an approver: Phone"),
        ("km", "511111112", "បានរក្សាទុក៖", "កំពុងរង់ចាំអ្នកអនុម័ត៖ ទូរស័ព្ទ"),
    ):
        page = new_page(lang=lang)
        sign_in(page, "reg-chamkarmon")
        pid = _register_woman(page, national_id=nid)
        page.click(f'a[href="/office/people/{pid}/edit"]')
        page.fill("#given_name_latin", "Sreymum")
        page.check("#pregnant")
        fill_date(page, "expected_delivery_date", (date.today() + timedelta(days=100)).isoformat())
        page.fill("#identifiers-phone", "012 345 678")
        page.fill("#reason", "name as on the new ID card; pregnancy seen at the health centre")
        shot(page, f"correct-name-pregnancy-phone-{lang}")
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(rf".*/office/people/{pid}\?.*requested=\d+"))
        status = page.locator("[role=status]").inner_text()
        shot(page, f"correct-saved-and-awaiting-{lang}")
        assert saved in status and waiting in status, status
        h1 = page.locator("h1").inner_text()
        assert "Sreymum" in h1  # the name is saved at once
        facts = page.locator("dl.facts").first.inner_text()
        assert ("Pregnant\nYes" if lang == "en" else "មានផ្ទៃពោះ\nបាទ/ចាស") in facts, facts


MAKER = Actor("reg-chamkarmon", frozenset({"registrar"}), "120101")


@contextmanager
def _registry() -> Iterator[RegistryService]:
    """The registry service on the server's database, to prepare records a test does not walk."""
    ctx = AppContext.create(STATE["settings"])
    try:
        yield RegistryService(ctx)
    finally:
        ctx.engine.dispose()


def _card(page, request_id: int):  # type: ignore[no-untyped-def]
    return page.locator(f'li[data-request="{request_id}"]')


def test_a_stale_request_is_approved_on_the_current_record_or_rejected(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    """The record changed after the requests: each says so and offers to approve on the current
    record; one whose own field changed since says it no longer applies and can be rejected."""
    maker = new_page(lang="en")
    sign_in(maker, "reg-chamkarmon")
    pid = _register_woman(maker, national_id="611111111", latin=("Keo", "Bopha"))
    with _registry() as registry:
        first = registry.correct_person(pid, s.PersonUpdate(
            identifiers={"phone": "012 111 222"}, reason="her new phone"), MAKER).request_id
        second = registry.correct_person(pid, s.PersonUpdate(
            identifiers={"national_id": "611111119"}, reason="new ID card"), MAKER).request_id
        third = registry.correct_person(pid, s.PersonUpdate(
            identifiers={"phone": "012 333 444"}, reason="her other phone"), MAKER).request_id
        # the record changes after the requests: a plain correction of the name
        registry.correct_person(pid, s.PersonUpdate(given_name_latin="Bophal",
                                                    reason="spelling"), MAKER)
    checker = new_page(lang="en")
    sign_in(checker, "approver-pp")
    checker.goto("/office/approvals")
    card = _card(checker, second)
    stale = card.locator("[data-stale]").inner_text()
    assert "The record changed after this request was made" in stale
    assert "reg-chamkarmon: Given name in Latin letters" in stale, stale
    assert "it can be approved on the current record" in stale
    expect(card.locator("button", has_text=re.compile("^Approve$"))).to_have_count(0)
    shot(checker, "approval-stale-offers-rebase-en")
    card.locator("input[name=reason]").fill("card copy seen")
    card.locator("button", has_text="Approve on the current record").click()
    checker.wait_for_url("**/office/approvals?done=rebase")
    assert "checked against the record as it is now" in checker.locator(
        "[role=status]").inner_text()
    # the first phone request: approved on the current record too
    _card(checker, first).locator("input[name=reason]").fill("phone checked by a call")
    _card(checker, first).locator("button", has_text="Approve on the current record").click()
    checker.wait_for_url("**/office/approvals?done=rebase")
    # the third asked for another phone: the phone changed since, so it no longer applies
    card = _card(checker, third)
    assert "no longer applies: Phone changed after it was made" in card.locator(
        "[data-stale]").inner_text()
    expect(card.locator("button", has_text="Approve")).to_have_count(0)
    shot(checker, "approval-stale-no-longer-applies-en")
    card.locator("input[name=reason]").fill("the phone was changed since")
    card.locator("button", has_text="Reject").click()
    checker.wait_for_url("**/office/approvals?done=reject")
    maker.goto(f"/office/people/{pid}")
    assert "Bophal" in maker.locator("h1").inner_text()  # the later correction is kept
    ids = maker.locator("dl.facts").nth(1).inner_text()
    assert "119" in ids and "222" in ids and "444" not in ids, ids


def test_a_maker_cancels_a_request_in_khmer(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    maker = new_page(lang="km")
    sign_in(maker, "reg-chamkarmon")
    pid = _register_woman(maker, national_id="711111111", latin=("Mao", "Sophy"))
    with _registry() as registry:
        filed = registry.correct_person(pid, s.PersonUpdate(
            identifiers={"phone": "012 555 666"}, reason="typed the wrong person"), MAKER)
    maker.goto("/office/approvals")
    card = _card(maker, filed.request_id)
    card.locator("input[name=reason]").fill("ខុសមនុស្ស")
    shot(maker, "approval-maker-cancel-km")
    card.locator("button", has_text="លុបចោលសំណើរបស់ខ្ញុំ").click()
    maker.wait_for_url("**/office/approvals?done=cancel")
    assert "សំណើរបស់អ្នកត្រូវបានលុបចោល" in maker.locator("[role=status]").inner_text()
    maker.goto("/office/approvals?status=cancelled")
    expect(_card(maker, filed.request_id)).to_have_count(1)


def _household(registry: RegistryService, given_km: str, given_latin: str, born: str,
               **identifiers: str) -> int:
    """A one-person household in Phum Muoy (Tonle Basak, Chamkar Mon); returns the person id."""
    hh = registry.create_household(s.HouseholdCreate.model_validate({
        "village_code": HOME_VILLAGE, "members": [{
            "relationship": "head", "family_name_km": "សុខ", "given_name_km": given_km,
            "family_name_latin": "Sok", "given_name_latin": given_latin, "sex": "F",
            "date_of_birth": born, "identifiers": identifiers}]}), MAKER)
    return hh.members[0].id


def test_the_approver_sees_both_sides_and_both_people(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    """Each request names the person (Khmer and Latin names, household, village and commune by
    name), shows the value on the record and the requested one (identifiers masked on both
    sides), a number another person holds by now, and both people of a merge."""
    with _registry() as registry:
        nary = _household(registry, "ណារី", "Nary", "1990-02-03", national_id="811111111")
        change = registry.correct_person(nary, s.PersonUpdate(
            identifiers={"national_id": "811111119", "phone": "097 765 4321"},
            reason="new ID card"), MAKER).request_id
        # someone else takes the requested phone before the approver decides
        _household(registry, "ស្រីលក្ខណ៍", "Sreyleak", "1985-07-08", phone="097 765 4321")
        first = _household(registry, "ច័ន្ទធី", "Chanthy", "1979-11-30", national_id="911111111")
        second = _household(registry, "ចន្ធី", "Chanthi", "1979-11-30")
        ctx = AppContext.create(STATE["settings"])
        try:
            with ctx.engine.begin() as conn:
                review = conn.execute(insert(link_review).values(
                    person_id_l=first, person_id_r=second, match_probability=0.91,
                    reasons=["name=similar", "dob=exact"], conflicts=[],
                    area_code_l=HOME_VILLAGE, area_code_r=HOME_VILLAGE, status="pending",
                    created_at=utcnow()).returning(link_review.c.id)).scalar_one()
            merge = ReviewService(ctx).accept(review, AcceptIn(
                reason="same woman, two spellings", survivor_id=first), MAKER).id
        finally:
            ctx.engine.dispose()
    for lang, place, commune in (("en", "Phum Muoy", "Tonle Basak"),
                                 ("km", "ភូមិ ១", "ទន្លេបាសាក់")):
        page = new_page(lang=lang)
        sign_in(page, "approver-pp")
        page.goto("/office/approvals")
        card = _card(page, change)
        text = card.inner_text()
        shot(page, f"approval-both-sides-{lang}")
        assert "សុខ ណារី" in text and "Sok Nary" in text, text
        assert place in text and commune in text, text
        national = card.locator('tr[data-field="identifiers.national_id"]').inner_text()
        assert "******111" in national and "******119" in national, national
        phone = card.locator('tr[data-field="identifiers.phone"]').inner_text()
        assert "—" in phone and "321" in phone and "4321" not in phone, phone
        conflict = card.locator('[data-conflict="identifiers.phone"]').inner_text()
        assert "Sok Sreyleak" in conflict, conflict
        expect(card.locator("button", has_text=re.compile("^(Approve|អនុម័ត)$"))).to_have_count(0)
        both = _card(page, merge).inner_text()
        assert "Sok Chanthy" in both and "Sok Chanthi" in both, both
        assert ("៩១%" if lang == "km" else "91%") in both, both
        assert "811111111" not in page.content() and "911111111" not in page.content()


def test_a_request_that_went_stale_while_the_page_was_open(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    """The record changes after the approver opened the queue: Approve answers on the card that
    the record changed and offers to approve on the current record (Khmer)."""
    maker = new_page(lang="km")
    sign_in(maker, "reg-chamkarmon")
    pid = _register_woman(maker, national_id="622222222", latin=("Ouk", "Srey"))
    with _registry() as registry:
        filed = registry.correct_person(pid, s.PersonUpdate(
            identifiers={"phone": "012 777 888"}, reason="her phone"), MAKER).request_id
    checker = new_page(lang="km")
    sign_in(checker, "approver-pp")
    checker.goto("/office/approvals")
    with _registry() as registry:
        registry.correct_person(pid, s.PersonUpdate(occupation="farmer", reason="asked"), MAKER)
    card = _card(checker, filed)
    card.locator("input[name=reason]").fill("បានទូរស័ព្ទផ្ទៀងផ្ទាត់")
    card.locator("button", has_text=re.compile("^អនុម័ត$")).click()
    alert = _card(checker, filed).locator("[role=alert]")
    alert.wait_for()
    assert "កំណត់ត្រាត្រូវបានកែប្រែក្រោយពេលធ្វើសំណើនេះ" in alert.inner_text()
    shot(checker, "approval-went-stale-km")
    _card(checker, filed).locator("input[name=reason]").fill("បានទូរស័ព្ទផ្ទៀងផ្ទាត់")
    _card(checker, filed).locator("button", has_text="អនុម័តលើកំណត់ត្រាបច្ចុប្បន្ន").click()
    checker.wait_for_url("**/office/approvals?done=rebase")
