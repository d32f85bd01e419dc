"""Every page, walked in a browser at 360 px: axe-core finds no serious or critical violation,
nothing is wider than the screen, and a Khmer page shows no English text from the catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from babel.messages.pofile import read_po
from sqlalchemy import create_engine, insert, text

from spmis.auth.approvals import ApprovalService
from spmis.auth.model import SYSTEM, Actor
from spmis.auth.staff import StaffService
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.jobs import JobService
from spmis.jobs.worker import JobWorker
from spmis.linkage.store import link_review
from spmis.pagekit.i18n import po_path
from spmis.registry import schemas as s
from spmis.registry.import_job import KIND
from spmis.registry.service import RegistryService
from tests.e2e.conftest import BROWSER, STATE, choose_area, sign_in
from tests.e2e.test_journeys import register_household

PUBLIC = ["/", "/programmes", "/programmes/family_package_base", "/eligibility", "/login",
          "/transparency", "/transparency/audit",
          "/grievances", "/grievances/follow", "/cards/verify",
          "/cards/verify?n=EC-0000-0000-0000-0",
          "/no-such-page", "/programmes/no-such-programme"]
OFFICE = ["/office", "/office/households", "/office/households?area=120101",
          "/office/households/new", "/office/households/{hid}",
          "/office/households/{hid}/edit", "/office/people",
          "/office/people?name=Sok", "/office/people/{pid}", "/office/people/{pid}/edit",
          "/office/approvals", "/office/approvals?status=approved", "/office/users",
          "/office/imports", "/office/linkage", "/office/linkage/{rid}", "/office/jobs",
          "/office/jobs/{jid}", "/office/reports", "/office/audit", "/office/grievances",
          "/office/grievances/new",
          # with data in each (issue 13, item 17): an approved request in a person's history,
          # a household that came from an import, the finished import job with its figures
          "/office/approvals?status=rejected", "/office/households/{ihid}",
          "/office/people/{ipid}", "/office/jobs/{fjid}", "/office/users/{uid}"]
SERIOUS = {"serious", "critical"}
#: whose office pages axe checks, per language: the administrator sees every page whole, in
#: both languages; each other user's view (its menu, its refusals) in one language, the markup
#: being the same in both (every user's pages are still measured, width and weight, in both)
AXE_USERS = {"km": ("admin1", "approver-pp"), "en": ("admin1", "reg-chamkarmon")}
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
    return {"hid": hid, "pid": pid, "rid": rid, "jid": _waiting_import(),
            **_decided_requests(pid, twin_pid), **_finished_import(), **_changed_account()}


APPROVER = Actor("approver-pp", frozenset({"approver"}), "12")
MAKER = Actor("reg-chamkarmon", frozenset({"registrar"}), "120101")


def _decided_requests(pid: int, twin_pid: int) -> dict[str, int]:
    """A new phone approved (its note in the person's history), a national ID rejected, and
    one waiting: every state of the approvals page has a request to show."""
    ctx = AppContext.create(STATE["settings"])
    try:
        registry, approvals = RegistryService(ctx), ApprovalService(ctx)
        done = registry.correct_person(pid, s.PersonUpdate(
            given_name_latin="Darah", identifiers={"phone": "012 345 678"},
            reason="new phone"), MAKER)
        approvals.approve(done.request_id, APPROVER, "the card was shown")  # type: ignore[arg-type]
        refused = registry.correct_person(twin_pid, s.PersonUpdate(
            identifiers={"national_id": "723456789"}, reason="new card"), MAKER)
        approvals.reject(refused.request_id, APPROVER, "the card is not hers")  # type: ignore[arg-type]
        registry.correct_person(twin_pid, s.PersonUpdate(
            identifiers={"phone": "097 111 2222"}, reason="her own phone"), MAKER)
        return {}
    finally:
        ctx.engine.dispose()


def _changed_account() -> dict[str, int]:
    """A staff account whose area and name were changed: its history has both."""
    ctx = AppContext.create(STATE["settings"])
    try:
        staff = StaffService(ctx)
        staff.create("clerk-bk", ["registrar"], "1201", SYSTEM, full_name="Clerk of Chamkar Mon",
                     direct=True)
        uid = staff.user_id("clerk-bk")
        staff.change(uid, SYSTEM, scope="120101", full_name="Clerk of Tonle Basak", direct=True)
        return {"uid": uid}
    finally:
        ctx.engine.dispose()


def _finished_import() -> dict[str, int]:
    """A households file of reg-chamkarmon imported by a worker in this process: its job page
    (figures, the reject report) and an imported household and person (their history)."""
    ctx = AppContext.create(STATE["settings"])
    try:
        service = JobService(ctx)
        name, part = service.files.new_upload(".csv")
        part.write_text(
            "household_key,village_code,person_key,relationship,sex,date_of_birth,"
            "family_name_km,given_name_km,family_name_latin,given_name_latin\n"
            "E2E-1,12010101,E2E-1-1,head,F,1961-03-09,ឡុង,សុភី,Long,Sophy\n"
            "E2E-2,12010101,E2E-2-1,head,X,1990-13-01,ឡុង,ដារា,Long,Dara\n", encoding="utf-8")
        part.replace(service.files.upload(name))
        job = service.submit(MAKER, KIND, {"upload": name, "file_name": "households.csv"})
        JobWorker(ctx).run_job(job.id)
        with ctx.engine.connect() as conn:
            ihid, ipid = conn.execute(text(
                "select household_id, id from person where external_key = 'E2E-1-1'")).one()
        return {"fjid": job.id, "ihid": ihid, "ipid": ipid}
    finally:
        ctx.engine.dispose()


def _waiting_import() -> int:
    """An import job of reg-chamkarmon, waiting for a worker (the e2e server runs none)."""
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


def check_page(page, axe: Axe | None, where: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Serious axe violations (when ``axe`` is given), the page's weight and its width."""
    problems = []
    violations = axe.run(page).response["violations"] if axe else []
    for v in violations:
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
            problems += check_page(staff, axe if user in AXE_USERS[lang] else None,
                                   f"{lang} {user} {path}")
    assert not problems, "\n".join(problems)


def english_msgids() -> list[str]:
    with po_path("km").open("rb") as fh:
        return [text for m in read_po(fh, locale="km") if m.id
                for text in ([m.id] if isinstance(m.id, str) else m.id)]  # plurals: both forms


def untranslated(text: str, msgids: list[str]) -> list[str]:
    """Catalogue texts (in English) found in a page's visible text."""
    found = []
    for msgid in msgids:
        pattern = re.escape(re.sub(r"%\(\w+\)s", "\x00", msgid)).replace("\x00", ".+?")
        if re.search(rf"(?<![\w]){pattern}(?![\w])", text):
            found.append(msgid)
    return found


#: Latin letters or Western digits in the visible text of a Khmer page, outside what is data
#: (``translate="no"``: names in Latin letters, user names, typed reasons, masked numbers, file
#: column names) or marked as another language (the language switch): "AM", "import · system",
#: "[request 2 by ...]", a column name in a sentence, an area shown as "050303" (issue 13, item 17).
#: Khmer writes two names as they are (IDPoor, NSSF), and file types are file types (.csv).
NOT_KHMER = """() => {
  const names = new Set(["IDPoor", "NSSF"]);
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest('[translate=no], script, style, [lang]:not([lang=km])')) continue;
    const shown = el.closest('select') || el;
    if (!shown.checkVisibility()) continue;
    const words = node.textContent.replace(/[.](csv|xlsx)\\b/g, "");
    for (const m of words.matchAll(/[A-Za-z]+|[0-9]+/g))
      if (!names.has(m[0])) found.push(`${m[0]} in “${node.textContent.trim().slice(0, 80)}”`);
  }
  return found;
}"""


#: the visible text of a page that is not data (``translate="no"``: a raw audit payload, names)
PAGE_TEXT = """() => {
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || el.closest('[translate=no], script, style')) continue;
    if ((el.closest('select') || el).checkVisibility()) parts.push(walker.currentNode.textContent);
  }
  return parts.join("");
}"""


def not_khmer(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Every page is checked, the transparency, audit and reports pages too (issue 16)."""
    return list(dict.fromkeys(page.evaluate(NOT_KHMER)))


def test_no_english_on_khmer_pages(new_page, ids, shot) -> None:  # type: ignore[no-untyped-def]
    """No catalogue text left in English, and no Latin letters or Western digits that are not
    data, on any Khmer page: public pages, and every back-office page (approvals of each state,
    imports, staff accounts, jobs, and the history of registered, corrected, approved and
    imported records) for each kind of user."""
    msgids = english_msgids()
    found: list[str] = []
    anonymous = new_page(lang="km")
    for where in walk(anonymous, PUBLIC, ids):
        assert anonymous.get_attribute("html", "lang") == "km", where
        found += [f"{where}: {m!r}"
                  for m in untranslated(anonymous.evaluate(PAGE_TEXT), msgids)]
        found += [f"{where}: {m}" for m in not_khmer(anonymous)]
    shot(anonymous, "eligibility-answer-km")
    for user in ("admin1", "reg-chamkarmon", "approver-pp"):
        staff = new_page(lang="km")
        sign_in(staff, user)
        for path in OFFICE:
            staff.goto(path.format(**ids))
            body = staff.evaluate(PAGE_TEXT)
            found += [f"{user} {path}: {m!r}" for m in untranslated(body, msgids)]
            found += [f"{user} {path}: {m}" for m in not_khmer(staff)]
            if user == "admin1":
                shot(staff, "km-" + re.sub(r"\W+", "-", path.format(**ids)).strip("-"))
        shot(staff, f"office-km-{user}")
    assert not found, "English text on Khmer pages:\n" + "\n".join(found)


def test_history_and_areas_are_said_in_the_readers_language(new_page, ids, shot) -> None:  # type: ignore[no-untyped-def]
    """Issue 13, item 17: what the system wrote in a history (an import, an approved request)
    is said in words of the page's language, with the file's own name; a staff member's area is
    named, not given as its code."""
    for lang, imported, approved, area in (
        ("km", r"បាននាំចូល · reg-chamkarmon · ការនាំចូលលេខ [០-៩]+៖ households\.csv",
         r"បានកែតម្រូវ · approver-pp · new phone · សំណើលេខ [០-៩]+ ដោយ reg-chamkarmon "
         r"អនុម័តដោយ approver-pp", "ទន្លេបាសាក់, ចំការមន, រាជធានីភ្នំពេញ"),
        ("en", r"Imported · reg-chamkarmon · import batch \d+: households\.csv",
         r"Corrected · approver-pp · new phone · request \d+ by reg-chamkarmon, approved by "
         r"approver-pp", "Tonle Basak, Chamkar Mon, Phnom Penh"),
    ):
        page = new_page(lang=lang)
        sign_in(page, "admin1")
        page.goto(f"/office/people/{ids['ipid']}")
        assert re.search(imported, page.locator("ul.history").inner_text()), lang
        page.goto(f"/office/people/{ids['pid']}")
        history = page.locator("ul.history").inner_text()
        assert re.search(approved, history), history
        shot(page, f"history-{lang}")
        page.goto("/office/users")
        row = page.locator("tr", has_text="reg-chamkarmon").inner_text()
        assert area in row and "120101" not in row, row
        page.goto(f"/office/users/{ids['uid']}")
        history = page.locator("main table").last.inner_text()
        assert area in history and "120101" not in history, history
        shot(page, f"staff-history-{lang}")
