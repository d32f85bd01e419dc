"""``spmis payroll ...``: payment providers, payroll files, reconciliation of result files,
failed lines, compliance events and notifications from the command line (as the system user;
every account read for a payroll file is logged under ``--as``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from spmis.errors import SpmisError

app = typer.Typer(help="Payment delivery: providers, payroll files, reconciliation, "
                       "conditions, notifications.", no_args_is_help=True)
console = Console()


def _ctx() -> Any:
    from spmis.config import get_settings
    from spmis.context import AppContext

    return AppContext.create(get_settings())


@contextmanager
def _opened() -> Iterator[Any]:
    """The context for one command; its database connections are closed afterwards."""
    ctx = _ctx()
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


def _actor(name: str) -> Any:
    from spmis.auth.model import Actor

    return Actor(name, frozenset({"admin", "finance_officer", "programme_officer"}), "")


def _fail(exc: SpmisError) -> typer.Exit:
    errors = getattr(exc, "errors", None)
    text = "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors) if errors \
        else str(exc)
    console.print(f"[red]{text}[/red]")
    return typer.Exit(2)


@app.command("providers")
def providers_cmd(
    examples: Annotated[bool, typer.Option(help="add the two example layouts first")] = False,
) -> None:
    """List payment providers (``--examples`` adds the shipped EXAMPLE layouts, which are not
    any bank's official format)."""
    from spmis.auth.model import SYSTEM
    from spmis.payments.providers import install_examples, list_providers

    with _opened() as ctx:
        if examples:
            for code in install_examples(ctx, SYSTEM):
                console.print(f"added {code}")
        with ctx.engine.connect() as conn:
            found = list_providers(conn)
    for p in found:
        khqr = ", KHQR" if p.layout.takes_khqr else ""
        console.print(f"{p.code}: {p.name_en} ({p.layout.account_type}{khqr}; "
                      f"{p.layout.encoding}, '{p.layout.delimiter}', {p.layout.date_format})")


@app.command("export")
def export_cmd(
    cycle: Annotated[int, typer.Argument(help="payment cycle id")],
    provider: Annotated[str, typer.Option(help="provider code")],
    out: Annotated[Path, typer.Option(help="file to write (.csv or .xlsx)")],
    as_user: Annotated[str, typer.Option("--as", help="who the access log names")] = "system",
) -> None:
    """Write the payroll of an approved cycle for one provider."""
    from spmis.payments.payroll_files import open_payroll

    try:
        with _opened() as ctx:
            pf = open_payroll(ctx, _actor(as_user), cycle, provider, out.suffix.lstrip("."))
            pf.write(out)
    except SpmisError as exc:
        raise _fail(exc) from None
    console.print(f"{pf.lines:,} payments, {pf.amount:,} {pf.cycle['currency']} written to "
                  f"{out}")


@app.command("reconcile")
def reconcile_cmd(
    cycle: Annotated[int, typer.Argument(help="payment cycle id")],
    provider: Annotated[str, typer.Option(help="provider code")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    report: Annotated[Path | None, typer.Option(help="write the problems here (CSV)")] = None,
    as_user: Annotated[str, typer.Option("--as")] = "system",
) -> None:
    """Apply a provider's result file, whole or not at all (exit code 1 when refused)."""
    from spmis.payments.reconciliation import reconcile, write_report

    try:
        with _opened() as ctx:
            result = reconcile(ctx, _actor(as_user), cycle, provider, file, file.name)
    except SpmisError as exc:
        raise _fail(exc) from None
    console.print(result.summary()[0])
    for p in result.problems[:50]:
        console.print(f"  line {p.line or '-'}: {p.texts()[0]}")
    if report and result.problems:
        write_report(result, report)
    if result.state != "applied":
        raise typer.Exit(1)


@app.command("retry-failed")
def retry_cmd(from_cycle: int, to_cycle: int,
              as_user: Annotated[str, typer.Option("--as")] = "system") -> None:
    """Put every failed line of FROM_CYCLE in the payroll of the later TO_CYCLE."""
    from spmis.payments.reconciliation import retry_failed

    try:
        with _opened() as ctx:
            n = retry_failed(ctx, _actor(as_user), from_cycle, to_cycle)
    except SpmisError as exc:
        raise _fail(exc) from None
    console.print(f"{n:,} failed payments moved to cycle {to_cycle}")


@app.command("cancel-failed")
def cancel_cmd(cycle: int, line_ids: Annotated[list[int], typer.Argument()],
               reason: Annotated[str, typer.Option()],
               as_user: Annotated[str, typer.Option("--as")] = "system") -> None:
    """Cancel failed lines of a cycle with a reason."""
    from spmis.payments.reconciliation import cancel_failed

    try:
        with _opened() as ctx:
            n = cancel_failed(ctx, _actor(as_user), cycle, line_ids, reason)
    except SpmisError as exc:
        raise _fail(exc) from None
    console.print(f"{n:,} failed payments cancelled")


@app.command("condition")
def condition_cmd(programme: str, event_kind: str,
                  legal_reference: Annotated[str, typer.Option()]) -> None:
    """Pay PROGRAMME's benefit only once an EVENT_KIND is recorded."""
    from spmis.auth.model import SYSTEM
    from spmis.payments.conditions import set_condition

    try:
        with _opened() as ctx:
            set_condition(ctx, SYSTEM, programme, event_kind, legal_reference)
    except SpmisError as exc:
        raise _fail(exc) from None
    console.print(f"{programme}: paid once {event_kind} is recorded")


@app.command("import-events")
def import_events_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    as_user: Annotated[str, typer.Option("--as")] = "system",
) -> None:
    """Record a health centre's file of events (person_key, event, date, facility)."""
    from spmis.payments.conditions import import_events

    try:
        with _opened() as ctx:
            result = import_events(ctx, _actor(as_user), file, today=date.today())
    except SpmisError as exc:
        raise _fail(exc) from None
    for p in result.problems[:50]:
        console.print(f"  line {p['line']}: {p['msg']}")
    if result.problems:
        console.print(f"[red]refused: {len(result.problems):,} problems, nothing recorded[/red]")
        raise typer.Exit(1)
    console.print(f"{result.recorded:,} events recorded, {result.already:,} already there")


@app.command("notify")
def notify_cmd(limit: Annotated[int, typer.Option(min=1, max=100_000)] = 500) -> None:
    """Hand queued notifications to the sender (the default writes them to the log and marks
    them 'logged': nothing is sent)."""
    from spmis.payments.notifications import LogSender, deliver

    with _opened() as ctx:
        counts = deliver(ctx, LogSender(), limit)
    console.print(", ".join(f"{k}: {v:,}" for k, v in counts.items()))
