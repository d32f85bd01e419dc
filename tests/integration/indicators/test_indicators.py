"""Indicators (issue 16): computed set-based on both engines from the registry and the payments
tables as migration 0011 created them; refreshed as a background job (on demand and on its
schedule) with the time shown; published with small cells withheld; the staff report at the
user's scope as XLSX."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
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


def test_payments_on_time_and_late_by_their_due_date(population: AppContext) -> None:
    """A month's payment is due the programme's days after the month's end (the dated parameter
    of ``payments/schedule.yaml``): a line settled by then is on time, later is late."""
    from spmis.payments.schedule import due_date

    ctx = population
    _pay(ctx, [("12", "F", "2026-11", 300_000, "paid")] * 12
         + [("12", "M", "2026-11", 300_000, "paid")] * 11
         + [("12", "M", "2026-11", 300_000, "failed")] * 2)
    due = due_date("family_package", "2026-11")
    assert due.on == date(2026, 11, 30) + (due.on - date(2026, 11, 30)) and due.days >= 0
    assert "Unconfirmed" in due.reference
    e = metadata.tables["entitlement"]
    with ctx.engine.begin() as conn:
        conn.execute(e.update().where(e.c.recipient_sex == "F", e.c.state == "paid")
                     .values(settled_on=due.on))
        conn.execute(e.update().where(e.c.recipient_sex == "M", e.c.state == "paid")
                     .values(settled_on=due.on + timedelta(days=1)))
    staff = IndicatorService(ctx).staff_report(SYSTEM)
    assert _value(staff, Indicator.ON_TIME, "12", "F", "2026-11") == 12
    assert _value(staff, Indicator.ON_TIME, period="2026-11") == 12
    assert _value(staff, Indicator.LATE, "12", "M", "2026-11") == 11
    assert _value(staff, Indicator.LATE, period="2026-11") == 11
    IndicatorService(ctx).refresh("tester")
    _, published = IndicatorService(ctx).open_data()
    timely = [v for v in published
              if v.indicator in (Indicator.ON_TIME.value, Indicator.LATE.value)]
    assert len(timely) == 2 * 2 * 3  # each table: province 12 and the total, by F, M, all
    assert all(v.value is None or v.value >= 10 for v in timely)  # men on time: 0, withheld


def test_grievance_indicators_by_province(ctx: AppContext) -> None:
    """Received, resolved, resolved by the deadline in force and the median days to resolve,
    by province of the commune complained about (the complainant's sex is not recorded: U)."""
    from spmis.grievances.model import Intake
    from spmis.grievances.service import GrievanceService
    from spmis.grievances.store import grievance

    service = GrievanceService(ctx)
    ids = [service.submit(Intake(category="payment_not_received", area_code=area,
                                 description="The payment of November did not arrive.")).id
           for area in ["12010101"] * 4 + ["010201"] * 2]
    start = utcnow() - timedelta(days=30)
    # resolved after 2, 4 and 6 days in Phnom Penh (12), 10 days in Banteay Meanchey (01),
    # each against a deadline of 7 days; one open in each province
    with ctx.engine.begin() as conn:
        for gid, days in zip(ids, [2, 4, 6, None, 10, None], strict=True):
            conn.execute(grievance.update().where(grievance.c.id == gid).values(
                received_at=start, deadline=start + timedelta(days=7),
                resolved_at=None if days is None else start + timedelta(days=days),
                status="received" if days is None else "resolved"))
    staff = IndicatorService(ctx).staff_report(SYSTEM)
    assert _value(staff, Indicator.GRIEVANCES, "12", "U") == 4
    assert _value(staff, Indicator.GRIEVANCES) == 6
    assert _value(staff, Indicator.RESOLVED, "12", "U") == 3
    assert _value(staff, Indicator.RESOLVED) == 4
    assert _value(staff, Indicator.RESOLVED_ON_TIME, "12", "U") == 3
    assert _value(staff, Indicator.RESOLVED_ON_TIME) == 3
    assert _value(staff, Indicator.GRIEVANCE_DAYS, "12", "U") == 4
    assert _value(staff, Indicator.GRIEVANCE_DAYS, "01", "U") == 10
    assert _value(staff, Indicator.GRIEVANCE_DAYS) == 5  # (4 + 6) / 2 over the country
    assert not [v for v in staff if v.indicator.startswith("grievance") and v.sex in ("F", "M")]
    officer = Actor("officer", frozenset({"grievance_officer"}), "01")
    assert _value(IndicatorService(ctx).staff_report(officer), Indicator.GRIEVANCES) == 2
    IndicatorService(ctx).refresh("tester")
    _, published = IndicatorService(ctx).open_data()
    # fewer than 10 resolved: every median withheld with its count
    assert {v.value for v in published if v.indicator == Indicator.GRIEVANCE_DAYS.value} == {None}


def test_staff_report_as_pdf(population: AppContext, client, auth_client) -> None:  # type: ignore[no-untyped-def]
    """Issue 16, item 5: the report downloads as PDF at the user's scope; page 1 rasterised is
    not blank and its Khmer is set in Noto Sans Khmer, in Khmer and in English."""
    from tests.pdf_check import MIN_INK, first_page_glyphs, first_page_image, ink, shaping_faults

    assert client.get("/office/reports/indicators.pdf").status_code in (401, 303)
    registrar = auth_client("registrar", "12")
    km = registrar.get("/office/reports/indicators.pdf", params={"lang": "km"})
    assert km.status_code == 200 and km.headers["content-type"] == "application/pdf"
    assert ink(first_page_image(km.content)) > MIN_INK  # page 1 is not blank
    glyphs = first_page_glyphs(km.content)
    # every Khmer letter in Noto Sans Khmer (no fallback's .notdef boxes), subscripts present.
    # tests.pdf_check's coeng-position check is not used here: on this page PDFium's text layer
    # gives some subscript glyphs (a shared glyph, e.g. the subscript of "អ្នក" and "ភ្នំ") the
    # position of another cluster, though the page image shows them in place (docs/img)
    assert [f for f in shaping_faults(glyphs) if "drawn in" in f or "no coeng" in f] == []
    text = "".join(g.char for g in glyphs)
    assert any("០" <= c <= "៩" for c in text)  # the figures in Khmer digits
    en = registrar.get("/office/reports/indicators.pdf", params={"lang": "en"})
    assert en.status_code == 200 and en.content.startswith(b"%PDF")
    text = "".join(g.char for g in first_page_glyphs(en.content))
    assert "People registered" in text and "Phnom Penh" in text


def test_fund_indicators_through_its_queries(population: AppContext) -> None:
    """Members with an affiliation in force, contributions due and the workers they are for
    (by the employer's province and the worker's sex), and per employer what was invoiced,
    collected and is overdue (by the employer's province)."""
    ctx, t, now = population, metadata.tables, utcnow()
    today = now.date()
    with ctx.engine.begin() as conn:
        enterprise_id = conn.execute(select(func.min(t["enterprise"].c.id))).scalar_one()
        employer = conn.execute(insert(t["fund_employer"]).values(
            enterprise_id=enterprise_id, employer_number="E-1", name="Factory", sector="garment",
            village_code="12010101", address="Street 1", contact_name="Boss",
            first_hire_date=date(2025, 1, 1), registered_on=date(2025, 1, 1),
            registration_due=date(2025, 1, 31), **audit_values("test", now))
            .returning(t["fund_employer"].c.id)).scalar_one()
        p, h = registry.people(), registry.households()
        people = conn.execute(select(p.c.id, p.c.sex, h.c.province_code)
                              .join(h, h.c.id == p.c.household_id)
                              .where(p.c.status == "active").order_by(p.c.id).limit(12)).all()
        for n, person in enumerate(people):
            conn.execute(insert(t["fund_affiliation"]).values(
                person_id=person.id, employer_id=employer, kind="employee", scheme="formal",
                start_date=date(2025, 1, 1), end_date=None if n else date(2025, 6, 30),
                declared_on=date(2025, 1, 1), declaration_due=date(2025, 1, 31),
                **audit_values("test", now)))
            conn.execute(insert(t["fund_contribution"]).values(
                period="2026-10", employer_id=employer, person_id=person.id, declaration_id=1,
                run_id=1, wage_khr=1_000_000, base_occupational=1_000_000,
                base_pension=1_000_000, occupational_risk=8_000, health_care_employer=26_000,
                health_care_worker=0, pension_employer=20_000, pension_worker=20_000,
                total=74_000))
        conn.execute(insert(t["fund_invoice"]).values(
            employer_id=employer, period="2026-10", kind="contribution", sequence=1,
            amount=12 * 74_000, paid=500_000, currency="KHR",
            due_date=today - timedelta(days=3), state="partly_paid",
            **audit_values("test", now)))
    staff = IndicatorService(ctx).staff_report(SYSTEM)
    in_force = people[1:]  # the first one's affiliation ended
    women = sum(1 for x in in_force if x.sex == "F")
    assert _value(staff, Indicator.FUND_MEMBERS) == 11
    assert _value(staff, Indicator.FUND_MEMBERS, sex="F") == women
    assert _value(staff, Indicator.FUND_CONTRIBUTORS, "12", period="2026-10") == 12
    assert _value(staff, Indicator.FUND_CONTRIBUTIONS, "12", period="2026-10") == 12 * 74_000
    assert _value(staff, Indicator.FUND_EMPLOYERS, "12", "U", "2026-10") == 1
    assert _value(staff, Indicator.FUND_COLLECTED, "12", "U", "2026-10") == 500_000
    assert _value(staff, Indicator.FUND_ARREARS, period="2026-10") == 12 * 74_000 - 500_000
    IndicatorService(ctx).refresh("tester")
    _, published = IndicatorService(ctx).open_data()
    # one employer: what it paid and owes is withheld with the count of employers
    assert _value(published, Indicator.FUND_COLLECTED, period="2026-10") is None
    assert _value(published, Indicator.FUND_ARREARS, period="2026-10") is None


def test_open_data_after_a_restore_is_the_restored_refresh(population: AppContext) -> None:
    """The published tables are kept per process and refresh; after a restore from a backup a
    refresh id comes again for another refresh, whose own cells are then published."""
    from spmis.indicators.store import indicator_cell, indicator_refresh

    service = IndicatorService(population)
    first = service.refresh("tester")
    before = {(v.indicator, v.province_code, v.sex): v.value for v in service.open_data()[1]}
    assert before[(Indicator.PEOPLE.value, ALL, ALL)] is not None
    with population.engine.begin() as conn:  # the restored database: the same id, later
        conn.execute(indicator_cell.delete())
        conn.execute(indicator_refresh.delete())
        conn.execute(insert(indicator_refresh).values(
            id=first.id, refreshed_at=first.refreshed_at + timedelta(minutes=5),
            refreshed_by="restored", seconds=0.1, cells=1))
        conn.execute(insert(indicator_cell).values(
            refresh_id=first.id, indicator=Indicator.PEOPLE.value, province_code="12", sex="F",
            value=12_345))
    refresh, published = service.open_data()
    assert refresh is not None and refresh.refreshed_by == "restored"
    assert before[(Indicator.PEOPLE.value, ALL, ALL)] != 12_345
    people = {v.value for v in published if v.indicator == Indicator.PEOPLE.value}
    assert people - {None} == {12_345}
