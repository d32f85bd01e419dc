"""Command line: ``spmis rules evaluate`` (registry -> engine -> a kept run of results),
``spmis rules runs`` / ``spmis rules results RUN`` (read runs back) and ``spmis simulate`` (cost
and beneficiaries of a parameter reform, baseline against reform)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from spmis.auth.model import Actor
from spmis.errors import InvalidInput
from spmis.formula_guard import write_csv

if TYPE_CHECKING:
    from spmis.rules.service import RulesService

app = typer.Typer(help="Rules as code: evaluate programmes on the registry.", no_args_is_help=True)
simulate_app = typer.Typer()
console = Console()
#: who the command line acts as (a national administrator; runs record it as run_by)
CLI_ACTOR = Actor("cli", frozenset({"admin"}))
STAGES = {"load": "loading the registry", "compute": "computing", "write": "writing results"}
SIMULATE_STAGES = {"load": "loading the registry", "compute": "computing baseline and reform"}

PeriodOpt = Annotated[str, typer.Option(help="month YYYY-MM", show_default=False)]
ProgrammeOpt = Annotated[
    list[str] | None,
    typer.Option("--programme", "-p", help="programme id (repeatable); all if none"),
]


def _check_period(period: str) -> str:
    from spmis.rules.periods import period_problem

    problem = period_problem(period)
    if problem is not None:
        raise typer.BadParameter(f"{problem[0]} ({problem[1]})", param_hint="--period")
    return period


@app.command("evaluate")
def evaluate_cmd(
    period: PeriodOpt,
    programme: ProgrammeOpt = None,
    background: Annotated[bool, typer.Option(
        "--background", help="queue it as a background job for `spmis worker` and return")] = False,
) -> None:
    """Evaluate programmes for every active household and person and store the results as a new
    run (earlier runs are kept; the new one becomes the month's current run)."""
    period = _check_period(period)
    if background:
        from spmis.jobs import JobService
        from spmis.rules.evaluate_job import KIND

        with _service() as service:
            job = JobService(service.ctx).submit(
                CLI_ACTOR, KIND, {"period": period, "programmes": programme}, check_roles=False)
        console.print(f"job {job.id} queued: `spmis jobs show {job.id}` or /office/jobs/{job.id}")
        return
    try:
        with _service() as service, console.status("evaluating") as status:
            summary = service.evaluate(
                CLI_ACTOR, period, programme,
                progress=lambda stage, _done: status.update(STAGES.get(stage, stage)),
            )
    except InvalidInput as err:
        raise typer.BadParameter(err.msg, param_hint="--programme") from err
    table = Table(title=f"Programmes {period} (run {summary.run_id})")
    for col in ("programme", "eligible", "amount", "currency"):
        table.add_column(col, justify="right" if col in {"eligible", "amount"} else "left")
    for t in summary.totals:
        table.add_row(t.programme, f"{t.eligible:,}", f"{t.amount:,}", t.currency)
    console.print(table)
    secs = summary.seconds
    console.print(
        f"{summary.households:,} households, {summary.persons:,} persons; "
        f"{summary.rows:,} result rows; load {secs['load']:.1f}s, "
        f"compute {secs['compute']:.1f}s, write {secs['write']:.1f}s"
    )


@contextmanager
def _service() -> Iterator[RulesService]:
    """The rules use cases on the configured database (its engine disposed afterwards)."""
    from spmis.config import get_settings
    from spmis.context import AppContext
    from spmis.rules.service import RulesService

    ctx = AppContext.create(get_settings())
    try:
        yield RulesService(ctx)
    finally:
        ctx.engine.dispose()


@app.command("runs")
def runs_cmd(
    period: Annotated[str | None, typer.Option(help="month YYYY-MM")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """List evaluation runs, newest first, with the programmes each is current for."""
    if period is not None:
        period = _check_period(period)
    with _service() as service:
        found = service.runs(CLI_ACTOR, period, limit)
    table = Table(title="Evaluation runs")
    for col in ("run", "period", "programmes", "rows", "finished (UTC)", "by", "current for"):
        table.add_column(col)
    for r in found:
        current = ("all" if r.current_for and set(r.current_for) == set(r.programmes)
                   else ", ".join(r.current_for) or "-")
        table.add_row(str(r.id), r.period, str(len(r.programmes)), f"{r.rows_written:,}",
                      r.finished_at.strftime("%Y-%m-%d %H:%M"), r.run_by, current)
    console.print(table)


@app.command("results")
def results_cmd(
    run_id: Annotated[int, typer.Argument(min=1, help="run id (spmis rules runs)")],
    household: Annotated[int | None, typer.Option(min=1, help="one household id")] = None,
    programme: Annotated[str | None, typer.Option(help="one programme id")] = None,
    limit: Annotated[int, typer.Option(min=1, max=5000)] = 50,
) -> None:
    """Show the stored results of one run (they never change, whatever ran later)."""
    from spmis.errors import NotFound

    try:
        with _service() as service:
            page = service.results(CLI_ACTOR, run_id, household_id=household,
                                   programme=programme, limit=limit)
    except NotFound as err:
        raise typer.BadParameter(err.msg, param_hint="RUN_ID") from err
    table = Table(title=f"Run {run_id}: results")
    for col in ("household", "programme", "entity", "eligible", "amount", "currency"):
        table.add_column(col, justify="right" if col in {"household", "amount"} else "left")
    for r in page.results:
        entity = "household" if r.entity == "household" else f"person {r.entity_id}"
        table.add_row(str(r.household_id), r.programme, entity, "yes" if r.eligible else "no",
                      f"{r.amount:,}", r.currency)
    console.print(table)
    if page.next_after:
        console.print(f"more rows: raise --limit (shown {len(page.results):,})")


@simulate_app.command("simulate")
def simulate_cmd(
    reform: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="reform YAML")],
    period: PeriodOpt,
    programme: ProgrammeOpt = None,
    csv: Annotated[Path | None, typer.Option(help="also write the figures to this CSV")] = None,
) -> None:
    """Cost and beneficiaries by programme, province and sex: baseline against the reform (a
table that fits 80 columns; every row, by province too, in the CSV)."""
    from spmis.config import get_settings
    from spmis.db.engine import make_engine
    from spmis.rules.reforms import load_reform
    from spmis.rules.simulation import simulate, text_table

    period = _check_period(period)
    try:
        name, changes = load_reform(reform)
    except InvalidInput as err:
        raise typer.BadParameter(err.msg, param_hint="--reform") from err
    engine = make_engine(get_settings().database_url)
    try:
        with console.status("loading the registry") as status:
            frame = simulate(engine, period, name, changes, programme,
                             progress=lambda stage: status.update(SIMULATE_STAGES[stage]))
    except InvalidInput as err:
        hint = "--programme" if err.errors and err.errors[0].code == "unknown_programme" \
            else "--reform"
        raise typer.BadParameter(err.msg, param_hint=hint) from err
    finally:
        engine.dispose()
    for line in text_table(frame, f"{name}: {period}, baseline against the reform"):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    if csv is not None:
        write_csv(frame, csv)
        console.print(f"wrote {frame.height:,} rows to {csv}")
