"""The policy page of the back office (issue 13, item 22): a policy officer chooses a reform
(one of ``data/reforms.yaml``, or a new value of one parameter) and a month, the simulation runs
as a background job (``rules.simulate``), and its page shows cost and beneficiaries of each
programme, baseline against the reform, by province and by sex, as charts (inline SVG) and
tables, with the figures as a CSV file."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from spmis.errors import InvalidInput, NotFound
from spmis.formula_guard import write_csv
from spmis.jobs import Job, JobService, JobState
from spmis.pagekit import forms
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, check_csrf, require_actor
from spmis.pagekit.templating import gettext, render, request_locale
from spmis.pagekit.texts import N_
from spmis.rules import catalogue
from spmis.rules.parameter_listing import list_parameters
from spmis.rules.simulate_job import KIND, check_parameters
from spmis.rules.simulation import policy_parameters, presets

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CUSTOM = "custom"
REFRESH_SECONDS = 2
SEX_LABELS = {"F": N_("Women"), "M": N_("Men")}
UNKNOWN_SEX = N_("Sex not recorded")
CSV_COLUMNS = ["programme", "programme_name", "currency", "dimension", "key", "name", "unit",
               "baseline_beneficiaries", "reform_beneficiaries", "baseline_cost", "reform_cost",
               "cost_difference"]


def changeable_parameters() -> list[dict[str, Any]]:
    """The amounts and ages of ``data/policy_parameters.yaml`` with their names and value now."""
    now = {p["name"]: p["values"][-1]["value"] for p in list_parameters()
           if p["kind"] == "value" and p["values"]}
    return [{**p, "value": now[p["path"]]} for p in policy_parameters() if p["path"] in now]


def this_month(request: Request) -> str:
    zone = ZoneInfo(app_ctx(request).settings.timezone)
    return datetime.now(zone).strftime("%Y-%m")


def _form_page(request: Request, form: dict[str, str], errors: forms.FormErrors | None = None,
               status_code: int = 200, jobs: list[Job] | None = None) -> HTMLResponse:
    locale = request_locale(request)
    return render(request, "office/policy.html", {
        "presets": presets(), "custom": CUSTOM, "parameters": changeable_parameters(),
        "form": form, "errors": errors or forms.FormErrors(), "jobs": jobs or [],
        "locale": locale}, status_code=status_code, area="office")


@router.get("/office/policy", response_class=HTMLResponse)
async def policy_form(request: Request) -> HTMLResponse:
    """Choose a reform and a month; the user's earlier simulations."""
    actor = require_actor(request)
    jobs = await run_in_threadpool(JobService(app_ctx(request)).list, actor, kind=KIND,
                                   limit=10)
    return _form_page(request, {"reform": presets()[0].id, "period": this_month(request),
                                "start": this_month(request)}, jobs=jobs)


def _custom_change(form: dict[str, str]) -> dict[str, Any]:
    """The job parameters of "a new value for one parameter", or ``InvalidInput`` naming the
    field at fault."""
    known = {p["path"]: p for p in changeable_parameters()}
    chosen = known.get(form.get("parameter", ""))
    errors = []
    if chosen is None:
        errors.append(forms_error("parameter", "missing", "choose the amount or age to change",
                                  "សូមជ្រើសរើសចំនួនទឹកប្រាក់ ឬអាយុដែលត្រូវផ្លាស់ប្តូរ"))
    value: float | None = None
    try:
        value = float(form.get("value", "").replace(",", "").strip())
    except ValueError:
        errors.append(forms_error("value", "not_a_number",
                                  "write the new value as a number, 0 to 1,000,000,000",
                                  "សូមសរសេរតម្លៃថ្មីជាលេខ ពី ០ ដល់ ១,០០០,០០០,០០០"))
    if value is not None and not 0 <= value <= 1_000_000_000:
        errors.append(forms_error("value", "out_of_range",
                                  "the new value must be from 0 to 1,000,000,000",
                                  "តម្លៃថ្មីត្រូវតែពី ០ ដល់ ១,០០០,០០០,០០០"))
    start = form.get("start", "")
    from spmis.rules.periods import period_problem

    problem = period_problem(start)
    if problem is not None:
        errors.append(forms_error("start", "invalid", *problem))
    if errors:
        raise InvalidInput(errors)
    assert chosen is not None and value is not None
    number: int | float = int(value) if value == int(value) else value
    return {"name": f"{chosen['name_en']}: {number:,}",
            "name_km": f"{chosen['name_km']}៖ {number:,}",
            "changes": {chosen["path"]: {"start": f"{start}-01", "value": number}},
            "programmes": None}


def forms_error(field: str, code: str, en: str, km: str) -> Any:
    from spmis.errors import FieldError

    return FieldError((field,), code, en, km)


def _job_parameters(form: dict[str, str]) -> dict[str, Any]:
    """The job's parameters from the form; every field at fault named at once."""
    from spmis.rules.periods import period_problem

    errors = []
    problem = period_problem(form["period"])
    if problem is not None:
        errors.append(forms_error("period", "invalid", *problem))
    custom: dict[str, Any] = {}
    if form["reform"] == CUSTOM:
        try:
            custom = _custom_change(form)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    if form["reform"] == CUSTOM:
        return {"period": form["period"], **custom}
    return {"period": form["period"], "preset": form["reform"] or None}


@router.post("/office/policy", response_class=HTMLResponse)
async def policy_run(request: Request) -> Response:
    """Start the simulation as a background job and go to its page."""
    raw = await request.form()
    check_csrf(request, raw)
    actor = require_actor(request)
    form = {k: (forms.text(raw, k) or "") for k in ("reform", "parameter", "value", "start",
                                                      "period")}
    try:
        checked = check_parameters(_job_parameters(form))
    except InvalidInput as exc:
        errors = forms.FormErrors.of(exc.errors, request_locale(request), aliases={
            "parameters.period": "period", "parameters.preset": "reform",
            "parameters.changes": "parameter"})
        return _form_page(request, form, errors, 422)
    job = await run_in_threadpool(JobService(app_ctx(request)).submit, actor, KIND, checked)
    return RedirectResponse(f"/office/policy/{job.id}", status_code=303)


# ------------------------------------------------------------------------ the result
#: bar charts (office/policy_chart.html): the longest bar, in the chart's units (the chart is
#: 400 units wide; the rest holds the figure written after the bar)
BAR_UNITS = 270


@dataclass(frozen=True)
class Bar:
    """One group of a bar chart: its label, baseline and reform figures, and their bars'
    lengths in chart units (the largest figure of the chart gets ``BAR_UNITS``)."""

    label: str
    baseline: int
    reform: int
    baseline_len: float
    reform_len: float


def bars(groups: list[tuple[str, int, int]]) -> list[Bar]:
    top = max([max(b, r) for _, b, r in groups] + [1])
    return [Bar(label, b, r, round(BAR_UNITS * b / top, 1), round(BAR_UNITS * r / top, 1))
            for label, b, r in groups]


def _job(request: Request, job_id: int) -> Job:
    job = JobService(app_ctx(request)).get(require_actor(request), job_id)
    if job.kind != KIND:
        raise NotFound(f"simulation {job_id} not found", f"រកមិនឃើញការក្លែងធ្វើ {job_id}")
    return job


def _frame(job: Job) -> pl.DataFrame:
    rows = (job.result or {}).get("rows") or []
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def _name(locale: str, programme_id: str) -> str:
    try:
        p = catalogue.programme(programme_id)
    except KeyError:
        return programme_id
    return p.name_km if locale == "km" else p.name_en


def _place(request: Request, code: str, locale: str) -> str:
    unit = app_ctx(request).gazetteer.get(code)
    if unit is None:
        return code
    return unit.name_km if locale == "km" else unit.name_en


def _result_context(request: Request, job: Job, programme: str | None) -> dict[str, Any]:
    locale = request_locale(request)
    frame = _frame(job)
    context: dict[str, Any] = {"job": job, "refresh": REFRESH_SECONDS, "locale": locale,
                               "final": job.is_final}
    if job.state != JobState.SUCCEEDED or frame.is_empty():
        return context
    totals = frame.filter(pl.col("dimension") == "total")
    ids = totals["programme"].to_list()
    if programme is None or programme not in ids:  # the programme the reform changes most
        programme = str(totals.sort(pl.col("cost_difference").abs(), descending=True)[
            "programme"][0])
    total = totals.filter(pl.col("programme") == programme).row(0, named=True)
    rows = frame.filter(pl.col("programme") == programme)
    provinces = [{**r, "name": _place(request, r["key"], locale)} for r in
                 rows.filter(pl.col("dimension") == "province").sort("key").iter_rows(named=True)]
    sexes = [{**r, "name": gettext(request, SEX_LABELS.get(r["key"], UNKNOWN_SEX))}
             for r in rows.filter(pl.col("dimension") == "sex").sort("key").iter_rows(named=True)]
    context.update({
        "programmes": [{**r, "name": _name(locale, r["programme"])}
                       for r in totals.iter_rows(named=True)],
        "programme": programme, "programme_name": _name(locale, programme), "total": total,
        "provinces": provinces, "sexes": sexes,
        "cost_by_province": bars([(p["name"], p["baseline_cost"], p["reform_cost"])
                                  for p in provinces]),
        "paid_by_province": bars([(p["name"], p["baseline_beneficiaries"],
                                   p["reform_beneficiaries"]) for p in provinces]),
        "paid_by_sex": bars([(s["name"], s["baseline_beneficiaries"],
                              s["reform_beneficiaries"]) for s in sexes]),
    })
    return context


@router.get("/office/policy/{job_id}", response_class=HTMLResponse)
async def policy_result(request: Request, job_id: int, programme: str | None = None
                        ) -> HTMLResponse:
    """A simulation: its progress while it runs, then its figures as charts and tables."""
    job = await run_in_threadpool(_job, request, job_id)
    return render(request, "office/policy_result.html",
                  _result_context(request, job, programme), area="office")


@router.get("/office/policy/{job_id}/status", response_class=HTMLResponse)
async def policy_status(request: Request, job_id: int) -> Response:
    """While the job runs, htmx asks for its status; once it ended, the whole page reloads to
    show the figures."""
    job = await run_in_threadpool(_job, request, job_id)
    if job.is_final:
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return render(request, "office/policy_status.html", _result_context(request, job, None),
                  area="office")


@router.get("/office/policy/{job_id}/figures.csv")
async def policy_csv(request: Request, job_id: int) -> Response:
    """Every figure of a finished simulation (by programme, province and sex) as CSV."""
    job = await run_in_threadpool(_job, request, job_id)
    frame = _frame(job)
    if frame.is_empty():
        raise NotFound("the simulation has no figures yet", "ការក្លែងធ្វើមិនទាន់មានលទ្ធផលនៅឡើយ")
    locale = request_locale(request)
    names = {c: _name(locale, c) for c in frame["programme"].unique().to_list()}
    places = {k: (_place(request, k, locale) if d == "province" else
                  gettext(request, SEX_LABELS.get(k, UNKNOWN_SEX)) if d == "sex" else "")
              for d, k in frame.select("dimension", "key").unique().iter_rows()}
    out = frame.with_columns(
        pl.col("programme").replace_strict(names, return_dtype=pl.Utf8).alias("programme_name"),
        pl.col("key").replace_strict(places, default="", return_dtype=pl.Utf8).alias("name"),
    ).select(CSV_COLUMNS)
    buffer = io.BytesIO()
    write_csv(out, buffer)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="simulation-{job_id}.csv"',
        "Cache-Control": "no-store"})
