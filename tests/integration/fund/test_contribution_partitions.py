"""The month's run and the monthly partitions of ``fund_contribution`` (PostgreSQL; on SQLite the
same runs, one table): a first run attaches the month as a partition with its indexes, a
correction writes into it, a failed run leaves no table behind, two runs of one month at once
create the partition once, and the migration keeps the rows of existing months."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Connection, func, insert, select, text

from spmis.context import AppContext
from spmis.db.engine import make_engine
from spmis.db.migrate import downgrade, upgrade
from spmis.fund import run, store
from tests.integration.fund.seed import BOSS, OFFICER, OTHER_BOSS, fund_with_two_employers, lines

NOV = "2026-11"
MONTH = "fund_contribution_2026_11"


def _postgres(ctx: AppContext) -> bool:
    return ctx.engine.dialect.name == "postgresql"


def _partitions(conn: Connection) -> dict[str, int]:
    """Each partition of fund_contribution and the number of its indexes."""
    rows = conn.execute(text(
        "SELECT c.relname, (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) "
        "FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid "
        "WHERE h.inhparent = to_regclass('fund_contribution')")).all()
    return {str(name): int(n) for name, n in rows}


def _checks(conn: Connection, table: str) -> list[str]:
    return list(conn.execute(text(
        "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:t) AND contype = 'c'"),
        {"t": table}).scalars())


def _declare_both(ctx: AppContext) -> tuple[Any, int, int]:
    fund, e1, e2 = fund_with_two_employers(ctx)
    d1 = fund.declare(BOSS, e1, NOV, lines((41, "150000"), (42, "1,000,000"), (43, "5000000")))
    fund.submit(BOSS, d1["declaration_id"])
    d2 = fund.declare(OTHER_BOSS, e2, NOV, lines((42, "300000")))
    fund.submit(OTHER_BOSS, d2["declaration_id"])
    return fund, e1, e2


def _month(ctx: AppContext) -> tuple[int, int]:
    c = store.fund_contribution
    with ctx.engine.connect() as conn:
        n, total = conn.execute(select(func.count(), func.coalesce(func.sum(c.c.total), 0))
                                .where(c.c.period == NOV)).one()
    return int(n), int(total)


def test_first_run_attaches_the_month_and_a_correction_writes_into_it(ctx: AppContext) -> None:
    fund, e1, _ = _declare_both(ctx)
    out = fund.run_month(OFFICER, NOV)
    assert (out["employers"], out["workers"], out["invoices"]) == (2, 4, 2)
    workers, amount = _month(ctx)
    assert (workers, out["amount"]) == (4, amount)  # the run's amount: what it wrote
    billed = sum(i["amount"] for i in fund.invoices(BOSS, e1))
    if _postgres(ctx):
        with ctx.engine.connect() as conn:
            # the month's own partition with the parent's two indexes; the CHECK made for the
            # attachment is gone; the DEFAULT partition holds nothing
            assert _partitions(conn) == {MONTH: 2, "fund_contribution_default": 2}
            assert _checks(conn, MONTH) == []
            assert conn.execute(text(f"SELECT count(*) FROM {MONTH}")).scalar_one() == 4
            assert conn.execute(text(
                "SELECT count(*) FROM fund_contribution_default")).scalar_one() == 0
    # a correction of one employer: written into the month's partition, the other kept
    fix = fund.declare(BOSS, e1, NOV, lines((41, "150000"), (42, "1,200,000"), (43, "5000000")),
                       correction=True)
    fund.submit(BOSS, fix["declaration_id"])
    again = fund.run_month(OFFICER, NOV)
    assert (again["employers"], again["workers"], again["invoices"]) == (1, 3, 1)
    # e1's rows replaced: the month moves by e1's new total less its old one
    assert _month(ctx) == (4, amount - billed + again["amount"])
    adjustment = [i for i in fund.invoices(BOSS, e1) if i["kind"] == "adjustment"]
    assert len(adjustment) == 1 and adjustment[0]["amount"] == again["amount"] - billed > 0
    if _postgres(ctx):
        with ctx.engine.connect() as conn:
            assert _partitions(conn) == {MONTH: 2, "fund_contribution_default": 2}
            assert conn.execute(text(f"SELECT count(*) FROM {MONTH}")).scalar_one() == 4


def test_a_failed_first_run_leaves_no_table_behind(ctx: AppContext,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fund, _, _ = _declare_both(ctx)

    def broken(*args: Any) -> int:
        raise RuntimeError("the invoices failed")

    monkeypatch.setattr(run, "_invoices", broken)  # after the month is loaded and attached
    with pytest.raises(RuntimeError):
        fund.run_month(OFFICER, NOV)
    assert _month(ctx) == (0, 0)
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(
            store.fund_contribution_run)).scalar_one() == 0
        if _postgres(ctx):
            assert conn.execute(text("SELECT to_regclass(:t)"), {"t": MONTH}).scalar() is None
            assert _partitions(conn) == {"fund_contribution_default": 2}
    monkeypatch.undo()
    out = fund.run_month(OFFICER, NOV)
    assert (out["employers"], out["workers"], out["invoices"]) == (2, 4, 2)


def test_two_runs_of_one_month_at_once_create_the_month_once(ctx: AppContext) -> None:
    if not _postgres(ctx):
        pytest.skip("SQLite runs one writer at a time")
    fund, _, _ = _declare_both(ctx)
    key = "hashtext(current_schema() || ' fund_contribution ' || :p)"
    holder = ctx.engine.connect()
    holder.execute(text(f"SELECT pg_advisory_lock({key})"), {"p": NOV})
    holder.commit()
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def one_run() -> None:
        try:
            results.append(fund.run_month(OFFICER, NOV))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        waiting = 0
        while waiting < 2:  # both runs wait for the month's lock
            assert time.monotonic() < deadline, f"{waiting} run(s) waiting on the month's lock"
            time.sleep(0.05)
            waiting = int(holder.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                f"AND objsubid = 1 AND objid::text::bigint = (({key})::bigint & 4294967295)"),
                {"p": NOV}).scalar_one())
            holder.commit()
    finally:
        holder.execute(text(f"SELECT pg_advisory_unlock({key})"), {"p": NOV})
        holder.commit()
        for t in threads:
            t.join(120)
        holder.close()
    assert errors == []
    assert sorted((r["employers"], r["workers"], r["invoices"]) for r in results) == [
        (0, 0, 0), (2, 4, 2)]
    assert _month(ctx)[0] == 4
    with ctx.engine.connect() as conn:
        assert _partitions(conn) == {MONTH: 2, "fund_contribution_default": 2}


def test_the_migration_keeps_the_rows_of_existing_months(empty_db_url: str) -> None:
    upgrade(empty_db_url, "0021_targeting_review")
    row = {"employer_id": 1, "person_id": 7, "declaration_id": 3, "run_id": 1,
           "wage_khr": 500_000, "base_occupational": 500_000, "base_pension": 500_000,
           "occupational_risk": 4_000, "health_care_employer": 13_000,
           "health_care_worker": 0, "pension_employer": 10_000, "pension_worker": 10_000,
           "total": 37_000, "currency": "KHR"}
    months = ("2026-09", "2026-10")
    engine = make_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(store.fund_contribution), [
                {**row, "period": p, "person_id": row["person_id"] + i}
                for i, p in enumerate(months)])
        upgrade(empty_db_url)
        want = [(p, 7 + i) for i, p in enumerate(months)]
        got = _rows(engine)
        assert got == want
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                assert _partitions(conn) == {"fund_contribution_2026_09": 2,
                                             "fund_contribution_2026_10": 2,
                                             "fund_contribution_default": 2}
        downgrade(empty_db_url, "0021_targeting_review")
        assert _rows(engine) == want
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                assert _partitions(conn) == {}
                assert conn.execute(text(
                    "SELECT count(*) FROM pg_indexes WHERE tablename = 'fund_contribution' "
                    "AND schemaname = current_schema()")).scalar_one() == 2
    finally:
        engine.dispose()


def _rows(engine: Any) -> list[tuple[str, int]]:
    c = store.fund_contribution
    with engine.connect() as conn:
        return [(str(p), int(n)) for p, n in conn.execute(
            select(c.c.period, c.c.person_id).order_by(c.c.period))]



def test_chunks_smaller_than_an_employer_give_the_same_month(
        ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two lines at a time: an employer's lines are split over chunks (PostgreSQL reads them
    by rows), yet each invoice bills all of its workers."""
    fund, e1, e2 = _declare_both(ctx)
    monkeypatch.setattr(run, "CHUNK_WORKERS", 2)
    seen: list[float] = []
    out = fund.run_month(OFFICER, NOV, progress=seen.append)
    assert (out["employers"], out["workers"], out["invoices"]) == (2, 4, 2)
    assert len(seen) >= 2 and seen[-1] == 1.0
    c = store.fund_contribution
    with ctx.engine.connect() as conn:
        by_employer = {int(e): int(t) for e, t in conn.execute(
            select(c.c.employer_id, func.sum(c.c.total)).group_by(c.c.employer_id))}
    assert out["amount"] == sum(by_employer.values())
    for employer, actor in ((e1, BOSS), (e2, OTHER_BOSS)):
        invoices = fund.invoices(actor, employer)
        assert [(i["kind"], i["amount"]) for i in invoices] == [
            ("contribution", by_employer[employer])]
