"""``spmis grievances``: escalate missed deadlines (schedule it, e.g. hourly) and hand queued
messages to the sender; list a queue."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Grievances and appeals: escalation, messages, the queue.",
                  no_args_is_help=True)
console = Console()


def _service():  # type: ignore[no-untyped-def]
    from spmis.config import get_settings
    from spmis.context import AppContext
    from spmis.grievances.service import GrievanceService

    return GrievanceService(AppContext.create(get_settings()))


@app.command()
def escalate() -> None:
    """Move every open grievance past its deadline to the office one level up, then hand the
    queued messages to the sender (the log, until an SMS gateway is configured)."""
    service = _service()
    try:
        moved = service.escalate_overdue()
        counts = service.deliver()
    finally:
        service.ctx.engine.dispose()
    console.print(f"escalated: {moved}; messages: "
                  + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))


@app.command("queue")
def queue_cmd(
    area: Annotated[str, typer.Option(help="area code of the office ('' for all)")] = "",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """Open grievances of an area, the nearest deadline first."""
    from spmis.auth.model import Actor

    service = _service()
    try:
        actor = Actor("system", frozenset({"admin"}), area)
        rows = service.queue(actor, limit=limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    finally:
        service.ctx.engine.dispose()
    table = Table("ticket", "kind", "category", "status", "office", "deadline")
    for g in rows:
        table.add_row(g.ticket, g.kind, g.category, g.status, g.office or "national",
                      g.deadline.isoformat(timespec="minutes"))
    console.print(table)
