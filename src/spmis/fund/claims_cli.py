"""``spmis fund-claims``: submit, list, show and decide claims; end a pension; print a member's
statement (JSON or PDF), their health care coverage and the coverage gap. ``--as NAME:role``
names who acts (a maker-checker step needs two people)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from spmis.auth.model import Actor
from spmis.errors import SpmisError

app = typer.Typer(help="The fund's claims, member statements, coverage and the coverage gap.",
                  no_args_is_help=True)
console = Console()
AsOpt = Annotated[str, typer.Option(
    "--as", help="act as NAME:role1,role2 (a maker-checker step needs two people)")]
DEFAULT_ACTOR = "cli:fund_officer"


def _actor(who: str) -> Actor:
    name, _, roles = who.partition(":")
    return Actor(name, frozenset(r for r in roles.split(",") if r), "")


@contextmanager
def _ctx() -> Iterator[Any]:
    from spmis.config import get_settings
    from spmis.context import AppContext

    ctx = AppContext.create(get_settings())
    try:
        yield ctx
    except SpmisError as exc:
        console.print(f"[red]{exc.msg}[/red]\n{exc.msg_km}")
        for e in getattr(exc, "errors", []):
            console.print(f"  {e.field}: {e.msg} / {e.msg_km}")
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()


def _show(value: Any) -> None:
    console.print_json(json.dumps(value, default=str, ensure_ascii=False))


@app.command("submit")
def submit_cmd(person_id: int, kind: str, event_date: str,
               detail: Annotated[list[str] | None, typer.Option(
                   help="a fact as name=value (leave_days, babies, visits, incapacity_days)")
               ] = None,
               claimant: Annotated[str | None, typer.Option(help="survivors: who claims")] = None,
               document: Annotated[list[Path] | None, typer.Option(
                   help="a file to attach (PDF, PNG or JPEG), as a document of kind 'other'")
               ] = None,
               who: AsOpt = DEFAULT_ACTOR) -> None:
    """Submit a claim; prints it with the amount the rules give (or why nothing is due)."""
    from spmis.fund.claims import ClaimService, NewClaim

    facts: dict[str, Any] = {}
    for item in detail or []:
        name, _, value = item.partition("=")
        facts[name] = int(value) if value.lstrip("-").isdigit() else value
    try:
        day = date.fromisoformat(event_date)
    except ValueError as exc:
        raise typer.BadParameter("event_date: a day as YYYY-MM-DD") from exc
    docs = tuple(("other", p.name, p.read_bytes()[:2_000_001]) for p in document or [])
    with _ctx() as ctx:
        _show(ClaimService(ctx).submit(_actor(who), NewClaim(
            person_id, kind, day, facts, claimant, docs), date.today()))


@app.command("list")
def list_cmd(state: Annotated[str | None, typer.Option(help="open, submitted, approved...")
                              ] = None, who: AsOpt = DEFAULT_ACTOR) -> None:
    """The claims the actor may see, newest first."""
    from spmis.fund.claims import ClaimService

    with _ctx() as ctx:
        rows = ClaimService(ctx).list(_actor(who), state=state)
    for c in rows:
        console.print(f"{c['id']:>6}  {c['kind']:<10} person {c['person_id']:<8} "
                      f"{c['event_date']}  {c['amount']:>12,} {c['currency']}  {c['state']}"
                      f"{'  (' + c['refusal'] + ')' if c['refusal'] else ''}")


@app.command("show")
def show_cmd(claim_id: int, who: AsOpt = DEFAULT_ACTOR) -> None:
    """One claim with its documents and history."""
    from spmis.fund.claims import ClaimService

    with _ctx() as ctx:
        _show(ClaimService(ctx).get(_actor(who), claim_id))


@app.command("act")
def act_cmd(claim_id: int, action: str,
            reason: Annotated[str | None, typer.Option(help="reject: the reason")] = None,
            reference: Annotated[str | None, typer.Option(help="pay: the reference")] = None,
            who: AsOpt = DEFAULT_ACTOR) -> None:
    """review, approve, reject (--reason) or pay (--reference, as a finance officer)."""
    from spmis.fund.claims import ClaimService

    with _ctx() as ctx:
        _show(ClaimService(ctx).act(_actor(who), claim_id, action, reason=reason,
                                    reference=reference, today=date.today()))


@app.command("end-pension")
def end_pension_cmd(claim_id: int, last_month: str,
                    reason: Annotated[str, typer.Option(help="why the pension ends")],
                    who: AsOpt = DEFAULT_ACTOR) -> None:
    """End an approved pension with the last month it is due (YYYY-MM)."""
    from spmis.fund.claims import ClaimService

    with _ctx() as ctx:
        _show(ClaimService(ctx).end_pension(_actor(who), claim_id, last_month, reason))


@app.command("statement")
def statement_cmd(person_id: int,
                  pdf: Annotated[Path | None, typer.Option(help="write the PDF here")] = None,
                  lang: Annotated[str, typer.Option(help="km or en")] = "km",
                  base_url: Annotated[str, typer.Option(help="the site's address (QR code)")
                                      ] = "http://127.0.0.1:8000",
                  who: AsOpt = DEFAULT_ACTOR) -> None:
    """A member's statement as JSON, or as the printable PDF (--pdf FILE)."""
    from spmis.fund.statement_document import statement_pdf
    from spmis.fund.statements import StatementService

    with _ctx() as ctx:
        data = StatementService(ctx).statement(_actor(who), person_id)
    if pdf is None:
        _show(data)
        return
    pdf.write_bytes(statement_pdf(base_url, data, lang))
    console.print(f"written {pdf}")


@app.command("coverage")
def coverage_cmd(person_id: int, on: Annotated[str | None, typer.Option(
        help="the day, YYYY-MM-DD (today by default)")] = None,
                 who: AsOpt = DEFAULT_ACTOR) -> None:
    """Health care coverage of a member on a day and the member card's status."""
    from spmis.fund.statements import StatementService

    day = date.fromisoformat(on) if on else date.today()
    with _ctx() as ctx:
        _show(StatementService(ctx).coverage(_actor(who), person_id, day).__dict__)


@app.command("gap")
def gap_cmd(who: AsOpt = DEFAULT_ACTOR) -> None:
    """Working people who are not members, by province, sex and occupation."""
    from spmis.fund.coverage import coverage_gap

    with _ctx() as ctx:
        _show(coverage_gap(ctx, _actor(who)))
