"""``spmis worker``: the process that runs background jobs (``make run`` starts it beside the
server; docs/operations.md). ``spmis jobs list`` / ``spmis jobs show ID``: jobs from the command
line, as an administrator sees them."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer()
jobs_app = typer.Typer(help="Background jobs: list them, show one.", no_args_is_help=True)
console = Console()


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(
        "--burst", help="run the jobs waiting now, then exit (instead of running until "
                        "stopped)")] = False,
) -> None:
    """Run background jobs (imports from the web page, evaluations, deduplications) until
    stopped with SIGTERM or Ctrl-C; a job it runs when stopped is handed back to the queue."""
    from spmis.config import get_settings
    from spmis.context import AppContext
    from spmis.jobs.worker import JobWorker

    os.umask(0o077)  # every file a job writes is the owner's only
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx = AppContext.create(get_settings())
    try:
        runner = JobWorker(ctx)
        if burst:
            runner.drain()
        else:
            runner.serve()
    finally:
        ctx.engine.dispose()


@jobs_app.command("list")
def list_cmd(
    state: Annotated[str | None, typer.Option(help="queued, running, succeeded, failed, "
                                                   "cancelled")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
) -> None:
    """The newest jobs."""
    from spmis.auth.model import SYSTEM
    from spmis.config import get_settings
    from spmis.context import AppContext
    from spmis.errors import InvalidInput
    from spmis.jobs.service import JobService

    service = JobService(AppContext.create(get_settings()))
    try:
        found = service.list(SYSTEM, state=state, limit=limit)
    except InvalidInput as exc:
        raise typer.BadParameter(exc.msg, param_hint="--state") from None
    table = Table("id", "kind", "state", "by", "progress", "created (UTC)")
    for job in found:
        pct = job.percent
        table.add_row(str(job.id), job.kind, job.state.value, job.created_by,
                      f"{pct}%" if pct is not None else f"{job.progress_done:,}",
                      job.created_at.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(table)


@jobs_app.command("show")
def show_cmd(job_id: int) -> None:
    """One job: state, progress, result or error, and its history."""
    from spmis.auth.model import SYSTEM
    from spmis.config import get_settings
    from spmis.context import AppContext
    from spmis.errors import NotFound
    from spmis.jobs.service import JobService

    service = JobService(AppContext.create(get_settings()))
    try:
        job = service.get(SYSTEM, job_id)
    except NotFound:
        console.print(f"no job {job_id}")
        raise typer.Exit(1) from None
    console.print(f"job {job.id}: {job.kind}, {job.state.value}, by {job.created_by}, "
                  f"attempts {job.attempts}")
    if job.progress_message:
        console.print(f"progress: {job.progress_message}")
    if job.result:
        console.print(f"result: {job.result}")
    if job.error:
        console.print(f"error ({job.error_code}): {job.error}")
    for note in job.notes:
        console.print(f"{note.get('at', '')[:19]}  {note.get('en', '')}")
