"""The check of the references kept without a foreign key (migration 0023): a database made by
the use cases has none pointing at nothing; a line whose beneficiary and cycles are missing is
counted on each of its references, and the command says so and exits 1."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from typer.testing import CliRunner

from spmis.context import AppContext
from spmis.payments.integrity import dangling_references
from spmis.payments.store import entitlement
from tests.integration.payments.delivery_fixtures import approved_cycle


def _counts(ctx: AppContext) -> dict[str, int]:
    with ctx.engine.connect() as conn:
        return {f"{d.table}.{d.column}": d.rows for d in dangling_references(conn)}


def test_dangling_references_are_counted(ctx: AppContext, monkeypatch: Any) -> None:
    from spmis.cli import app

    cycle = approved_cycle(ctx, 2, provider="example_wallet")
    assert set(_counts(ctx).values()) == {0} and len(_counts(ctx)) == 6
    monkeypatch.setattr("spmis.payments.cli._ctx", lambda: AppContext.create(ctx.settings))
    ok = CliRunner().invoke(app, ["payments", "check-references"])
    assert ok.exit_code == 0 and "every reference holds" in ok.output, ok.output
    with ctx.engine.begin() as conn:
        conn.execute(insert(entitlement).values(
            cycle_id=cycle.cycle_id + 100, payroll_cycle_id=cycle.cycle_id + 100, programme_id=1,
            beneficiary_id=987_654, household_id=1, amount=1_000, period="2026-11",
            component="benefit", currency="KHR", state="draft", province_code="12",
            commune_code="120101", recipient_sex="F"))
    counts = _counts(ctx)
    assert counts == {"beneficiary.programme_id": 0, "beneficiary.enrolment_run_id": 0,
                      "beneficiary.shock_id": 0, "entitlement.beneficiary_id": 1,
                      "entitlement.cycle_id": 1, "entitlement.payroll_cycle_id": 1}
    bad = CliRunner().invoke(app, ["payments", "check-references"])
    assert bad.exit_code == 1, bad.output
    assert "entitlement.beneficiary_id -> beneficiary: 1 rows" in bad.output
    assert "3 rows name a record that does not exist" in bad.output
