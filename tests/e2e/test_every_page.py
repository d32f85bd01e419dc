"""Every page, walked in a browser at 360 px: axe-core finds no serious or critical violation,
nothing is wider than the screen, and a Khmer page shows no English text from the catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from babel.messages.pofile import read_po
from sqlalchemy import create_engine, insert

from spmis.db.base import utcnow
from spmis.linkage.store import link_review
from spmis.pagekit.i18n import po_path
from tests.e2e.conftest import BROWSER, STATE, choose_area, sign_in
from tests.e2e.test_journeys import register_household

PUBLIC = ["/", "/programmes", "/programmes/family_package_base", "/eligibility", "/login",
          "/transparency", "/transparency/audit",
          "/grievances", "/grievances/follow",
          "/no-such-page", "/programmes/no-such-programme"]
OFFICE = ["/office", "/office/households", "/office/households?area=120101",
          "/office/households/new", "/office/households/{hid}",
          "/office/households/{hid}/edit", "/office/people",
          "/office/people?name=Sok", "/office/people/{pid}", "/office/people/{pid}/edit",
          "/office/approvals", "/office/approvals?status=approved", "/office/users",
          "/office/imports", "/office/linkage", "/office/linkage/{rid}", "/office/jobs",
          "/office/jobs/{jid}", "/office/reports", "/office/audit", "/office/grievances",
          "/office/grievances/new"]
SERIOUS = {"serious", "critical"}
MAX_BYTES = 200_000
#: bytes of the page and everything it loaded except images (cached files counted too)
PAGE_WEIGHT = """() => performance.getEntries()
  .filter(e => e.entryType === "navigation" || (e.entryType === "resource"
               && e.initiatorType !== "img" && !/[.](png|jpe?g|gif|svg|webp)$/.test(e.name)))
  .reduce((sum, e) => sum + (e.decodedBodySize || 0), 0)"""

pytestmark = BROWSER


@pytest.fixture(scope="module")
def ids(browser, server: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A registered household (and its head) to visit."""
    context = browser.new_context(base_url=server)
    page = context.new_page()
    context.add_cookies([{"name": "spmis_lang", "value": "en", "url": server}])
    sign_in(page, "reg-chamkarmon")
    hid = register_household(page, national_id="523456789")
    pid = int(re.search(r'href="/office/people/(\d+)"', page.content()).group(1))  # type: ignore[union-attr]
    register_household(page, national_id="623456789")
    twin_pid = int(re.search(r'href="/office/people/(\d+)"', page.content()).group(1))  # type: ignore[union-attr]
    context.close()
    engine = create_engine(STATE["settings"].database_url)
    with engine.begin() as conn:  # a pair for the linkage review pages
        rid = conn.execute(insert(link_review).values(
            person_id_l=pid, person_id_r=twin_pid, match_probability=0.9, reasons=["name=same"],
            conflicts=["national_id"], area_code_l="12010101", area_code_r="12010101",
            status="pending", created_at=utcnow(),
        ).returning(link_review.c.id)).scalar_one()
    engine.dispose()
    return {"hid": hid, "pid": pid, "rid": rid, "jid": _waiting_import()}


def _waiting_import() -> int:
    """An import job of reg-chamkarmon, waiting for a worker (the e2e server runs none)."""
    from spmis.auth.model import Actor
    from spmis.context import AppContext
    from spmis.jobs import JobService
    from spmis.registry.import_job import KIND

    ctx = AppContext.create(STATE["settings"])
    try:
        service = JobService(ctx)
        name, part = service.files.new_upload(".csv")
        part.write_bytes(b"household_key,village_code,person_key,relationship,sex,date_of_birth\n")
        part.replace(service.files.upload(name))
        actor = Actor("reg-chamkarmon", frozenset({"registrar"}), "120101")
        return service.submit(actor, KIND, {"upload": name, "file_name": "households.csv"}).id
    finally:
        ctx.engine.dispose()


def walk(page, paths: list[str], ids: dict[str, int]) -> Iterator[str]:  # type: ignore[no-untyped-def]
    for path in paths:
        page.goto(path.format(**ids))
        yield path
    # pages that only a form post shows: the eligibility answer, a form with its errors
    page.goto("/eligibility")
    page.click("button[value=check]")  # nothing filled in: every message shows
    page.locator(".field-error").first.wait_for()
    yield "/eligibility (errors)"
    choose_area(page, province="12", district="1201", commune="120101")  # htmx reloads lists
    page.fill("#members-0-age", "70")
    page.select_option("#members-0-sex", "male")
    page.click("button[value=check]")
    page.locator("#results-title").wait_for()
    yield "/eligibility (answer)"


def check_page(page, axe: Axe, where: str) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    result = axe.run(page)
    for v in result.response["violations"]:
        if v.get("impact") in SERIOUS:
            targets = [n["target"] for n in v["nodes"]][:3]
            problems.append(f"{where}: {v['id']} ({v['impact']}): {v['help']} {targets}")
    weight = page.evaluate(PAGE_WEIGHT)
    if weight > MAX_BYTES:
        problems.append(f"{where}: {weight} bytes before images (most {MAX_BYTES})")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 360:
        problems.append(f"{where}: {width} px wide on a 360 px screen")
    return problems


@pytest.mark.parametrize("lang", ["km", "en"])
def test_every_page_is_accessible_on_a_phone(new_page, ids, lang: str) -> None:  # type: ignore[no-untyped-def]
    axe = Axe()
    problems: list[str] = []
    anonymous = new_page(lang=lang, bypass_csp=True)  # axe is injected as a script
    for where in walk(anonymous, PUBLIC, ids):
        problems += check_page(anonymous, axe, f"{lang} {where}")
    for user in ("admin1", "reg-chamkarmon", "approver-pp"):
        staff = new_page(lang=lang, bypass_csp=True)
        sign_in(staff, user)
        for path in OFFICE:
            response = staff.goto(path.format(**ids))
            # another user's job is "not found" (only its submitter and admins see it)
            allowed = (200, 403, 404) if path.startswith("/office/jobs/") else (200, 403)
            assert response is not None and response.status in allowed, path
            problems += check_page(staff, axe, f"{lang} {user} {path}")
    assert not problems, "\n".join(problems)


def english_msgids() -> list[str]:
    with po_path("km").open("rb") as fh:
        return [m.id for m in read_po(fh, locale="km") if m.id and isinstance(m.id, str)]


def untranslated(text: str, msgids: list[str]) -> list[str]:
    """Catalogue texts (in English) found in a page's visible text."""
    found = []
    for msgid in msgids:
        pattern = re.escape(re.sub(r"%\(\w+\)s", "\x00", msgid)).replace("\x00", ".+?")
        if re.search(rf"(?<![\w]){pattern}(?![\w])", text):
            found.append(msgid)
    return found


def test_no_english_on_khmer_pages(new_page, ids, shot) -> None:  # type: ignore[no-untyped-def]
    msgids = english_msgids()
    found: list[str] = []
    anonymous = new_page(lang="km")
    for where in walk(anonymous, PUBLIC, ids):
        assert anonymous.get_attribute("html", "lang") == "km", where
        found += [f"{where}: {m!r}" for m in untranslated(anonymous.inner_text("body"), msgids)]
    shot(anonymous, "eligibility-answer-km")
    for user in ("admin1", "reg-chamkarmon", "approver-pp"):
        staff = new_page(lang="km")
        sign_in(staff, user)
        for path in OFFICE:
            staff.goto(path.format(**ids))
            body = staff.inner_text("body")
            found += [f"{user} {path}: {m!r}" for m in untranslated(body, msgids)]
        shot(staff, f"office-km-{user}")
    assert not found, "English text on Khmer pages:\n" + "\n".join(found)
