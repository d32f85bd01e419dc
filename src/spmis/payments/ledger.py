"""The ledger of a programme: for each month of a fiscal year, what its lines commit, paid,
failed, returned and still pending, and the budget left free (fiscal year to date). One
``GROUP BY`` over the entitlement lines; draft lines (a cycle not yet approved) and cancelled
ones commit nothing.

budget = committed + free; committed = paid + failed + pending (``LedgerLine.problems``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, func, select

from spmis.payments import store
from spmis.payments.model import COMMITTED_LINE_STATES, EntitlementState, LedgerLine, fiscal_year
from spmis.payments.programmes import budget_for

__all__ = ["ledger_line", "ledger_year"]

e = store.entitlement


def _sum_when(*states: str) -> Any:
    return func.coalesce(func.sum(case((e.c.state.in_(states), e.c.amount), else_=0)), 0)


def _sums(conn: Connection, programme_id: int, first: str, last: str) -> dict[str, Any]:
    rows = conn.execute(
        select(e.c.period,
               _sum_when(*COMMITTED_LINE_STATES).label("committed"),
               _sum_when(EntitlementState.PAID).label("paid"),
               _sum_when(EntitlementState.FAILED, EntitlementState.RETURNED).label("failed"),
               _sum_when(EntitlementState.RETURNED).label("returned"),
               _sum_when(EntitlementState.APPROVED).label("pending"),
               _sum_when(EntitlementState.DRAFT).label("draft"))
        .where(e.c.programme_id == programme_id, e.c.period >= first, e.c.period <= last)
        .group_by(e.c.period).order_by(e.c.period))
    return {r.period: r for r in rows}


def ledger_line(conn: Connection, programme: Any, period: str) -> LedgerLine:
    """The programme's money fiscal year to date, up to and including ``period``."""
    year = fiscal_year(period)
    months = _sums(conn, programme["id"], f"{year:04d}-01", period).values()
    total = {k: sum(int(getattr(m, k)) for m in months)
             for k in ("committed", "paid", "failed", "returned", "pending")}
    return LedgerLine(programme_id=programme["id"], period=period,
                      currency=programme["currency"],
                      budget=budget_for(conn, programme["id"], year), **total)


def ledger_year(conn: Connection, programme: Any, year: int) -> dict[str, Any]:
    """Each month of a fiscal year (its own amounts and the year to date) and the year's
    totals."""
    budget = budget_for(conn, programme["id"], year)
    by_month = _sums(conn, programme["id"], f"{year:04d}-01", f"{year:04d}-12")
    months, to_date = [], dict.fromkeys(("committed", "paid", "failed", "returned", "pending",
                                         "draft"), 0)
    for period, row in by_month.items():
        own = {k: int(getattr(row, k)) for k in to_date}
        for k, v in own.items():
            to_date[k] += v
        line = LedgerLine(programme_id=programme["id"], period=period,
                          currency=programme["currency"], budget=budget,
                          **{k: to_date[k] for k in to_date if k != "draft"})
        months.append({"period": period, **own, "committed_to_date": line.committed,
                       "free": line.free, "problems": line.problems()})
    year_line = LedgerLine(programme_id=programme["id"], period=f"{year:04d}-12",
                           currency=programme["currency"], budget=budget,
                           **{k: to_date[k] for k in to_date if k != "draft"})
    return {"programme": programme["code"], "fiscal_year": year,
            "currency": programme["currency"], "budget": budget, "months": months,
            "total": {**to_date, "free": year_line.free}, "problems": year_line.problems()}
