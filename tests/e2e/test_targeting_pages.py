"""Identifying poor households in Chromium, in Khmer and English: an enumerator's phone (ODK
Collect's requests, over HTTP to the running server) sends two questionnaires; a programme
officer opens the round's page, scores it as a background job, and reads an assessment's score
explained item by item. axe-core finds no serious or critical violation, and a Khmer page shows
no English from the catalogue nor Latin letters or Western digits that are not data.
Screenshots in test-artifacts/, and in docs/img/ when SPMIS_UPDATE_DOCS=1."""

from __future__ import annotations

import os
from datetime import date
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.jobs.worker import JobWorker
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService
from spmis.targeting.model import RoundDraft
from spmis.targeting.service import TargetingService
from tests.e2e.conftest import ARTIFACTS, BROWSER, PASSWORD, STATE, sign_in
from tests.e2e.test_every_page import PAGE_TEXT, check_page, english_msgids, not_khmer, untranslated
from tests.integration.targeting.helpers import ON_THE_LINE, VERY_POOR, instance

pytestmark = BROWSER
ROOT = Path(__file__).resolve().parents[2]
VILLAGE = "14010101"  # Angkrong, Prey Veng: no other browser test registers here
OFFICER, ENUMERATOR = "po-idpoor", "enum-idpoor"


#: the screenshots docs/targeting.md shows
DOCS = {"targeting-round-en", "targeting-assessment-km"}


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    folders = [ARTIFACTS]
    if os.environ.get("SPMIS_UPDATE_DOCS") == "1" and name in DOCS:
        folders.append(ROOT / "docs" / "img")
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def collected(server: str) -> dict[str, int]:
    """A round of Prey Veng, two households, and their questionnaires sent as ODK Collect
    sends them."""
    ctx = AppContext.create(STATE["settings"])
    try:
        accounts = AccountService(ctx)
        accounts.create_user(OFFICER, "programme_officer", "14", SYSTEM, password=PASSWORD)
        accounts.create_user(ENUMERATOR, "enumerator", VILLAGE[:6], SYSTEM, password=PASSWORD)
        round_id = TargetingService(ctx).create_round(RoundDraft(
            "PV-2026", "Prey Veng 2026", "village", "14", date(2026, 1, 1), date(2026, 1, 15),
            date(2026, 6, 30)), SYSTEM)
        households = [RegistryService(ctx).create_household(s.HouseholdCreate.model_validate({
            "village_code": VILLAGE, "reason": "field visit", "members": [{
                "relationship": "head", "family_name_latin": "Keo", "given_name_latin": name,
                "sex": "F", "date_of_birth": "1980-02-03"}]}), SYSTEM).id
            for name in ("Sophea", "Mony")]
    finally:
        ctx.engine.dispose()
    with httpx.Client(base_url=server, auth=(ENUMERATOR, PASSWORD), timeout=120) as phone:
        for n, (hh, answers) in enumerate(zip(households, (VERY_POOR, ON_THE_LINE),
                                              strict=True)):
            sent = phone.post("/odk/submission", files={"xml_submission_file": (
                "instance.xml", instance(round_id, hh, answers, f"uuid:e2e-idpoor-{n}"),
                "text/xml")}, headers={"X-OpenRosa-Version": "1.0",
                                        "Date": formatdate(usegmt=True)})
            assert sent.status_code == 201, sent.text
    return {"round": round_id, "poor": households[0]}


def test_score_a_round_and_read_the_explained_score(new_page, collected) -> None:  # type: ignore[no-untyped-def]
    axe = Axe()
    problems: list[str] = []
    msgids = english_msgids()
    round_path = f"/office/targeting/rounds/{collected['round']}"
    page = new_page(lang="en", bypass_csp=True)
    sign_in(page, OFFICER)
    page.goto("/office/targeting")
    page.click("text=Prey Veng 2026")
    page.wait_for_url(f"**{round_path}")
    assert page.locator("#assessments tbody tr").count() == 2
    shot(page, "targeting-round-en")
    page.click("#score-round")
    page.wait_for_url("**/office/jobs/*")
    ctx = AppContext.create(STATE["settings"])
    try:
        JobWorker(ctx).drain()
    finally:
        ctx.engine.dispose()
    page.goto(round_path)
    assert "Poor Level 1" in page.inner_text("#assessments")
    problems += check_page(page, axe, "en round")
    page.click(f'tr[data-household="{collected["poor"]}"] td a >> nth=0')
    page.locator("#explanation").wait_for()
    assert page.inner_text("#level") == "Poor Level 1"
    assert "Thatch or leaves" in page.inner_text("#explanation")
    assert "Score 97: at least 60" in page.inner_text("#summary")
    problems += check_page(page, axe, "en assessment")
    shot(page, "targeting-assessment-en")
    assessment_path = page.url.split(page.url.split("/office")[0])[1]

    khmer = new_page(lang="km", bypass_csp=True)
    sign_in(khmer, OFFICER)
    found: list[str] = []
    for path, name in (("/office/targeting", "targeting-rounds-km"),
                       (round_path, "targeting-round-km"),
                       (assessment_path, "targeting-assessment-km")):
        khmer.goto(path)
        assert khmer.get_attribute("html", "lang") == "km"
        found += [f"{path}: {m!r}" for m in untranslated(khmer.evaluate(PAGE_TEXT), msgids)]
        found += [f"{path}: {m}" for m in not_khmer(khmer)]
        problems += check_page(khmer, axe, f"km {path}")
        shot(khmer, name)
    assert "ក្រីក្រកម្រិត ១" in khmer.inner_text("#level")
    assert "ស្លឹក ឬស្បូវ" in khmer.inner_text("#explanation")
    assert "ពិន្ទុ ៩៧៖ ចាប់ពី ៦០" in khmer.inner_text("#summary")
    assert not found, "English on Khmer pages:\n" + "\n".join(found)
    assert not problems, "\n".join(problems)
