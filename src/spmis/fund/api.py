"""The social security fund over HTTP: employers and their accounts, workers, notified rates,
monthly declarations (typed, or a CSV/XLSX file with row-level rejects), the month's
contribution run (a background job), invoices with KHQR, payments received and arrears."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path as FilePath
from typing import IO, Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from spmis.auth.deps import Ctx, CurrentActor
from spmis.auth.model import Actor
from spmis.config import private_dir
from spmis.context import AppContext
from spmis.errors import InvalidInput
from spmis.fund import schemas as s
from spmis.fund.run_job import KIND as RUN_KIND
from spmis.fund.service import FundService, RawLine
from spmis.jobs import JobService

router = APIRouter(prefix="/api/v1/fund", tags=["fund"])
Id = Annotated[int, Path(ge=1, le=2**62)]
MonthPath = Annotated[str, Path(min_length=7, max_length=7)]


@router.get("/employers")
def list_employers(ctx: Ctx, actor: CurrentActor,
                   q: Annotated[str | None, Query(max_length=100)] = None,
                   ) -> list[dict[str, Any]]:
    """Employers in the caller's area (by name or employer number); an employer: its own."""
    return FundService(ctx).employers(actor, q)


@router.post("/employers", status_code=201)
def register_employer(body: s.EmployerIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Register a registry enterprise with the fund (the 30-day deadline is kept)."""
    return FundService(ctx).register_employer(actor, body)


@router.get("/employers/{employer_id}")
def get_employer(employer_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return FundService(ctx).employer(actor, employer_id)


@router.post("/employers/{employer_id}/users", status_code=201)
def link_user(employer_id: Id, body: s.EmployerUserIn, ctx: Ctx,
              actor: CurrentActor) -> dict[str, Any]:
    """Let an account of role ``employer`` act for this enterprise (and no other)."""
    FundService(ctx).link_user(actor, employer_id, body.username)
    return {"employer_id": employer_id, "username": body.username}


@router.get("/employers/{employer_id}/workers")
def workers(employer_id: Id, ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    """The enterprise's affiliations, with whether each was declared within 3 days."""
    return FundService(ctx).workers(actor, employer_id)


@router.post("/affiliations", status_code=201)
def affiliate(body: s.AffiliationIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """A worker hired by an enterprise, or a voluntary health care member or dependant."""
    return FundService(ctx).affiliate(actor, body)


@router.post("/affiliations/{affiliation_id}/end")
def end_affiliation(affiliation_id: Id, body: s.AffiliationEndIn, ctx: Ctx,
                    actor: CurrentActor) -> dict[str, Any]:
    FundService(ctx).end_affiliation(actor, affiliation_id, body.end_date)
    return {"affiliation_id": affiliation_id, "end_date": body.end_date}


@router.get("/rates")
def rates(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    """The riel rates of the dollar notified for the last months, with their sources."""
    return FundService(ctx).rates(actor)


@router.put("/rates/{period}")
def set_rate(period: MonthPath, body: s.RateIn, ctx: Ctx, actor: CurrentActor,
             ) -> dict[str, Any]:
    FundService(ctx).set_rate(actor, period, body)
    return {"period": period, "khr_per_usd": body.khr_per_usd}


@router.get("/employers/{employer_id}/declarations")
def declarations(employer_id: Id, ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return FundService(ctx).declarations(actor, employer_id)


@router.post("/employers/{employer_id}/declarations")
def declare(employer_id: Id, body: s.DeclarationIn, ctx: Ctx,
            actor: CurrentActor) -> dict[str, Any]:
    """A month's wages: every line right, or a 422 naming each wrong one and nothing stored.
    Replaces the draft; after submission only ``correction: true`` changes the month, and the
    same lines again change nothing (``unchanged``)."""
    raw = [RawLine(i, x.person_id, x.wage, x.currency) for i, x in enumerate(body.lines)]
    return FundService(ctx).declare(actor, employer_id, body.period, raw,
                                    correction=body.correction)


def _spool(ctx: AppContext, name: str, data: IO[bytes]) -> FilePath:
    suffix = FilePath(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput.one(("file",), "bad_file", "file: use a .csv or .xlsx file",
                               "file៖ សូមប្រើឯកសារ .csv ឬ .xlsx")
    folder = private_dir(ctx.settings.var_dir / "fund-uploads")
    with tempfile.NamedTemporaryFile("wb", suffix=suffix, dir=folder, delete=False) as out:
        shutil.copyfileobj(data, out)
    return FilePath(out.name)


def upload_declaration(ctx: AppContext, actor: Actor, employer_id: int, period: str,
                       name: str, data: IO[bytes], correction: bool) -> dict[str, Any]:
    """Spool an uploaded declaration file and read it (shared by the API and the pages)."""
    path = _spool(ctx, name, data)
    try:
        return FundService(ctx).upload(actor, employer_id, period, path,
                                       correction=correction)
    finally:
        path.unlink(missing_ok=True)


@router.post("/employers/{employer_id}/declarations/upload")
async def upload(employer_id: Id, ctx: Ctx, actor: CurrentActor,
                 period: Annotated[str, Form(min_length=7, max_length=7)],
                 file: Annotated[UploadFile, File()],
                 correction: Annotated[bool, Form()] = False) -> dict[str, Any]:
    """A declaration file (CSV or XLSX: person_id, wage, currency): its right rows become the
    draft, each wrong row comes back in ``rejects`` with its row, field and reason."""
    return await run_in_threadpool(upload_declaration, ctx, actor, employer_id, period,
                                   file.filename or "", file.file, correction)


@router.get("/declarations/{declaration_id}")
def declaration(declaration_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    return FundService(ctx).declaration(actor, declaration_id)


@router.post("/declarations/{declaration_id}/submit")
def submit(declaration_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Submit a draft: from now on only a correcting declaration changes the month."""
    out = FundService(ctx).submit(actor, declaration_id)
    return {"declaration_id": declaration_id, "state": out["state"]}


@router.get("/runs")
def runs(ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return FundService(ctx).runs(actor)


@router.post("/runs", status_code=202)
def start_run(body: s.RunIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """Compute the month's contributions and invoices for the whole fund as a background job
    (``GET /api/v1/jobs/{id}``); bad input is refused before anything is queued."""
    FundService(ctx).check_run(actor, body.period)
    job = JobService(ctx).submit_checked(actor, RUN_KIND, {"period": body.period})
    return {"job_id": job.id, "job": f"/api/v1/jobs/{job.id}"}


@router.get("/employers/{employer_id}/invoices")
def invoices(employer_id: Id, ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return FundService(ctx).invoices(actor, employer_id)


@router.get("/invoices/{invoice_id}")
def invoice(invoice_id: Id, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    """An invoice with its KHQR payment string and the payments allocated to it."""
    return FundService(ctx).invoice(actor, invoice_id)


@router.get("/employers/{employer_id}/payments")
def payments(employer_id: Id, ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    return FundService(ctx).payments(actor, employer_id)


@router.post("/employers/{employer_id}/payments", status_code=201)
def record_payment(employer_id: Id, body: s.PaymentIn, ctx: Ctx,
                   actor: CurrentActor) -> dict[str, Any]:
    """Money received, allocated to the oldest debts first (what is over stays a credit)."""
    return FundService(ctx).record_payment(actor, employer_id, body)


@router.get("/arrears")
def arrears(ctx: Ctx, actor: CurrentActor, on: date | None = None,
            employer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
            ) -> list[dict[str, Any]]:
    """What employers owe past the due dates, the months late and the surcharge."""
    return FundService(ctx).arrears(actor, employer_id, on)
