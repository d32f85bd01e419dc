"""Fault test: the worker killed with ``kill -9`` in the middle of a registry deduplication job.
Its ``link_run`` stayed ``running`` and barred every new run over an overlapping area for
``STALE_AFTER`` (12 hours). Now the worker that takes the job over (here: the next one started)
fails the job and marks its run failed at once, so a new run may start.

A real ``spmis worker`` process on PostgreSQL. To kill it at a known point, the test holds an
ACCESS EXCLUSIVE lock on ``person`` from its own connection: the job records its run as running,
then waits on the lock while loading the people."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from spmis.auth.model import SYSTEM, Actor
from spmis.config import Settings
from spmis.context import AppContext
from spmis.jobs import store as job_store
from spmis.jobs.model import Job, JobState
from spmis.jobs.service import JobService
from spmis.linkage.dedupe_job import KIND
from spmis.linkage.registry_dedupe import run_registry_dedupe
from spmis.linkage.store import link_run
from spmis.registry.fileformat import HOUSEHOLD_COLUMNS
from spmis.registry.importer import import_households
from tests.conftest import MigratedTemplates, make_settings, migrated_database
from tests.integration.ops.server import SPMIS, settings_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]

REGISTRAR = Actor("reg-pp", frozenset({"registrar"}), "12")


@pytest.fixture
def settings(tmp_path: Path, migrated_templates: MigratedTemplates) -> Iterator[Settings]:
    with migrated_database("postgres", tmp_path, migrated_templates) as url:
        yield make_settings(url, tmp_path / "var")


def _registry(ctx: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=HOUSEHOLD_COLUMNS)
        w.writeheader()
        for i, name in enumerate(("Dara", "Dara", "Sophea", "Vanna")):
            w.writerow({"household_key": f"H{i}", "village_code": "12010101",
                        "person_key": f"P{i}", "relationship": "head",
                        "family_name_latin": "Sok", "given_name_latin": name, "sex": "F",
                        "date_of_birth": "1980-01-01"})
    assert import_households(ctx, path, SYSTEM, progress=False).people_created == 4


def _job(ctx: AppContext, job_id: int) -> Job:
    with ctx.engine.connect() as conn:
        return job_store.to_job(job_store.get(conn, job_id))  # type: ignore[arg-type]


def _until(check: Any, what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _runs(ctx: AppContext) -> list[tuple[int, str]]:
    with ctx.engine.connect() as conn:
        return [(int(i), str(s)) for i, s in conn.execute(
            select(link_run.c.id, link_run.c.status).order_by(link_run.c.id))]


def _idle(ctx: AppContext) -> bool:
    with ctx.engine.connect() as conn:
        return not (job_store.ids_in_state(conn, JobState.QUEUED)
                    or job_store.ids_in_state(conn, JobState.RUNNING))


def test_a_killed_dedupe_job_leaves_no_run_running(settings: Settings, tmp_path: Path) -> None:
    ctx = AppContext.create(settings)
    env = settings_env(settings, jobs_heartbeat_seconds="0.2", jobs_lease_seconds="4")
    log = (tmp_path / "worker.log").open("ab")
    workers: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        workers.append(subprocess.Popen([SPMIS, "worker"], env=env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True))

    try:
        _registry(ctx, tmp_path)
        start()
        time.sleep(1)
        _until(lambda: _idle(ctx), "the worker's scheduled jobs did not end")
        locker = ctx.engine.connect()
        lock = locker.begin()
        locker.execute(text("LOCK TABLE person IN ACCESS EXCLUSIVE MODE"))
        job = JobService(ctx).submit(REGISTRAR, KIND, {
            "review_threshold": 0.8, "auto_merge_threshold": None, "memory_limit": "500MB"})
        _until(lambda: _job(ctx, job.id).state == JobState.RUNNING and _runs(ctx),
               "the job did not start its run")
        time.sleep(0.5)  # loading the people, waiting on the lock
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        lock.rollback()
        locker.close()
        [(run_id, status)] = _runs(ctx)
        assert status == "running" and _job(ctx, job.id).state == JobState.RUNNING

        start()  # the next worker takes the job over at once (its holder's process is gone)
        done = _until(lambda: (j := _job(ctx, job.id)).is_final and j, "the job did not end",
                      seconds=30)
        assert done.state == JobState.FAILED and done.error_code == "worker_lost", done.error
        assert _until(lambda: _runs(ctx) == [(run_id, "failed")], "the run stayed running",
                      seconds=10)
        with ctx.engine.connect() as conn:
            notes = conn.execute(select(link_run.c.notes).where(link_run.c.id == run_id)
                                 ).scalar_one()
        assert f"its job {job.id} stopped" in notes[0]
        # a new run over the same area starts at once (it was refused for 12 hours)
        again = run_registry_dedupe(ctx, REGISTRAR, memory_limit="500MB")
        assert again.run_id != run_id and _runs(ctx)[-1] == (again.run_id, "finished")
    finally:
        for proc in workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        log.close()
        ctx.engine.dispose()
