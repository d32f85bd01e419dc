"""Fault test (issue 18): the server and the job worker killed with ``kill -9`` in the middle of
a payment cycle, then started again: nothing half-applied, the job resumed (or failed with its
reason), the cycle's totals the same as an uninterrupted run's, the ledger adding up.

Real processes on PostgreSQL: ``spmis serve`` and ``spmis worker`` on a fresh schema. To kill the
worker at a known point, not by luck of timing, the test holds an EXCLUSIVE lock on the
``entitlement`` table from its own connection: the cycle job opens its transaction, records its
exits, reports "entitlements" and then waits on the lock inside its INSERT of the lines. The test
kills both processes right then, releases the lock and starts them again. (On SQLite the same
lock would also block the job's progress writes, so the point could not be observed.)"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, insert, select, text

from spmis.auth.model import SYSTEM, Actor
from spmis.config import Settings
from spmis.context import AppContext
from spmis.jobs import store as job_store
from spmis.jobs.model import Job, JobState
from spmis.jobs.service import JobService
from spmis.payments import store
from spmis.payments.cycle_job import KIND
from spmis.payments.service import PaymentsService
from spmis.registry.store import household, person
from spmis.rules.service import RulesService
from tests.conftest import MigratedTemplates, make_settings, migrated_database
from tests.integration.ops.server import SPMIS, free_port, settings_env, wait_until_alive
from tests.integration.payments.seed import AUDIT, CARD, RURAL, _person

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(600)]

HOUSEHOLDS = 3_000
PERIOD = "2023-06"
CODE = "covid19_cash_transfer"
OFFICER = Actor("officer", frozenset({"programme_officer"}), "")
APPROVER = Actor("approver", frozenset({"approver"}), "")
FINANCE = Actor("finance", frozenset({"finance_officer"}), "")


@pytest.fixture
def settings(tmp_path: Path, migrated_templates: MigratedTemplates) -> Iterator[Settings]:
    with migrated_database("postgres", tmp_path, migrated_templates) as url:
        yield make_settings(url, tmp_path / "var")


def _registry(engine: Engine) -> None:
    """IDPoor households in one rural commune, heads of both sexes, some with a child."""
    with engine.begin() as conn:
        conn.execute(insert(household), [
            {"id": h, **RURAL, **CARD, "status": "active", **AUDIT}
            for h in range(1, HOUSEHOLDS + 1)])
        people = [_person(h * 10 + 1, h, "head", "F" if h % 2 else "M", date(1980, 1, 1))
                  for h in range(1, HOUSEHOLDS + 1)]
        people += [_person(h * 10 + 2, h, "child", "M", date(2015, 5, 5))
                   for h in range(1, HOUSEHOLDS + 1, 3)]
        conn.execute(insert(person), people)


class Processes:
    """The server and the worker of one installation, killable with SIGKILL."""

    def __init__(self, settings: Settings, tmp: Path) -> None:
        self.env = settings_env(settings, jobs_heartbeat_seconds="0.2", jobs_lease_seconds="4")
        self.log_path = tmp / "processes.log"
        self.log = self.log_path.open("ab")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        server = subprocess.Popen(
            [SPMIS, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        worker = subprocess.Popen([SPMIS, "worker"], env=self.env, stdout=self.log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        self.running = [server, worker]
        wait_until_alive(self.base, server, self.log_path)

    def kill_9(self) -> None:
        for proc in self.running:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self.running = []

    def close(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        self.log.close()


def _job(ctx: AppContext, job_id: int) -> Job:
    with ctx.engine.connect() as conn:
        return job_store.to_job(job_store.get(conn, job_id))  # type: ignore[arg-type]


def _wait(ctx: AppContext, job_id: int, until: Any, what: str, seconds: float = 180) -> Job:
    deadline = time.monotonic() + seconds
    while True:
        job = _job(ctx, job_id)
        if until(job):
            return job
        assert time.monotonic() < deadline, f"{what}: {job.state} {job.progress_done} {job.error}"
        time.sleep(0.1)


def _lines(ctx: AppContext) -> tuple[int, int]:
    e = store.entitlement
    with ctx.engine.connect() as conn:
        n, amount = conn.execute(select(func.count(), func.coalesce(func.sum(e.c.amount), 0))).one()
    return int(n), int(amount)


def test_a_payment_cycle_survives_kill_9_of_worker_and_server(settings: Settings,
                                                              tmp_path: Path) -> None:
    ctx = AppContext.create(settings)
    procs = Processes(settings, tmp_path)
    try:
        _registry(ctx.engine)
        pay = PaymentsService(ctx)
        pay.seed_programmes(OFFICER)
        pay.set_programme_state(OFFICER, CODE, "active", "sub-decree 88")
        pay.set_budget(OFFICER, CODE, 2023, 10_000_000_000, "KHR", "budget law 2023")
        run = RulesService(ctx).evaluate(SYSTEM, PERIOD, [CODE])
        enrolment = pay.create_enrolment_run(OFFICER, CODE, run.run_id)
        pay.decide_enrolment(APPROVER, enrolment["id"], True, "checked")
        enrolled = pay.enrolment_run(OFFICER, enrolment["id"])
        assert enrolled["candidates"] == HOUSEHOLDS and enrolled["amount"] > 0
        procs.start()

        # --- the cycle waits on the lock inside its transaction: kill -9 there
        locker = ctx.engine.connect()
        lock = locker.begin()
        locker.execute(text("LOCK TABLE entitlement IN EXCLUSIVE MODE"))
        job = JobService(ctx).submit(FINANCE, KIND, {"programme": CODE, "period": PERIOD,
                                                     "evaluation_run_id": run.run_id})
        _wait(ctx, job.id, lambda j: j.state == JobState.RUNNING and j.progress_done >= 40,
              "the cycle did not reach its entitlements")
        time.sleep(0.5)  # inside the INSERT, waiting on the lock
        procs.kill_9()
        lock.rollback()
        locker.close()

        at_kill = _job(ctx, job.id)
        assert at_kill.state == JobState.RUNNING, "killed before the job ended"
        assert _lines(ctx) == (0, 0), "no line of the killed transaction is left"
        cycle = pay.cycles(OFFICER, CODE)
        assert len(cycle) == 1 and cycle[0]["state"] == "draft" and cycle[0]["lines"] == 0

        # --- started again: the job is taken over and finished (or failed with its reason)
        procs.start()
        done = _wait(ctx, job.id, lambda j: j.is_final, "the job did not end after the restart")
        assert any(n["en"].startswith("the worker stopped while the job was running")
                   for n in done.notes), done.notes
        if done.state == JobState.FAILED:
            assert done.error_code == "worker_lost" and done.error
            return
        assert done.state == JobState.SUCCEEDED, (done.state, done.error)
        assert done.attempts == 2
        lines, amount = _lines(ctx)
        assert (lines, amount) == (HOUSEHOLDS, enrolled["amount"]), "totals as a clean run's"
        cycle_id = cycle[0]["id"]
        after = pay.cycle(OFFICER, cycle_id)
        assert after["state"] == "pending_approval"
        assert (after["lines"], after["amount"]) == (lines, amount)

        # --- running the cycle again creates nothing; the ledger adds up
        again = pay.run_cycle(FINANCE, cycle_id)
        assert again["new_lines"] == 0 and _lines(ctx) == (lines, amount)
        book = pay.ledger(OFFICER, CODE, 2023)
        total = book["total"]
        assert book["budget"] == total["committed"] + total["free"] and not book["problems"]
        assert total["committed"] == total["paid"] + total["failed"] + total["pending"]
        assert httpx.get(f"{procs.base}/health", timeout=5).status_code == 200
    finally:
        procs.close()
        ctx.engine.dispose()
