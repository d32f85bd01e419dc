"""Payments over HTTP: programmes, enrolment runs and applications, payment cycles (run as a
background job), the ledger, a household's payments, manual exits and shocks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from spmis.auth.deps import Ctx, CurrentActor
from spmis.jobs import JobService
from spmis.payments import schemas as s
from spmis.payments.cycle_job import KIND as CYCLE_KIND
from spmis.payments.service import PaymentsService

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
Id = Annotated[int, Path(ge=1, le=2**62)]
CodePath = Annotated[str, Path(min_length=1, max_length=40)]
Year = Annotated[int, Path(ge=2000, le=2100)]


@router.get("/programmes")
def list_programmes(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    """Every programme with this year's budget."""
    return PaymentsService(ctx).programmes(actor)


@router.post("/programmes/seed")
def seed_programmes(ctx: Ctx, actor: CurrentActor) -> dict[str, list[str]]:
    """Create the records of the catalogue's social assistance programmes (drafts)."""
    return {"created": PaymentsService(ctx).seed_programmes(actor)}


@router.get("/programmes/{code}")
def get_programme(code: CodePath, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """One programme: budgets, enrolment runs, cycles and beneficiaries by state."""
    return PaymentsService(ctx).programme(actor, code)


@router.post("/programmes/{code}/state")
def set_state(code: CodePath, body: s.StateIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Activate, suspend or close a programme."""
    version = PaymentsService(ctx).set_programme_state(actor, code, body.state, body.reason,
                                                       body.expected_version)
    return {"code": code, "state": body.state, "version": version}


@router.put("/programmes/{code}/budgets/{year}")
def set_budget(code: CodePath, year: Year, body: s.BudgetIn, ctx: Ctx,
               actor: CurrentActor) -> dict[str, Any]:
    """A programme's budget for a fiscal year, with its legal source."""
    PaymentsService(ctx).set_budget(actor, code, year, body.amount, body.currency,
                                    body.legal_reference)
    return {"code": code, "fiscal_year": year, "amount": body.amount}


@router.get("/enrolment-runs")
def list_enrolment_runs(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return PaymentsService(ctx).enrolment_runs(actor)


@router.post("/enrolment-runs", status_code=201)
def create_enrolment_run(body: s.EnrolmentRunIn, ctx: Ctx,
                         actor: CurrentActor) -> dict[str, Any]:
    """List a programme's candidates from a pinned evaluation run, with counts and amounts by
    province, commune and sex; pending until another approver decides."""
    return PaymentsService(ctx).create_enrolment_run(actor, body.programme,
                                                     body.evaluation_run_id)


@router.get("/enrolment-runs/{run_id}")
def get_enrolment_run(run_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return PaymentsService(ctx).enrolment_run(actor, run_id)


@router.post("/enrolment-runs/{run_id}/decision")
def decide_enrolment_run(run_id: Id, body: s.DecisionIn, ctx: Ctx,
                         actor: CurrentActor) -> dict[str, Any]:
    """Enrol the candidates (or reject the run): an approver other than the maker."""
    return PaymentsService(ctx).decide_enrolment(actor, run_id, body.approve, body.reason)


@router.post("/applications", status_code=201)
def apply(body: s.ApplicationIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Enrolment on application: one household, evaluated on its own."""
    return PaymentsService(ctx).apply(actor, body.programme, body.household_id, body.period)


@router.get("/cycles")
def list_cycles(ctx: Ctx, actor: CurrentActor,
                programme: Annotated[str | None, Query(max_length=40)] = None,
                ) -> list[dict[str, Any]]:
    return PaymentsService(ctx).cycles(actor, programme)


@router.post("/cycles", status_code=202)
def run_cycle(body: s.CycleIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Open a programme's month and compute its lines as a background job; follow the job at
    ``GET /api/v1/jobs/{id}``. Bad input is refused before anything is queued."""
    cycle_id = PaymentsService(ctx).open_cycle(actor, body.programme, body.period,
                                               body.evaluation_run_id)
    job = JobService(ctx).submit_checked(actor, CYCLE_KIND, {
        "programme": body.programme, "period": body.period,
        "evaluation_run_id": body.evaluation_run_id})
    return {"cycle_id": cycle_id, "job_id": job.id}


@router.get("/cycles/{cycle_id}")
def get_cycle(cycle_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """A cycle with its totals by province, sex, component and state, and its history."""
    return PaymentsService(ctx).cycle(actor, cycle_id)


@router.post("/cycles/{cycle_id}/approve")
def approve_cycle(cycle_id: Id, body: s.ApproveIn, ctx: Ctx,
                  actor: CurrentActor) -> dict[str, Any]:
    """A finance officer other than the maker approves the cycle (its payroll)."""
    lines = PaymentsService(ctx).approve_cycle(actor, cycle_id, body.reason)
    return {"cycle_id": cycle_id, "state": "approved", "lines_approved": lines}


@router.post("/cycles/{cycle_id}/lines", status_code=201)
def add_line(cycle_id: Id, body: s.LineIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Add one beneficiary's line before approval, at the amount the rules give."""
    line = PaymentsService(ctx).add_line(actor, cycle_id, body.beneficiary_id, body.amount)
    return {"line_id": line}


@router.get("/ledger/{code}/{year}")
def ledger(code: CodePath, year: Year, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Budget, committed, paid, failed, returned, pending and free, month by month."""
    return PaymentsService(ctx).ledger(actor, code, year)


@router.get("/households/{household_id}")
def household_payments(household_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """A household's programmes (with their history) and every payment line."""
    return PaymentsService(ctx).household_payments(actor, household_id)


@router.post("/beneficiaries/{beneficiary_id}/exit", status_code=202)
def request_exit(beneficiary_id: Id, body: s.ExitIn, ctx: Ctx,
                 actor: CurrentActor) -> dict[str, Any]:
    """Ask for a manual exit; it applies when an approver approves the request."""
    return {"approval_request_id": PaymentsService(ctx).request_exit(actor, beneficiary_id,
                                                                     body.reason)}


@router.get("/shocks")
def list_shocks(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return PaymentsService(ctx).shocks(actor)


@router.post("/shocks", status_code=201)
def declare_shock(body: s.ShockIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Declare a shock: its preview (households, cost) waits for another approver."""
    fields = body.model_dump()
    fields["programme_code"] = fields.pop("programme")
    return PaymentsService(ctx).declare_shock(actor, **fields)


@router.get("/shocks/{shock_id}")
def get_shock(shock_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return PaymentsService(ctx).shock(actor, shock_id)


@router.post("/shocks/{shock_id}/decision")
def decide_shock(shock_id: Id, body: s.DecisionIn, ctx: Ctx,
                 actor: CurrentActor) -> dict[str, Any]:
    return PaymentsService(ctx).decide_shock(actor, shock_id, body.approve, body.reason)
