"""Two finance officers approve the same cycle at the same moment on PostgreSQL, each through
its own connection: exactly one approval applies, the other gets a 409, and the lines are
approved once (issue 14)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from spmis.context import AppContext
from spmis.errors import Conflict
from spmis.payments import store
from spmis.payments.service import PaymentsService
from tests.integration.payments.seed import APPROVER, DAY, FINANCE, staff
from tests.integration.payments.test_enrolment_cycle import CODE, PERIOD, enrolled_programme


@pytest.mark.parametrize("engine_kind", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_two_approvals_at_once_give_one_approved_payroll(ctx: AppContext) -> None:
    _, enrol_id = enrolled_programme(ctx)
    pay = PaymentsService(ctx, clock=lambda: DAY)
    pay.decide_enrolment(APPROVER, enrol_id, True, "checked")
    cycle_id = pay.open_cycle(FINANCE, CODE, PERIOD)
    pay.run_cycle(FINANCE, cycle_id)

    start = threading.Barrier(2)
    outcomes: list[object] = []

    def approve(name: str) -> None:
        start.wait()
        try:
            outcomes.append(pay.approve_cycle(staff(name, "finance_officer"), cycle_id))
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=approve, args=(n,)) for n in ("fin-a", "fin-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert ctx.engine.pool.checkedout() == 0
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "int"]
    assert [o for o in outcomes if isinstance(o, int)] == [5]
    c, e = store.payment_cycle, store.entitlement
    with ctx.engine.connect() as conn:
        assert conn.execute(select(c.c.state).where(c.c.id == cycle_id)).scalar_one() == "approved"
        approvals = conn.execute(select(func.count()).select_from(store.payment_cycle).where(
            c.c.state == "approved")).scalar_one()
        assert approvals == 1
        assert conn.execute(select(e.c.state, func.count()).group_by(e.c.state)).all() == [
            ("approved", 5)]
