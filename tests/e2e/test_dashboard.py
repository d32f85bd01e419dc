"""The public figures (issue 16) in Chromium: the dashboard in Khmer (the default) and English,
on a phone and on a desktop screen, its chart and its accessible tables, the open data links,
the audit trail's daily roots, and the staff reports page; axe finds no violation at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.indicators.service import IndicatorService
from spmis.registry.importer import import_enterprises, import_households
from spmis.synth.generator import generate
from tests.e2e.conftest import BROWSER, STATE, sign_in

pytestmark = BROWSER


@pytest.fixture(scope="module")
def figures(server: str, tmp_path_factory: pytest.TempPathFactory) -> int:  # type: ignore[no-untyped-def]
    """A registered population (imported) and a refresh of the figures."""
    folder: Path = tmp_path_factory.mktemp("figures")
    generate(households=400, seed=21, out_dir=folder, duplicate_share=0.0)
    ctx = AppContext.create(STATE["settings"])
    try:
        import_enterprises(ctx, folder / "enterprises.csv", SYSTEM, progress=False)
        import_households(ctx, folder / "households.csv", SYSTEM, progress=False)
        return IndicatorService(ctx).refresh("e2e").cells
    finally:
        ctx.engine.dispose()


def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    result = Axe().run(page)
    return [f"{v['id']} ({v.get('impact')}): {v['help']} {[n['target'] for n in v['nodes']][:3]}"
            for v in result.response["violations"]]


@pytest.mark.parametrize("lang", ["km", "en"])
def test_dashboard_on_a_phone(new_page, figures: int, shot, lang: str) -> None:  # type: ignore[no-untyped-def]
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


def test_dashboard_on_a_desktop(browser, server: str, figures: int, shot) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server,
                                  bypass_csp=True)
    try:
        page = context.new_page()
        page.goto("/transparency?lang=en")
        assert page.locator("h1").inner_text() == "Figures"
        assert violations(page) == []
        shot(page, "dashboard-en-desktop")
    finally:
        context.close()


def test_staff_reports_and_audit_trail(new_page, figures: int, shot) -> None:  # type: ignore[no-untyped-def]
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
