"""Command line: ``spmis fund ...`` employers, workers, rates, declarations, the month's run,
invoices, payments and arrears (the same use cases as the API; the command line acts as a
national administrator unless ``--as NAME:role`` says otherwise, e.g. ``--as boss:employer``)."""

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

app = typer.Typer(help="Social security fund: employers, declarations, contributions, invoices.",
                  no_args_is_help=True)
console = Console()
CLI_ACTOR = Actor("cli", frozenset({"admin"}))
AsOpt = Annotated[str | None, typer.Option("--as", help="act as NAME:role1,role2")]


def _actor(who: str | None) -> Actor:
    if not who:
        return CLI_ACTOR
    name, _, roles = who.partition(":")
    return Actor(name, frozenset(r for r in roles.split(",") if r), "")


@contextmanager
def _service() -> Iterator[Any]:
    from pydantic import ValidationError

    from spmis.config import get_settings
    from spmis.context import AppContext
    from spmis.fund.service import FundService

    ctx = AppContext.create(get_settings())
    try:
        yield FundService(ctx)
    except SpmisError as exc:
        console.print(f"[red]{exc.msg}[/red]\n{exc.msg_km}")
        for e in getattr(exc, "errors", []):
            console.print(f"  {e.field}: {e.msg} / {e.msg_km}")
        raise typer.Exit(2) from None
    except ValidationError as exc:
        for e in exc.errors():
            console.print(f"[red]{'.'.join(str(x) for x in e['loc'])}: {e['msg']}[/red]")
        raise typer.Exit(2) from None
    finally:
        ctx.engine.dispose()


def _show(value: Any) -> None:
    console.print_json(json.dumps(value, default=str, ensure_ascii=False))


@app.command("register")
def register_cmd(enterprise_id: int, employer_number: str, sector: str, address: str,
                 contact_name: str, first_hire_date: str,
                 phone: Annotated[str | None, typer.Option()] = None,
                 email: Annotated[str | None, typer.Option()] = None,
                 who: AsOpt = None) -> None:
    """Register a registry enterprise with the fund."""
    from spmis.fund import schemas as s

    with _service() as svc:
        _show(svc.register_employer(_actor(who), s.EmployerIn(
            enterprise_id=enterprise_id, employer_number=employer_number, sector=sector,
            address=address, contact_name=contact_name, contact_phone=phone,
            contact_email=email, first_hire_date=date.fromisoformat(first_hire_date))))


@app.command("employers")
def employers_cmd(q: Annotated[str | None, typer.Option()] = None, who: AsOpt = None) -> None:
    """Employers (by name or number)."""
    with _service() as svc:
        _show(svc.employers(_actor(who), q))


@app.command("link-user")
def link_user_cmd(employer_id: int, username: str, who: AsOpt = None) -> None:
    """Let the account USERNAME (role employer) act for this employer only."""
    with _service() as svc:
        svc.link_user(_actor(who), employer_id, username)
        console.print(f"{username} acts for employer {employer_id}")


@app.command("hire")
def hire_cmd(employer_id: int, person_id: int, start: str,
             wage: Annotated[str | None, typer.Option()] = None,
             currency: Annotated[str, typer.Option()] = "KHR",
             position: Annotated[str | None, typer.Option()] = None,
             who: AsOpt = None) -> None:
    """Affiliate a registry person as a worker of the employer from START."""
    from spmis.fund import schemas as s

    with _service() as svc:
        _show(svc.affiliate(_actor(who), s.AffiliationIn(
            person_id=person_id, employer_id=employer_id, start_date=date.fromisoformat(start),
            wage=wage, currency=currency, position=position)))


@app.command("rate")
def rate_cmd(period: str, khr_per_usd: int, source: str, who: AsOpt = None) -> None:
    """Record the riel rate of the dollar the fund notified for PERIOD (YYYY-MM)."""
    from spmis.fund import schemas as s

    with _service() as svc:
        svc.set_rate(_actor(who), period, s.RateIn(khr_per_usd=khr_per_usd, source=source,
                                                    notified_on=date.today()))
        console.print(f"{period}: {khr_per_usd} KHR/USD ({source})")


@app.command("declare")
def declare_cmd(employer_id: int, period: str, file: Path,
                correction: Annotated[bool, typer.Option()] = False,
                submit: Annotated[bool, typer.Option(help="submit it too")] = False,
                who: AsOpt = None) -> None:
    """Upload a declaration file (CSV or XLSX: person_id, wage, currency); rejects are listed."""
    with _service() as svc:
        actor = _actor(who)
        out = svc.upload(actor, employer_id, period, file, correction=correction)
        if submit and out["declaration_id"] and not out["unchanged"]:
            svc.submit(actor, out["declaration_id"])
            out["submitted"] = True
        _show(out)


@app.command("run")
def run_cmd(period: str, who: AsOpt = None) -> None:
    """Compute PERIOD's contributions and invoices for the whole fund, here and now
    (``POST /api/v1/fund/runs`` queues the same as a background job)."""
    with _service() as svc:
        _show(svc.run_month(_actor(who), period))


@app.command("invoices")
def invoices_cmd(employer_id: int, who: AsOpt = None) -> None:
    with _service() as svc:
        _show(svc.invoices(_actor(who), employer_id))


@app.command("pay")
def pay_cmd(employer_id: int, amount: int, reference: str,
            received_on: Annotated[str | None, typer.Option()] = None,
            who: AsOpt = None) -> None:
    """Record AMOUNT riel received from the employer (allocated to the oldest debts first)."""
    from spmis.fund import schemas as s

    with _service() as svc:
        day = date.fromisoformat(received_on) if received_on else date.today()
        _show(svc.record_payment(_actor(who), employer_id, s.PaymentIn(
            amount=amount, received_on=day, reference=reference)))


@app.command("arrears")
def arrears_cmd(on: Annotated[str | None, typer.Option()] = None, who: AsOpt = None) -> None:
    """What employers owe past the due dates."""
    with _service() as svc:
        _show(svc.arrears(_actor(who), None, date.fromisoformat(on) if on else None))
