"""Command line: ``spmis payments ...`` programmes, enrolment runs, cycles, the ledger and shocks
(the same use cases as the API; the command line acts as a national administrator unless
``--as`` names a user and roles, which a maker-checker step needs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console

from spmis.auth.model import Actor
from spmis.errors import SpmisError

app = typer.Typer(help="Payments: programmes, enrolment, cycles, ledger, shocks.",
                  no_args_is_help=True)
console = Console()
CLI_ACTOR = Actor("cli", frozenset({"admin"}))
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="act as NAME:role1,role2 (a maker-checker step needs two people)")]


def _actor(who: str | None) -> Actor:
    if not who:
        return CLI_ACTOR
    name, _, roles = who.partition(":")
    return Actor(name, frozenset(r for r in roles.split(",") if r), "")


def _ctx() -> Any:
    """The application context of the command line's settings."""
    from spmis.config import get_settings
    from spmis.context import AppContext

    return AppContext.create(get_settings())


@contextmanager
def _service() -> Iterator[Any]:
    from spmis.payments.service import PaymentsService

    ctx = _ctx()
    try:
        yield PaymentsService(ctx)
    except SpmisError as exc:
        console.print(f"[red]{exc.msg}[/red]\n{exc.msg_km}")
        for e in getattr(exc, "errors", []):
            console.print(f"  {e.field}: {e.msg} / {e.msg_km}")
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()


def _show(value: Any) -> None:
    console.print_json(json.dumps(value, default=str, ensure_ascii=False))


@app.command("seed")
def seed_cmd(who: AsOpt = None) -> None:
    """Create the records of the catalogue's social assistance programmes (drafts)."""
    with _service() as s:
        _show({"created": s.seed_programmes(_actor(who))})


@app.command("programmes")
def programmes_cmd(who: AsOpt = None) -> None:
    """List the programmes."""
    with _service() as s:
        for p in s.programmes(_actor(who)):
            console.print(f"{p['code']:32} {p['state']:10} {p['start_date']} – "
                          f"{p['end_date'] or ''}  budget {p['budget']:,} {p['currency']}")


@app.command("state")
def state_cmd(code: str, state: str, reason: Annotated[str, typer.Option()],
              who: AsOpt = None) -> None:
    """Activate, suspend or close a programme."""
    with _service() as s:
        _show({"version": s.set_programme_state(_actor(who), code, state, reason)})


@app.command("budget")
def budget_cmd(code: str, year: int, amount: int, currency: str,
               legal_reference: Annotated[str, typer.Option()], who: AsOpt = None) -> None:
    """Set a programme's budget for a fiscal year (smallest unit)."""
    with _service() as s:
        s.set_budget(_actor(who), code, year, amount, currency, legal_reference)


@app.command("enrol")
def enrol_cmd(code: str, evaluation_run: int, who: AsOpt = None) -> None:
    """List the candidates of a programme from a pinned evaluation run."""
    with _service() as s:
        _show(s.create_enrolment_run(_actor(who), code, evaluation_run))


@app.command("decide")
def decide_cmd(enrolment_run: int, approve: Annotated[bool, typer.Option("--approve/--reject")],
               reason: Annotated[str, typer.Option()], who: AsOpt = None) -> None:
    """Decide an enrolment run (an approver other than its maker)."""
    with _service() as s:
        _show(s.decide_enrolment(_actor(who), enrolment_run, approve, reason))


@app.command("cycle")
def cycle_cmd(code: str, period: str, evaluation_run: int | None = None,
              who: AsOpt = None) -> None:
    """Open and run a programme's cycle for a month (YYYY-MM); prints what it did."""
    with _service() as s:
        actor = _actor(who)
        cycle_id = s.open_cycle(actor, code, period, evaluation_run)
        _show(s.run_cycle(actor, cycle_id))


@app.command("approve")
def approve_cmd(cycle: int, who: AsOpt = None) -> None:
    """Approve a cycle (a finance officer other than its maker)."""
    with _service() as s:
        _show({"lines_approved": s.approve_cycle(_actor(who), cycle)})


@app.command("ledger")
def ledger_cmd(code: str, year: int, who: AsOpt = None) -> None:
    """A programme's ledger for a fiscal year."""
    with _service() as s:
        _show(s.ledger(_actor(who), code, year))


@app.command("shock")
def shock_cmd(
    name_en: Annotated[str, typer.Option()], name_km: Annotated[str, typer.Option()],
    kind: Annotated[str, typer.Option(help="top_up or expansion")],
    programme: Annotated[str, typer.Option()],
    commune: Annotated[list[str], typer.Option(help="commune code (repeatable)")],
    start: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    legal_reference: Annotated[str, typer.Option()],
    amount: Annotated[int | None, typer.Option(help="top-up a month, smallest unit")] = None,
    who: AsOpt = None,
) -> None:
    """Declare a shock and print its preview (households, cost) for an approver."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise typer.BadParameter("dates as YYYY-MM-DD") from None
    with _service() as s:
        _show(s.declare_shock(_actor(who), name_en=name_en, name_km=name_km, kind=kind,
                              programme_code=programme, communes=commune, start_date=first,
                              end_date=last, amount=amount, legal_reference=legal_reference))


@app.command("end-shocks")
def end_shocks_cmd(period: str, who: AsOpt = None) -> None:
    """End the shocks whose last day is before the month (a cycle does it too)."""
    with _service() as s:
        _show({"ended": s.end_due_shocks(_actor(who), period)})


@app.command("check-references")
def check_references_cmd() -> None:
    """Count beneficiaries and entitlement lines whose programme, enrolment run, shock,
    beneficiary or cycle is missing (references kept without a foreign key); exit 1 if any."""
    from spmis.payments.integrity import dangling_references

    ctx = _ctx()
    try:
        with ctx.engine.connect() as conn:
            found = dangling_references(conn)
    finally:
        ctx.engine.dispose()
    for d in found:
        mark = "[green]ok[/green]" if d.rows == 0 else f"[red]{d.rows:,} rows[/red]"
        console.print(f"{d.table}.{d.column} -> {d.referenced}: {mark}")
    bad = sum(d.rows for d in found)
    if bad:
        console.print(f"[red]{bad:,} rows name a record that does not exist[/red]\n"
                      f"មាន {bad:,} ជួរដែលយោងទៅកំណត់ត្រាដែលមិនមាន")
        raise typer.Exit(1)
    console.print("every reference holds\nការយោងទាំងអស់ត្រឹមត្រូវ")
