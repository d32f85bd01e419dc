"""``spmis targeting``: open a round, list rounds, score a round (here, or as a background job
for the worker), and convert the shipped XLSForm (to check it or give it to another server)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Identifying poor households (IDPoor): rounds, scoring, the XLSForm.",
                  no_args_is_help=True)
console = Console()


def _service():  # type: ignore[no-untyped-def]
    from spmis.config import get_settings
    from spmis.context import AppContext
    from spmis.targeting.service import TargetingService

    return TargetingService(AppContext.create(get_settings()))


def _system():  # type: ignore[no-untyped-def]
    from spmis.auth.model import SYSTEM

    return SYSTEM


@app.command("open")
def open_round(
    code: Annotated[str, typer.Argument(help="the round's code, e.g. 2026-R1")],
    name: Annotated[str, typer.Option(help="the round's name")],
    parameter_date: Annotated[str, typer.Option(help="score with the parameters of this day "
                                                     "(YYYY-MM-DD)")],
    opens_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    closes_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    area: Annotated[str, typer.Option(help="area code ('' the whole country)")] = "",
    kind: Annotated[str, typer.Option(help="village or on_demand")] = "village",
) -> None:
    """Open an assessment round."""
    from spmis.errors import InvalidInput
    from spmis.targeting.model import RoundDraft

    try:
        draft = RoundDraft(code, name, kind, area, date.fromisoformat(parameter_date),
                           date.fromisoformat(opens_on), date.fromisoformat(closes_on))
    except ValueError as exc:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {exc}") from exc
    service = _service()
    try:
        round_id = service.create_round(draft, _system())
    except InvalidInput as exc:
        raise typer.BadParameter("; ".join(f"{e.field}: {e.msg}" for e in exc.errors)) from exc
    finally:
        service.ctx.engine.dispose()
    console.print(f"round {round_id} ({code}) is open")


@app.command("rounds")
def rounds() -> None:
    """Every round, newest first, with its questionnaires."""
    service = _service()
    try:
        rows = service.rounds(_system())
    finally:
        service.ctx.engine.dispose()
    table = Table("id", "code", "kind", "area", "parameters of", "status", "questionnaires")
    for r in rows:
        table.add_row(str(r["id"]), r["code"], r["kind"], r["area_code"] or "all",
                      r["parameter_date"].isoformat(), r["status"], str(r["assessments"]))
    console.print(table)


@app.command("score")
def score(
    round_id: Annotated[int, typer.Argument(min=1)],
    background: Annotated[bool, typer.Option(help="queue a job for the worker instead")] = False,
) -> None:
    """Score a round with the parameters of its parameter date (set-based)."""
    service = _service()
    try:
        if background:
            from spmis.jobs import JobService
            from spmis.targeting.score_job import KIND

            service.round(round_id, _system())
            job = JobService(service.ctx).submit(_system(), KIND, {"round_id": round_id},
                                                 check_roles=False)
            console.print(f"job {job.id} queued")
            return
        result = service.score_round(round_id, _system())
    finally:
        service.ctx.engine.dispose()
    console.print(f"scored {result['assessments']}: level 1 {result['level_1']}, level 2 "
                  f"{result['level_2']}, not poor {result['not_poor']} (parameters of "
                  f"{result['parameter_date']})")


@app.command("xlsform")
def xlsform(
    out: Annotated[Path | None, typer.Option(help="write the XForm here")] = None,
) -> None:
    """Convert the shipped XLSForm with pyxform; prints its warnings (none expected)."""
    from spmis.targeting.forms import FORM_PATH, convert_shipped

    warnings: list[str] = []
    xml = convert_shipped(warnings)
    for w in warnings:
        console.print(f"warning: {w}")
    if out is not None:
        out.write_text(xml, encoding="utf-8")
    console.print(f"{FORM_PATH.name}: converted, {len(warnings)} warnings")
