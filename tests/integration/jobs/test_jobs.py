"""Background jobs on both engines, with the real queue of each (procrastinate on PostgreSQL,
huey on SQLite) and a real worker (``JobWorker.drain`` runs what is queued, as ``spmis worker
--burst`` does): the record, who sees it, failures with their reason, cancelling, and what
happens to a job whose worker is gone."""

from __future__ import annotations

import subprocess
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.errors import InvalidInput, NotFound
from spmis.jobs import JobKind, JobService, JobState, JobWork, register
from spmis.jobs import store as job_store
from spmis.jobs.model import WorkerName
from spmis.jobs.worker import JobWorker

REG = Actor("reg-a", frozenset({"registrar"}), "1201")
OTHER = Actor("reg-b", frozenset({"registrar"}), "1201")
ADMIN = Actor("admin-1", frozenset({"admin"}), "")

#: the worker a test job may ask to stop (set by the test)
WORKERS: list[JobWorker] = []
CALLS: dict[str, int] = {}


def _count(work: JobWork) -> dict[str, Any]:
    n = int(work.parameters["n"])
    CALLS[str(work.job_id)] = CALLS.get(str(work.job_id), 0) + 1
    for i in range(n):
        if work.parameters.get("stop_at") == i and CALLS[str(work.job_id)] == 1:
            WORKERS[0].request_stop()
        work.progress(i, n, f"{i} of {n}", f"{i} នៃ {n}")
    return {"counted": n}


def _boom(work: JobWork) -> dict[str, Any]:
    work.progress(1, 4)
    raise ValueError("disk on fire\nsecond line")


def _refuse(work: JobWork) -> dict[str, Any]:
    raise InvalidInput.one(("file",), "invalid_file", "the file is empty", "ឯកសារទទេ")


def _stolen(work: JobWork) -> dict[str, Any]:
    with work.ctx.engine.begin() as conn:  # another worker took the job over meanwhile
        conn.execute(update(job_store.job).where(job_store.job.c.id == work.job_id)
                     .values(worker="thief/1/x/y"))
    work.progress(1, 2)
    return {"should": "not be stored"}


def _writes_then_reports(work: JobWork) -> dict[str, Any]:
    """Reports progress while its own transaction holds the write it made (as the fund's
    month and a payment cycle do after writing)."""
    with work.ctx.engine.begin() as conn:
        conn.execute(update(job_store.job).where(job_store.job.c.id == -1).values(worker="x"))
        time.sleep(1.2)  # past the worker's PROGRESS_EVERY, so progress() writes
        work.progress(1, 2, "written", "បានសរសេរ")
    work.progress(2, 2)
    return {"done": True}


register(JobKind("test.count", "Count", "រាប់", run=_count, resumable=True))
register(JobKind("test.once", "Count once", "រាប់ម្តង", run=_count, resumable=False))
register(JobKind("test.boom", "Boom", "ផ្ទុះ", run=_boom))
register(JobKind("test.refuse", "Refuse", "បដិសេធ", run=_refuse))
register(JobKind("test.writes_then_reports", "Writes", "សរសេរ", run=_writes_then_reports))
register(JobKind("test.stolen", "Stolen", "ត្រូវបានយក", run=_stolen))
register(JobKind("test.admin_only", "Admin", "អ្នកគ្រប់គ្រង", run=_count,
                 roles=frozenset({"admin"})))


def _drain(ctx: AppContext) -> JobWorker:
    worker = JobWorker(ctx)
    worker.drain()
    return worker


def _abandon(ctx: AppContext, job_id: int, holder: str, seconds_ago: float,
             done: int = 43, total: int = 100) -> None:
    """Make job ``job_id`` look as a worker ``holder`` left it: running, at done/total, with
    its last heartbeat ``seconds_ago``."""
    then = utcnow() - timedelta(seconds=seconds_ago)
    with ctx.engine.begin() as conn:
        assert job_store.claim(conn, job_id, holder, then)
        held, _ = job_store.heartbeat(conn, job_id, holder, then, {
            "progress_done": done, "progress_total": total,
            "progress_message": f"{done} rows read", "progress_message_km": f"បានអាន {done}"})
        assert held


def test_a_submitted_job_runs_and_its_record_shows_the_result(ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, "test.count", {"n": 3})
    assert job.state == JobState.QUEUED and job.created_by == "reg-a"
    assert job.actor == {"roles": ["registrar"], "scope": "1201"}
    _drain(ctx)
    job = service.get(REG, job.id)
    assert job.state == JobState.SUCCEEDED
    assert job.result == {"counted": 3}
    assert job.attempts == 1 and job.percent == 100
    assert job.progress_message == "2 of 3" and job.progress_message_km == "2 នៃ 3"
    assert job.started_at is not None and job.finished_at is not None
    assert job.error_code is None


def test_a_user_sees_their_own_jobs_and_an_admin_sees_all(ctx: AppContext) -> None:
    service = JobService(ctx)
    mine = service.submit(REG, "test.count", {"n": 1})
    theirs = service.submit(OTHER, "test.count", {"n": 1})
    assert [j.id for j in service.list(REG)] == [mine.id]
    assert [j.id for j in service.list(ADMIN)] == [theirs.id, mine.id]
    with pytest.raises(NotFound):
        service.get(OTHER, mine.id)
    assert service.get(ADMIN, mine.id).id == mine.id
    with pytest.raises(InvalidInput):
        service.list(REG, state="sleeping")


def test_a_kind_may_be_limited_to_roles_and_unknown_kinds_are_refused(ctx: AppContext) -> None:
    from spmis.errors import Forbidden

    service = JobService(ctx)
    with pytest.raises(Forbidden):
        service.submit(REG, "test.admin_only", {"n": 1})
    assert service.submit(ADMIN, "test.admin_only", {"n": 1}).state == JobState.QUEUED
    with pytest.raises(InvalidInput) as err:
        service.submit(REG, "no.such.kind", {})
    assert err.value.errors[0].loc == ("kind",)


def test_progress_reported_inside_the_jobs_own_write_does_not_fail_it(ctx: AppContext) -> None:
    """On SQLite the job's open write transaction holds the database's one write lock: a
    progress report inside it used to wait for that lock and fail the job ('database is
    locked'); it is now left to the supervisor's next beat."""
    service = JobService(ctx)
    job = service.submit(REG, "test.writes_then_reports", {})
    started = time.monotonic()
    _drain(ctx)
    done = service.get(REG, job.id)
    assert done.state == JobState.SUCCEEDED, (done.error_code, done.error)
    assert done.result == {"done": True} and done.percent == 100
    assert time.monotonic() - started < 8  # never waited out SQLite's 10 s busy timeout


def test_a_failing_job_is_failed_with_its_reason(ctx: AppContext) -> None:
    service = JobService(ctx)
    boom = service.submit(REG, "test.boom", {})
    refused = service.submit(REG, "test.refuse", {})
    _drain(ctx)
    boom_job = service.get(REG, boom.id)
    assert boom_job.state == JobState.FAILED
    assert boom_job.error_code == "failed"
    assert boom_job.error == "the job failed: disk on fire"
    assert boom_job.error_km == "ការងារនេះបរាជ័យ៖ disk on fire"
    assert boom_job.progress_done == 1  # how far it got stays on the record
    refused_job = service.get(REG, refused.id)
    assert refused_job.state == JobState.FAILED
    assert refused_job.error_code == "invalid_input"
    assert refused_job.error == "file: the file is empty"
    assert refused_job.error_km == "file: ឯកសារទទេ"


def test_a_cancelled_queued_job_never_runs(ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, "test.count", {"n": 2})
    with pytest.raises(NotFound):
        service.cancel(OTHER, job.id)
    cancelled = service.cancel(REG, job.id)
    assert cancelled.state == JobState.CANCELLED
    _drain(ctx)  # its message is still in the queue: the worker must not run it
    job = service.get(REG, job.id)
    assert job.state == JobState.CANCELLED and job.attempts == 0 and job.result is None


def test_an_abandoned_resumable_job_is_queued_again_and_resumed(ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, "test.count", {"n": 2})
    _abandon(ctx, job.id, "elsewhere/4242/otherspace/t", seconds_ago=600)
    worker = JobWorker(ctx)
    assert worker.recover() == [job.id]
    requeued = service.get(REG, job.id)
    assert requeued.state == JobState.QUEUED and requeued.worker is None
    assert requeued.notes[-1]["en"] == (
        "the worker stopped while the job was running (at 43%); by then: 43 rows read; the job "
        "was queued again and resumed")
    assert "ត្រឹម 43%" in requeued.notes[-1]["km"]
    _drain(ctx)
    done = service.get(REG, job.id)
    assert done.state == JobState.SUCCEEDED and done.attempts == 2


def test_an_abandoned_job_that_cannot_resume_is_failed_with_the_reason(ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, "test.once", {"n": 2})
    _abandon(ctx, job.id, "elsewhere/4242/otherspace/t", seconds_ago=600)
    assert JobWorker(ctx).recover() == [job.id]
    failed = service.get(REG, job.id)
    assert failed.state == JobState.FAILED
    assert failed.error_code == "worker_lost"
    assert failed.error == ("the worker stopped while the job was running (at 43%); by then: "
                            "43 rows read; submit it again")
    assert failed.progress_done == 43  # how far it got stays visible
    assert failed.finished_at is not None


def test_a_live_job_is_left_alone(ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, "test.count", {"n": 2})
    _abandon(ctx, job.id, "elsewhere/4242/otherspace/t", seconds_ago=1)  # a fresh heartbeat
    assert JobWorker(ctx).recover() == []
    assert service.get(REG, job.id).state == JobState.RUNNING


def test_a_worker_on_this_machine_whose_process_is_gone_is_not_waited_for(
        ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, "test.count", {"n": 2})
    worker = JobWorker(ctx)
    gone = subprocess.Popen(["true"])
    gone.wait()
    holder = WorkerName("here", gone.pid, worker.worker_name.space, "t")
    _abandon(ctx, job.id, str(holder), seconds_ago=1)  # its lease has not expired
    assert worker.worker_name.space, "this machine names its process space"
    assert worker.recover() == [job.id]
    assert service.get(REG, job.id).state == JobState.QUEUED


def test_of_two_workers_that_find_an_abandoned_job_one_decides(ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, "test.once", {"n": 2})
    _abandon(ctx, job.id, "elsewhere/4242/otherspace/t", seconds_ago=600)
    snapshot = service.get(ADMIN, job.id)
    first, second = JobWorker(ctx), JobWorker(ctx)
    assert first._abandoned(snapshot) is True
    assert second._abandoned(snapshot) is False
    assert len(service.get(REG, job.id).notes) == 1


def test_a_worker_that_lost_its_lease_stops_and_writes_nothing(ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, "test.stolen", {})
    _drain(ctx)
    after = service.get(REG, job.id)
    assert after.state == JobState.RUNNING and after.worker == "thief/1/x/y"
    assert after.result is None


def test_a_stopping_worker_hands_a_resumable_job_back(ctx: AppContext) -> None:
    service = JobService(ctx)
    job = service.submit(REG, "test.count", {"n": 5, "stop_at": 2})
    worker = JobWorker(ctx)
    WORKERS[:] = [worker]
    CALLS.clear()
    worker.drain()
    back = service.get(REG, job.id)
    assert back.state == JobState.QUEUED and back.attempts == 1
    assert back.notes[-1]["en"].startswith("the worker was stopped (at ")
    _drain(ctx)  # the next worker sends it again and runs it
    assert service.get(REG, job.id).state == JobState.SUCCEEDED
