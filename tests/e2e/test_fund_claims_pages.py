"""The fund's claims and member records walked in Chromium, in Khmer and English, on a server of
their own: a fund officer submits a maternity claim with a document (an empty form first shows
every message), a second officer reviews it, a third approves it, the finance office records the
payment; a pension claim at 59 shows its reason; a member's statement on screen and its PDF
(Khmer shaped, page 1 to an image); the coverage gap; the public verification page on a phone.
axe-core finds no serious or critical violation; a Khmer page shows no English catalogue text.
With SPMIS_UPDATE_DOCS=1 the screenshots also go to docs/img (docs/fund.md, the user guide)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import update

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.registry.store import person
from tests.e2e.conftest import (
    ARTIFACTS,
    BROWSER,
    PASSWORD,
    ROOT,
    STATE,
    fill_date,
    fresh_server,
    sign_in,
)
from tests.e2e.conftest import doc_shot as shot
from tests.e2e.test_every_page import check_page, english_msgids, untranslated
from tests.integration.fund.claims_seed import Fund, seed
from tests.integration.linkage_registry.helpers import add_household, member
from tests.pdf_check import assert_khmer_page

pytestmark = BROWSER
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")
STAFF = {"fo-maker": "fund_officer", "fo-reviewer": "fund_officer", "fo-checker": "fund_officer",
         "fin-payer": "finance_officer"}



@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own: the fund's people would change other walks' figures."""
    with fresh_server(tmp_path_factory.mktemp("e2e-fund-claims")) as base:
        yield base


@pytest.fixture(scope="module")
def fund(server: str) -> Fund:
    ctx = AppContext.create(STATE["settings"])
    try:
        for name, role in STAFF.items():
            AccountService(ctx).create_user(name, role, "", SYSTEM, password=PASSWORD)
        fund = seed(ctx)
        # working people who are not members, for the coverage gap
        vendors = add_household(ctx, *[member("head" if i == 0 else "other_relative",
                                              sex="F" if i < 14 else "M") for i in range(25)])
        drivers = add_household(ctx, *[member("head" if i == 0 else "other_relative", sex="M")
                                       for i in range(12)], village="01020101")
        with ctx.engine.begin() as conn:
            conn.execute(update(person).where(person.c.id.in_(vendors)).values(
                employment_type="informal", occupation="market vendor"))
            conn.execute(update(person).where(person.c.id.in_(drivers)).values(
                employment_type="self_employed", occupation="tuk-tuk driver"))
        return fund
    finally:
        ctx.engine.dispose()


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("docs") / "birth-certificate.pdf"
    path.write_bytes(b"%PDF-1.4\n% birth certificate\n%%EOF\n")
    return path


@pytest.mark.parametrize("lang", ["km", "en"])
def test_a_claim_from_submission_to_payment(new_page, fund: Fund, document: Path,  # type: ignore[no-untyped-def]
                                            lang: str) -> None:
    axe, problems, english = Axe(), [], []
    msgids = english_msgids() if lang == "km" else []

    def look(page, where: str) -> None:  # type: ignore[no-untyped-def]
        problems.extend(check_page(page, axe, f"{lang} {where}"))
        english.extend(f"{where}: {m!r}" for m in untranslated(page.inner_text("main"), msgids))
        shot(page, f"fund-claims-{where}-{lang}")

    maker = new_page(lang=lang)
    sign_in(maker, "fo-maker")
    maker.goto("/office/fund/claims/new")
    maker.click("#submit-claim")  # nothing filled in
    maker.locator(".error-summary").wait_for()
    assert maker.locator(".field-error").count() >= 3
    assert maker.locator(".error-summary code").count() == 0  # every field named by its label
    look(maker, "new-errors")
    maker.fill("#member_number", str(fund.mother))
    maker.select_option("#claim_kind", "maternity")
    fill_date(maker, "event_date", "2026-07-10")
    maker.fill("#leave_days", "90")
    maker.select_option("#document_0_kind", "birth_certificate")
    maker.set_input_files("#document_0", str(document))
    look(maker, "new")
    with maker.expect_navigation():
        maker.click("#submit-claim")
    claim_url = maker.url.split("?")[0]
    assert not claim_url.endswith("/new"), maker.inner_text("main")[:2000]
    assert maker.locator("#claim-amount").inner_text().translate(KHMER_DIGITS).replace(
        ",", "").find("2520000") >= 0
    assert "birth-certificate.pdf" in maker.inner_text("#documents")
    link = maker.locator("#documents a").get_attribute("href")
    got = maker.request.get(link)
    assert got.status == 200 and got.body() == document.read_bytes()
    look(maker, "submitted")

    reviewer = new_page(lang=lang)
    sign_in(reviewer, "fo-reviewer")
    reviewer.goto(claim_url)
    with reviewer.expect_navigation():
        reviewer.click("#action-review")
    # the reviewer may not decide what they reviewed: no approve or reject button for them
    assert reviewer.locator("#action-approve, #action-reject").count() == 0

    checker = new_page(lang=lang)
    sign_in(checker, "fo-checker")
    checker.goto(claim_url)
    with checker.expect_navigation():
        checker.click("#action-approve")
    assert checker.locator("#payment").count() == 1
    look(checker, "approved")

    payer = new_page(lang=lang)
    sign_in(payer, "fin-payer")
    payer.goto(claim_url)
    payer.fill("#reference", f"BANK-{lang}-0042")
    with payer.expect_navigation():
        payer.click("#action-pay")
    assert f"BANK-{lang}-0042" in payer.inner_text("#payment")
    look(payer, "paid")

    # a pension at 59: the rules' reason is on the page, ready for the rejection
    maker.goto("/office/fund/claims/new")
    maker.fill("#member_number", str(fund.elder))
    maker.select_option("#claim_kind", "old_age")
    fill_date(maker, "event_date", "2026-07-01")
    with maker.expect_navigation():
        maker.click("#submit-claim")
    refusal = maker.inner_text("#refusal").translate(KHMER_DIGITS)
    assert "59" in refusal and "60" in refusal
    look(maker, "pension-59")
    maker.goto("/office/fund/claims?state=all")
    assert maker.locator("#claims-queue tbody tr").count() >= 2
    look(maker, "queue")
    assert not problems, "\n".join(problems)
    assert not english, "\n".join(english)


@pytest.mark.parametrize("lang", ["km", "en"])
def test_statement_gap_and_verification(new_page, fund: Fund, lang: str, server: str) -> None:  # type: ignore[no-untyped-def]
    axe, problems, english = Axe(), [], []
    msgids = english_msgids() if lang == "km" else []

    def look(page, where: str) -> None:  # type: ignore[no-untyped-def]
        problems.extend(check_page(page, axe, f"{lang} {where}"))
        english.extend(f"{where}: {m!r}" for m in untranslated(page.inner_text("main"), msgids))
        shot(page, f"fund-{where}-{lang}")

    officer = new_page(lang=lang)
    sign_in(officer, "fo-maker")
    officer.goto(f"/office/fund/members/{fund.worker}/statement")
    assert officer.locator("#statement-lines tbody tr").count() == 9
    look(officer, "statement")
    pdf = officer.request.get(f"/office/fund/members/{fund.worker}/statement.pdf?lang={lang}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    if lang == "km":
        image = assert_khmer_page(pdf.body())
        image.save(ARTIFACTS / "fund-statement-pdf-km.png")
        if os.environ.get("SPMIS_UPDATE_DOCS") == "1":
            image.save(ROOT / "docs" / "img" / "fund-statement-pdf-km.png")
    officer.goto("/office/fund/coverage-gap")
    assert officer.locator("#gap-province tbody tr").count() == 3  # two provinces and the total
    look(officer, "coverage-gap")

    code = officer.request.get(f"/api/v1/fund/members/{fund.worker}/statement").json()[
        "verification_code"]
    public = new_page(lang=lang)
    public.goto(f"/verify/statement/{code}")
    assert public.locator(".notice.ok").count() == 1
    text = public.inner_text("main")
    assert "Sok" not in text and "ដារា" not in text  # nothing personal
    look(public, "verify")
    public.goto(f"/verify/statement/{code[:-2]}00")
    assert public.locator(".notice.error").count() == 1
    assert not problems, "\n".join(problems)
    assert not english, "\n".join(english)
