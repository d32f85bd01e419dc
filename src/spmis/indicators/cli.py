"""``spmis indicators refresh``: compute every indicator now (or ``--background``: as a job)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Indicators: refresh them.", no_args_is_help=True)
console = Console()


def _ctx():  # type: ignore[no-untyped-def]
    from spmis.config import get_settings
    from spmis.context import AppContext

    return AppContext.create(get_settings())


@app.command()
def refresh(
    background: Annotated[bool, typer.Option(
        "--background", help="queue a job for the worker instead of computing here")] = False,
) -> None:
    """Compute every indicator for the whole country and publish it."""
    from spmis.auth.model import SYSTEM
    from spmis.indicators.refresh_job import KIND
    from spmis.indicators.service import IndicatorService
    from spmis.jobs import JobService

    ctx = _ctx()
    try:
        if background:
            job = JobService(ctx).submit(SYSTEM, KIND, {}, check_roles=False)
            console.print(f"job {job.id} queued: /office/jobs/{job.id}", highlight=False)
            return
        done = IndicatorService(ctx).refresh(SYSTEM.username)
        console.print(f"refresh {done.id}: {done.cells} cells in {done.seconds:.2f} s",
                      highlight=False)
    finally:
        ctx.engine.dispose()
