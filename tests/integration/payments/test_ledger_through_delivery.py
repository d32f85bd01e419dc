"""The ledger adds up after every step of a cycle's money (issue 14): approval, a provider's
result file with paid and failed lines, a failed line retried in the next cycle and another
cancelled with a reason, and the next cycle paid. budget = committed + free; committed = paid +
failed + pending; cancelled money is free again. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.payments import store
from spmis.payments.accounts import set_account
from spmis.payments.payroll_files import open_payroll
from spmis.payments.providers import install_examples
from spmis.payments.reconciliation import cancel_failed, reconcile, retry_failed
from spmis.rules.service import RulesService
from tests.integration.payments.seed import APPROVER, FINANCE, FINANCE_2, service
from tests.integration.payments.test_enrolment_cycle import (
    CODE,
    _ledger_adds_up,
    enrolled_programme,
)


def _payroll_refs(ctx: AppContext, cycle_id: int, tmp: Path) -> list[str]:
    out = tmp / f"payroll-{cycle_id}.csv"
    open_payroll(ctx, FINANCE_2, cycle_id, "example_bank", "csv").write(out)
    return [line.split(",")[4] for line in out.read_text(encoding="utf-8").splitlines()[1:]]


def _result(ctx: AppContext, cycle_id: int, tmp: Path, outcome: dict[str, str]) -> Any:
    path = tmp / f"result-{cycle_id}.csv"
    path.write_text("Reference,Status,Date,Reason\n" + "".join(
        f"{ref},{status},05/07/2023,{'account closed' if status == 'FAILED' else ''}\n"
        for ref, status in outcome.items()), encoding="utf-8")
    return reconcile(ctx, FINANCE_2, cycle_id, "example_bank", path, path.name,
                     today=date(2023, 7, 5))


def _lines(ctx: AppContext, cycle_id: int) -> list[int]:
    e = store.entitlement
    with ctx.engine.connect() as conn:
        return list(conn.execute(select(e.c.id).where(e.c.cycle_id == cycle_id)
                                 .order_by(e.c.id)).scalars())


def test_the_ledger_adds_up_through_payment_failure_retry_and_cancel(
        ctx: AppContext, tmp_path: Path) -> None:
    _, enrol_id = enrolled_programme(ctx)
    pay = service(ctx)
    pay.decide_enrolment(APPROVER, enrol_id, True, "checked")
    install_examples(ctx, SYSTEM)
    b = store.beneficiary
    with ctx.engine.connect() as conn:
        found = conn.execute(select(b.c.id, b.c.household_id).order_by(b.c.id)).all()
    for bid, hid in found:
        set_account(ctx, SYSTEM, bid, "example_bank", f"0001234{bid:03d}", hid * 10 + 1)

    june = pay.open_cycle(FINANCE, CODE, "2023-06")
    pay.run_cycle(FINANCE, june)
    pay.approve_cycle(FINANCE_2, june)
    book = _ledger_adds_up(ctx)
    committed = book["total"]["committed"]
    refs = _payroll_refs(ctx, june, tmp_path)
    assert len(refs) == 5
    outcome = dict.fromkeys(refs, "SUCCESS")
    outcome[refs[0]] = outcome[refs[1]] = "FAILED"
    done = _result(ctx, june, tmp_path, outcome)
    assert done.state == "applied", done
    book = _ledger_adds_up(ctx)
    assert book["total"]["failed"] > 0 and book["total"]["paid"] > 0
    assert book["total"]["pending"] == 0 and book["total"]["committed"] == committed

    RulesService(ctx).evaluate(SYSTEM, "2023-07", [CODE])
    july = pay.open_cycle(FINANCE, CODE, "2023-07")
    pay.run_cycle(FINANCE, july)
    first, second = _lines(ctx, june)[:2]
    assert retry_failed(ctx, FINANCE, june, july, [first]) == 1
    _ledger_adds_up(ctx)
    assert cancel_failed(ctx, FINANCE, june, [second], "the household moved away") == 1
    book = _ledger_adds_up(ctx)
    assert book["total"]["failed"] == 0
    assert book["total"]["committed"] < committed  # the cancelled line's money is free again
    pay.approve_cycle(FINANCE_2, july)
    refs = _payroll_refs(ctx, july, tmp_path)
    assert len(refs) == 6  # July's five and June's retried line
    assert _result(ctx, july, tmp_path, dict.fromkeys(refs, "SUCCESS")).state == "applied"
    book = _ledger_adds_up(ctx)
    assert book["total"]["pending"] == book["total"]["failed"] == 0
    assert book["total"]["paid"] == book["total"]["committed"]
