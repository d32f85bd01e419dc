"""Fault test (issue 15): the month's contribution run killed with ``kill -9`` after it loaded
and indexed the month's new table, while it attaches it as the month's partition: nothing is
left (no table, no contribution, no run), and the next run computes the month in full.

Real process on PostgreSQL: ``spmis fund run`` on a fresh schema. To kill it at a known point,
the test holds a share lock on ``fund_contribution_default`` from its own connection: attaching a
partition needs that partition exclusively, so the run waits there, inside its transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from spmis.config import Settings
from spmis.context import AppContext
from spmis.fund import store
from tests.conftest import empty_database, make_settings
from tests.integration.fund.seed import BOSS, OFFICER, OTHER_BOSS, fund_with_two_employers, lines
from tests.integration.ops.server import SPMIS, settings_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]

NOV = "2026-11"
MONTH = "fund_contribution_2026_11"


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    with empty_database("postgres", tmp_path) as url:
        from spmis.db.migrate import upgrade

        upgrade(url)
        yield make_settings(url, tmp_path / "var")


def _state(engine: Engine) -> tuple[object, int, int]:
    """(the month's table or None, contributions of the month, runs recorded)."""
    c, r = store.fund_contribution, store.fund_contribution_run
    with engine.connect() as conn:
        table = conn.execute(text("SELECT to_regclass(:t)::text"), {"t": MONTH}).scalar()
        n = conn.execute(select(func.count()).where(c.c.period == NOV)).scalar_one()
        runs = conn.execute(select(func.count()).select_from(r)).scalar_one()
    return table, int(n), int(runs)


def _waiting_on_default(engine: Engine) -> int | None:
    """The server process of the session waiting to lock ``fund_contribution_default``."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT pid FROM pg_locks WHERE NOT granted "
            "AND relation = to_regclass('fund_contribution_default')")).scalar()


def _alive(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar())


def test_a_run_killed_while_attaching_the_month_leaves_nothing(settings: Settings,
                                                               tmp_path: Path) -> None:
    ctx = AppContext.create(settings)
    log = (tmp_path / "run.log").open("wb")
    proc: subprocess.Popen[bytes] | None = None
    try:
        fund, e1, e2 = fund_with_two_employers(ctx)
        d1 = fund.declare(BOSS, e1, NOV, lines((41, "150000"), (42, "1000000"), (43, "900000")))
        fund.submit(BOSS, d1["declaration_id"])
        d2 = fund.declare(OTHER_BOSS, e2, NOV, lines((42, "300000")))
        fund.submit(OTHER_BOSS, d2["declaration_id"])

        locker = ctx.engine.connect()
        lock = locker.begin()
        locker.execute(text("LOCK TABLE fund_contribution_default IN ACCESS SHARE MODE"))
        proc = subprocess.Popen([SPMIS, "fund", "run", NOV, "--as", "officer:fund_officer"],
                                env=settings_env(settings), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while (backend := _waiting_on_default(ctx.engine)) is None:  # loaded, attaching
            assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the run did not reach the attachment"
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        lock.rollback()
        locker.close()
        # the server ends the killed run's session (and rolls it back) once it notices
        deadline = time.monotonic() + 60
        while _alive(ctx.engine, backend):
            assert time.monotonic() < deadline, "the killed run's session did not end"
            time.sleep(0.1)
        assert _state(ctx.engine) == (None, 0, 0)

        out = fund.run_month(OFFICER, NOV)
        assert (out["employers"], out["workers"], out["invoices"]) == (2, 4, 2)
        assert _state(ctx.engine) == (MONTH, 4, 1)
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        ctx.engine.dispose()
