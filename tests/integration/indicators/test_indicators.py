"""Indicators (issue 16): computed set-based on both engines from the registry and the payments
tables as migration 0011 created them; refreshed as a background job (on demand and on its
schedule) with the time shown; published with small cells withheld; the staff report at the
user's scope as XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import audit_values
from spmis.db.tables import metadata
from spmis.indicators.model import ALL, Indicator
from spmis.indicators.refresh_job import KIND
from spmis.indicators.service import IndicatorService
from spmis.jobs import JobService, JobState
from spmis.jobs.worker import JobWorker
from spmis.registry import queries as registry
from spmis.registry.importer import import_enterprises, import_households
from spmis.synth.generator import generate


@pytest.fixture
def population(ctx: AppContext, tmp_path: Path) -> AppContext:
    generate(households=80, seed=11, out_dir=tmp_path / "synth", duplicate_share=0.0)
    import_enterprises(ctx, tmp_path / "synth" / "enterprises.csv", SYSTEM, progress=False)
    import_households(ctx, tmp_path / "synth" / "households.csv", SYSTEM, progress=False)
    return ctx


def _pay(ctx: AppContext, rows: list[tuple[str, str, str, int, str]]) -> None:
    """Entitlements on the landed payments schema: (province, sex, period, amount, state)."""
    t = metadata.tables
    now = utcnow()
    with ctx.engine.begin() as conn:
        hid = conn.execute(select(func.min(registry.households().c.id))).scalar_one()
        pid = conn.execute(insert(t["programme"]).values(
            code="family_package", name_en="Family package", name_km="កញ្ចប់គ្រួសារ",
            kind="cash_transfer", rules_programme="family_package",
            rules_variable="family_package_amount", entity="household", currency="KHR",
            frequency="monthly", start_date=date(2026, 1, 1), state="active",
            **audit_values("test", now)).returning(t["programme"].c.id)).scalar_one()
        cycles: dict[str, int] = {}
        for n, (province, sex, period, amount, state) in enumerate(rows):
            if period not in cycles:
                cycles[period] = conn.execute(insert(t["payment_cycle"]).values(
                    programme_id=pid, period=period, sequence=1, evaluation_run_id=1,
                    state="closed", currency="KHR", **audit_values("test", now))
                    .returning(t["payment_cycle"].c.id)).scalar_one()
            bid = conn.execute(insert(t["beneficiary"]).values(
                programme_id=pid, entity="household", entity_id=n + 1, household_id=hid,
                state="enrolled", source="run", **audit_values("test", now))
                .returning(t["beneficiary"].c.id)).scalar_one()
            conn.execute(insert(t["entitlement"]).values(
                cycle_id=cycles[period], payroll_cycle_id=cycles[period], programme_id=pid,
                beneficiary_id=bid, household_id=hid, amount=amount, period=period,
                component="benefit", currency="KHR", state=state, province_code=province,
                commune_code=province + "0101", recipient_sex=sex))


def _value(values: list[Any], indicator: Indicator, province: str = ALL, sex: str = ALL,
           period: str = "") -> int | None:
    [v] = [v for v in values if v.indicator == indicator.value and v.province_code == province
           and v.sex == sex and v.period == period]
    return v.value


def test_registry_and_payment_indicators_match_the_records(population: AppContext) -> None:
    ctx = population
    _pay(ctx, [("12", "F", "2026-11", 300_000, "paid")] * 12
         + [("12", "M", "2026-11", 300_000, "paid")] * 11
         + [("08", "F", "2026-11", 300_000, "paid")] * 3
         + [("08", "M", "2026-11", 300_000, "failed")] * 2)
    done = IndicatorService(ctx).refresh("tester")
    assert done.cells > 0
    with ctx.engine.connect() as conn:
        p, h = registry.people(), registry.households()
        people = conn.execute(select(func.count()).select_from(p.join(
            h, h.c.id == p.c.household_id)).where(p.c.status == "active",
                                                  h.c.status == "active")).scalar_one()
        women = conn.execute(select(func.count()).select_from(p.join(
            h, h.c.id == p.c.household_id)).where(p.c.status == "active", p.c.sex == "F",
                                                  h.c.status == "active")).scalar_one()
    staff = IndicatorService(ctx).staff_report(SYSTEM)
    assert _value(staff, Indicator.PEOPLE) == people
    assert _value(staff, Indicator.PEOPLE, sex="F") == women
    assert _value(staff, Indicator.HOUSEHOLDS) == 80
    assert _value(staff, Indicator.BENEFICIARIES, "12", "F", "2026-11") == 12
    assert _value(staff, Indicator.BENEFICIARIES, period="2026-11") == 26
    assert _value(staff, Indicator.AMOUNT, "12", period="2026-11") == 23 * 300_000
    assert _value(staff, Indicator.FAILED, "08", "M", "2026-11") == 2

    refresh, published = IndicatorService(ctx).open_data()
    assert refresh is not None and refresh.id == done.id
    assert _value(published, Indicator.BENEFICIARIES, "08", "F", "2026-11") is None  # 3
    assert _value(published, Indicator.AMOUNT, "08", "F", "2026-11") is None
    hidden = [(v.province_code, v.sex) for v in published
              if v.indicator == Indicator.BENEFICIARIES.value and v.value is None]
    assert len(hidden) >= 4  # the 3 and what would give it away through the totals
    assert [(v.province_code, v.sex) for v in published
            if v.indicator == Indicator.AMOUNT.value and v.value is None] == hidden
    assert all(v.value is None or v.value >= 10 for v in published
               if v.indicator != Indicator.AMOUNT.value)


def test_a_district_officer_sees_only_the_district(population: AppContext) -> None:
    ctx = population
    with ctx.engine.connect() as conn:
        h = registry.households()
        district, count = conn.execute(
            select(func.substr(h.c.village_code, 1, 4).label("d"), func.count())
            .group_by("d").order_by(func.count().desc()).limit(1)).one()
    officer = Actor("officer", frozenset({"registrar"}), district)
    values = IndicatorService(ctx).staff_report(officer)
    assert _value(values, Indicator.HOUSEHOLDS) == count
    assert {v.province_code for v in values} <= {district[:2], ALL}


def test_refresh_runs_as_a_job_on_demand_and_on_schedule(ctx: AppContext) -> None:
    po = Actor("po", frozenset({"programme_officer"}), "")
    job = JobService(ctx).submit(po, KIND, {})
    JobWorker(ctx).drain()
    done = JobService(ctx).get(po, job.id)
    assert done.state == JobState.SUCCEEDED and done.result is not None
    refresh, _ = IndicatorService(ctx).latest()
    assert refresh is not None and refresh.id == done.result["refresh_id"]
    assert refresh.refreshed_by == "po"
    worker = JobWorker(ctx)
    assert worker.submit_scheduled() == []  # the last refresh is recent
    with ctx.engine.begin() as conn:  # six hours and a minute later
        from sqlalchemy import update

        jobs = metadata.tables["job"]
        conn.execute(update(jobs).values(created_at=utcnow().replace(year=2025)))
    [scheduled] = worker.submit_scheduled()
    worker.drain()
    assert JobService(ctx).get(SYSTEM, scheduled).state == JobState.SUCCEEDED
    assert IndicatorService(ctx).latest()[0].refreshed_by == "system"  # type: ignore[union-attr]


def test_open_data_and_staff_report_downloads(population: AppContext, client, auth_client) -> None:  # type: ignore[no-untyped-def]
    ctx = population
    IndicatorService(ctx).refresh("tester")
    page = client.get("/transparency", params={"lang": "en"})
    assert page.status_code == 200 and "Figures as of" in page.text
    rows = list(csv.DictReader(io.StringIO(client.get("/transparency/indicators.csv").text)))
    assert rows and all(r["value"] == "" or int(r["value"]) >= 10 for r in rows)
    assert all((r["value"] == "") == (r["suppressed"] == "True") for r in rows)
    body = client.get("/transparency/indicators.json").json()
    assert len(body["cells"]) == len(rows) and body["threshold"] == 10
    assert client.get("/office/reports/indicators.xlsx").status_code in (401, 303)
    xlsx = auth_client("registrar", "12").get("/office/reports/indicators.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content))["people_registered"]
    provinces = {row[3] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert provinces <= {"12", ALL}
    api = auth_client("auditor").get("/api/v1/indicators/report").json()
    assert api["cells"] and client.get("/api/v1/indicators").json()["threshold"] == 10
