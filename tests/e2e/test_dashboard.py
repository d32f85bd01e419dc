"""The public figures (issue 16) in Chromium: the dashboard in Khmer (the default) and English,
on a phone and on a desktop screen, its chart and its accessible tables, the open data links,
the audit trail's daily roots, and the staff reports page; axe finds no violation at all."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.config import Settings
from spmis.context import AppContext
from spmis.db.migrate import upgrade
from spmis.grievances.model import Intake
from spmis.grievances.service import GrievanceService
from spmis.indicators.service import IndicatorService
from spmis.registry.importer import import_enterprises, import_households
from spmis.synth.generator import generate
from tests.e2e.conftest import BROWSER, PASSWORD, PHONE, run_server, sign_in
from tests.e2e.test_every_page import not_khmer

pytestmark = BROWSER


def _key(n: int = 32) -> str:
    return base64.b64encode(os.urandom(n)).decode()


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own (the imported population must not show in other modules' pages)
    with a registered population and a refresh of the figures; its base URL."""
    tmp = tmp_path_factory.mktemp("figures")
    env = {**os.environ, "SPMIS_ENV": "test",
           "SPMIS_DATABASE_URL": f"sqlite:///{tmp / 'spmis.db'}",
           "SPMIS_VAR_DIR": str(tmp / "var"), "SPMIS_SECRET_KEY": _key(48),
           "SPMIS_ENCRYPTION_KEYS": f"e2e:{_key()}", "SPMIS_BLIND_INDEX_KEY": _key(),
           "SPMIS_PUBLIC_RATE_PER_MINUTE": "100000", "SPMIS_PUBLIC_RATE_BURST": "100000"}
    upgrade(env["SPMIS_DATABASE_URL"])
    ctx = AppContext.create(Settings(
        env="test", database_url=env["SPMIS_DATABASE_URL"], var_dir=tmp / "var",
        secret_key=env["SPMIS_SECRET_KEY"], encryption_keys=env["SPMIS_ENCRYPTION_KEYS"],
        blind_index_key=env["SPMIS_BLIND_INDEX_KEY"]))
    try:
        AccountService(ctx).create_user("admin1", "admin", "", SYSTEM, password=PASSWORD)
        generate(households=400, seed=21, out_dir=tmp / "synth", duplicate_share=0.0)
        import_enterprises(ctx, tmp / "synth" / "enterprises.csv", SYSTEM, progress=False)
        import_households(ctx, tmp / "synth" / "households.csv", SYSTEM, progress=False)
        grievances = GrievanceService(ctx)
        for _ in range(3):  # the complaints' table (each value withheld: fewer than 10)
            grievances.submit(Intake(category="payment_not_received", area_code="12010101",
                                     description="The payment of November did not arrive."))
        IndicatorService(ctx).refresh("e2e")
    finally:
        ctx.engine.dispose()
    with run_server(env, tmp) as base:
        yield base


@pytest.fixture
def new_page(browser, figures: str):  # type: ignore[no-untyped-def]
    """A page of the figures' server in a fresh 360-px context; fails on any browser error."""
    contexts, errors = [], []

    def make(lang: str | None = None, bypass_csp: bool = False):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport=PHONE, base_url=figures, bypass_csp=bypass_csp)
        if lang:
            context.add_cookies([{"name": "spmis_lang", "value": lang, "url": figures}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page

    yield make
    for c in contexts:
        c.close()
    assert not errors, f"the browser logged errors: {errors}"


def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    result = Axe().run(page)
    return [f"{v['id']} ({v.get('impact')}): {v['help']} {[n['target'] for n in v['nodes']][:3]}"
            for v in result.response["violations"]]


@pytest.mark.parametrize("lang", ["km", "en"])
def test_dashboard_on_a_phone(new_page, shot, lang: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang=lang, bypass_csp=True)
    page.goto("/transparency")
    assert page.get_attribute("html", "lang") == lang
    heading = page.locator("h1").inner_text()
    assert heading == ("តួលេខ" if lang == "km" else "Figures")
    chart = page.locator("figure.chart svg[role=img]")
    assert chart.count() == 1 and chart.locator("rect.chart-bar").count() >= 1
    rows = page.locator("#people-table").locator("xpath=ancestor::table//tbody/tr")
    assert rows.count() >= 1
    assert page.locator("a[href='/transparency/indicators.csv']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert violations(page) == []
    shot(page, f"dashboard-{lang}-phone")
    page.click("a[href='/transparency/audit']")
    page.wait_for_url("**/transparency/audit")
    assert page.locator("code.hash").count() >= 1  # the import was chained
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert violations(page) == []
    shot(page, f"audit-roots-{lang}-phone")


def test_dashboard_on_a_desktop(browser, figures: str, shot) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=figures,
                                  bypass_csp=True)
    try:
        page = context.new_page()
        page.goto("/transparency?lang=en")
        assert page.locator("h1").inner_text() == "Figures"
        assert violations(page) == []
        shot(page, "dashboard-en-desktop")
    finally:
        context.close()


def test_staff_reports_and_audit_trail(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    page = new_page(lang="en", bypass_csp=True)
    sign_in(page, "admin1")
    page.goto("/office/reports")
    assert page.locator("h1").inner_text() == "Reports"
    assert violations(page) == []
    shot(page, "reports-en-admin")
    with page.expect_download() as download:
        page.click("a[href='/office/reports/indicators.xlsx']")
    assert download.value.suggested_filename == "indicators.xlsx"
    page.click("button:has-text('Refresh the public figures now')")
    page.wait_for_url("**/office/jobs/*")
    page.goto("/office/audit")
    assert page.locator("tr[data-seq]").count() >= 1
    assert violations(page) == []
    shot(page, "audit-trail-en-admin")


def test_figures_and_audit_pages_are_khmer_on_khmer_pages(new_page, shot) -> None:  # type: ignore[no-untyped-def]
    """With figures and a chain to show: no English word, Western digit or raw JSON outside
    what is data on the Khmer dashboard, daily roots, reports and audit entries; the formats
    are said in words; an audit entry names its record and action in words."""
    found: list[str] = []
    page = new_page(lang="km")
    for path in ("/transparency", "/transparency/audit"):
        page.goto(path)
        found += [f"{path}: {m}" for m in not_khmer(page)]
        shot(page, "km-" + path.strip("/").replace("/", "-"))
    page.goto("/transparency")
    assert page.locator("#grievances-caption").count() == 1
    csv = page.locator("a[data-format=csv]").inner_text()
    assert "តារាង" in csv and csv.endswith("(CSV)"), csv
    sign_in(page, "admin1")
    for path in ("/office/reports", "/office/audit"):
        page.goto(path)
        found += [f"{path}: {m}" for m in not_khmer(page)]
        shot(page, "km-" + path.strip("/").replace("/", "-"))
    row = page.locator("tr[data-entity=household][data-action=import]").first.inner_text()
    assert "គ្រួសារ" in row and "បាននាំចូល" in row and "{" not in row, row
    assert not found, "English text on Khmer pages:\n" + "\n".join(found)
