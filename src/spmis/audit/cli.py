"""``spmis audit verify``: recompute the audit chain and name the first entry that does not
match (exit status 1); ``spmis audit roots``: the daily root hashes."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="The audit trail: verify the chain, show the daily root hashes.",
                  no_args_is_help=True)
console = Console()


def _ctx():  # type: ignore[no-untyped-def]
    from spmis.config import get_settings
    from spmis.context import AppContext

    return AppContext.create(get_settings())


@app.command()
def verify(
    local: Annotated[bool, typer.Option(
        "--local", help="recompute here, entry after entry, rather than in PostgreSQL")] = False,
) -> None:
    """Recompute the chain from its first entry; exit 1 naming the first entry that does not
    match."""
    from spmis.audit.service import AuditService

    ctx = _ctx()
    try:
        started = time.perf_counter()
        verdict = AuditService(ctx).verify(local)
        seconds = time.perf_counter() - started
    finally:
        ctx.engine.dispose()
    rate = verdict.checked / seconds if seconds else 0.0
    if verdict.ok:
        console.print(f"OK: {verdict.message()} ({seconds:.2f} s, {rate:,.0f} entries/s)",
                      highlight=False)
        return
    console.print(f"FAILED: {verdict.message()} ({verdict.checked} entries before it hold)",
                  highlight=False)
    raise typer.Exit(1)


@app.command()
def roots(limit: Annotated[int, typer.Option(min=1, max=366)] = 14) -> None:
    """The head hash at the end of each UTC day, newest first."""
    from spmis.audit.service import AuditService

    ctx = _ctx()
    try:
        for r in AuditService(ctx).daily_roots(limit):
            console.print(f"{r.day}  {r.entries:>9}  #{r.last_seq:<10} {r.root_hash}",
                          highlight=False)
    finally:
        ctx.engine.dispose()
