"""The worker process (``spmis worker``): takes jobs the queue delivers, runs them one at a time,
keeps their lease alive and records their progress, and takes care of jobs whose worker is gone.

How a job survives a restart (docs/operations.md, "Background jobs"):

- A running job is held by one worker (``job.worker``) whose supervisor thread renews
  ``job.heartbeat_at`` every ``jobs_heartbeat_seconds``.
- Every worker checks, at start and at each heartbeat, for running jobs whose holder is gone:
  its heartbeat is older than ``jobs_lease_seconds``, or it ran on this machine (same process
  space) and its process no longer exists. Such a job is put back in the queue when its kind
  can be resumed (and it has had fewer than ``jobs_max_attempts`` attempts), otherwise failed
  with the reason and how far it got. Both are a compare-and-set: of two workers, one decides.
- Asked to stop (SIGTERM, SIGINT), a worker hands a resumable job back to the queue at its next
  progress report, and lets any other job finish (up to a grace period).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.engine import SQLITE_BUSY_MS
from spmis.errors import InvalidInput, SpmisError
from spmis.jobs import kinds, store
from spmis.jobs.files import JobFiles
from spmis.jobs.kinds import JobKind
from spmis.jobs.model import (
    ERROR_CANCELLED,
    ERROR_FAILED,
    ERROR_INVALID,
    ERROR_WORKER_LOST,
    RESTART_HINT,
    Job,
    JobState,
    Note,
    WorkerName,
    cancelled_note,
    holder_gone,
    interrupted_note,
    lease_expired,
    percent,
    stopped_note,
)
from spmis.jobs.queue import Queue, queue_for

log = logging.getLogger(__name__)

#: progress is written to the job record at most this often (seconds)
PROGRESS_EVERY = 1.0
#: files past their retention are looked for this often (seconds)
HOUSEKEEPING_EVERY = 600.0


class JobStopped(BaseException):
    """Raised inside a job's code by ``progress()`` when the job must stop now. A BaseException
    so that the job's own ``except Exception`` does not swallow it."""


class _Interrupted(JobStopped):
    """The worker is stopping; the job goes back to the queue."""


class _Cancelled(JobStopped):
    """Somebody cancelled the job."""


class _LeaseLost(JobStopped):
    """Another worker judged this one gone and took the job over."""


def pid_space() -> str:
    """An id of this process-id space (machine boot + pid namespace); '' when unknown."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return hashlib.sha256(f"{boot}|{namespace}".encode()).hexdigest()[:12]


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists in this space and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return status not in {"Z", "X"}


def this_worker() -> WorkerName:
    return WorkerName(socket.gethostname()[:120], os.getpid(), pid_space(),
                      secrets.token_hex(4))


@dataclass
class _Running:
    """The job this worker runs now, shared by its thread and the supervisor thread."""

    job: Job
    kind: JobKind | None
    progress: dict[str, Any] = field(default_factory=dict)
    written_at: float = 0.0
    cancel: bool = False
    lost: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Work:
    """What a job's code receives (``spmis.jobs.kinds.JobWork``)."""

    def __init__(self, worker: JobWorker, running: _Running) -> None:
        job = running.job
        self.ctx = worker.ctx
        self.job_id = job.id
        self.parameters = dict(job.parameters)
        self.actor = Actor(job.created_by, frozenset(job.actor.get("roles") or ()),
                           job.actor.get("scope") or "")
        self.folder = worker.files.job_dir(job.id)
        self._worker = worker
        self._running = running

    def input_file(self, name: str) -> Path:
        path = self._worker.files.upload(name)
        if not path.is_file():
            raise InvalidInput.one(("file",), "missing_upload",
                                   "the uploaded file is no longer there; upload it again",
                                   "ឯកសារដែលបានផ្ទុកឡើងលែងមានទៀតហើយ សូមផ្ទុកវាឡើងម្តងទៀត")
        return path

    def progress(self, done: int, total: int | None, message: str = "",
                 message_km: str = "") -> None:
        running = self._running
        with running.lock:
            running.progress = {
                "progress_done": int(done), "progress_total": total,
                "progress_message": message[:500] or None,
                "progress_message_km": (message_km or message)[:500] or None,
            }
            every = min(PROGRESS_EVERY, self._worker.settings.jobs_heartbeat_seconds)
            due = time.monotonic() - running.written_at >= every
        if due:
            self._worker.beat(running, wait=False)
        self._worker.check(running)


class JobWorker:
    """Runs jobs delivered by the queue; see the module docstring."""

    def __init__(self, ctx: AppContext, queue: Queue | None = None,
                 name: WorkerName | None = None) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.queue = queue or queue_for(ctx.settings)
        self.worker_name = name or this_worker()
        self.name = str(self.worker_name)
        self.files = JobFiles(ctx.settings)
        self._stopping = threading.Event()
        self._closed = threading.Event()
        self._current: _Running | None = None
        self._last_housekeeping = 0.0

    # ------------------------------------------------------------------ process
    def serve(self) -> None:
        """Run until SIGTERM/SIGINT (main thread): recover abandoned jobs, re-send those still
        queued, then take jobs as the queue delivers them."""
        log.info("worker %s starting on the %s queue", self.name, self.queue.name)
        self.recover(resend_queued=True)
        supervisor = threading.Thread(target=self._supervise, name="spmis-job-supervisor",
                                      daemon=True)
        supervisor.start()
        try:
            self.queue.work(self)
        finally:
            self._closed.set()
            supervisor.join(timeout=5)
        log.info("worker %s stopped", self.name)

    def drain(self) -> None:
        """Run every job waiting now, then return (``spmis worker --burst``, tests)."""
        self.recover(resend_queued=True)
        supervisor = threading.Thread(target=self._supervise, daemon=True)
        supervisor.start()
        try:
            self.queue.work(self, burst=True)
        finally:
            self._closed.set()
            supervisor.join(timeout=5)

    def request_stop(self) -> None:
        self._stopping.set()

    def _supervise(self) -> None:
        every = float(self.settings.jobs_heartbeat_seconds)
        while not self._closed.wait(every):
            try:
                running = self._current
                if running is not None:
                    self.beat(running)
                self.recover()
                self.submit_scheduled()
                if time.monotonic() - self._last_housekeeping > HOUSEKEEPING_EVERY:
                    self.housekeeping()
            except Exception:  # the database may be restarting: try again at the next beat
                log.exception("job supervisor")

    # ------------------------------------------------------------------ one job
    def run_job(self, job_id: int) -> None:
        """Run job ``job_id`` if it is still queued (a message may arrive twice). A stopping
        worker starts nothing new: the job stays queued and the next worker sends it again."""
        if self._stopping.is_set():
            return
        with self.ctx.engine.begin() as conn:
            if not store.claim(conn, job_id, self.name, utcnow()):
                return
            row = store.get(conn, job_id)
        assert row is not None
        job = store.to_job(row)
        kind = kinds.get(job.kind)
        if kind is None:
            self._end(_Running(job, None), JobState.FAILED, error=(
                ERROR_FAILED, f"unknown job kind {job.kind!r}",
                f"មិនស្គាល់ប្រភេទការងារ {job.kind!r}"))
            return
        running = _Running(job, kind, written_at=time.monotonic())
        self._current = running
        try:
            self._run(running)
        finally:
            self._current = None

    def _run(self, running: _Running) -> None:
        job, kind = running.job, running.kind
        assert kind is not None
        log.info("job %s (%s) started, attempt %s", job.id, job.kind, job.attempts)
        try:
            result = kind.run(_Work(self, running))
        except _Interrupted:
            self._hand_back(running)
        except _Cancelled:
            done = running.progress.get("progress_done", 0)
            pct = percent(done, running.progress.get("progress_total"))
            en, km = cancelled_note(pct)
            self._end(running, JobState.CANCELLED, note=(en, km), error=(ERROR_CANCELLED, en, km))
        except _LeaseLost:
            log.warning("job %s: lease lost to another worker; stopped here", job.id)
        except InvalidInput as exc:
            self._end(running, JobState.FAILED, error=(
                ERROR_INVALID, "; ".join(f"{e.field}: {e.msg}" for e in exc.errors),
                "; ".join(f"{e.field}: {e.msg_km}" for e in exc.errors)))
        except SpmisError as exc:
            self._end(running, JobState.FAILED, error=(ERROR_INVALID, exc.msg, exc.msg_km))
        except Exception as exc:
            log.exception("job %s failed", job.id)
            text = str(exc).splitlines()[0][:500] if str(exc) else type(exc).__name__
            self._end(running, JobState.FAILED, error=(
                ERROR_FAILED, f"the job failed: {text}", f"ការងារនេះបរាជ័យ៖ {text}"))
        else:
            self._end(running, JobState.SUCCEEDED, result=result)

    def beat(self, running: _Running, *, wait: bool = True) -> None:
        """Renew the lease of the running job and write its latest progress. ``wait=False``
        (a beat from the job's own thread): on SQLite, when the job's own open transaction holds
        the database's one write lock, the beat is skipped at once instead of waiting for a lock
        that cannot come (the job failed with 'database is locked'); the supervisor's next beat
        writes it."""
        with running.lock:
            progress = dict(running.progress)
            running.written_at = time.monotonic()
        try:
            with self.ctx.engine.begin() as conn, _not_waiting(conn, not wait):
                held, cancel = store.heartbeat(conn, running.job.id, self.name, utcnow(),
                                               progress)
        except OperationalError:
            if wait or self.ctx.engine.dialect.name != "sqlite":
                raise
            return
        running.lost = running.lost or not held
        running.cancel = running.cancel or cancel

    def check(self, running: _Running) -> None:
        """Stop the job's code (by raising) when it must stop."""
        if running.lost:
            raise _LeaseLost
        if running.cancel:
            raise _Cancelled
        if self._stopping.is_set() and self._may_resume(running.kind, running.job.attempts):
            raise _Interrupted

    def _may_resume(self, kind: JobKind | None, attempts: int) -> bool:
        return kind is not None and kind.resumable and attempts < self.settings.jobs_max_attempts

    def _hand_back(self, running: _Running) -> None:
        job = running.job
        en, km = interrupted_note(percent(running.progress.get("progress_done", 0),
                                          running.progress.get("progress_total")))
        with self.ctx.engine.begin() as conn:
            back = store.finish(conn, job.id, self.name, JobState.QUEUED, utcnow(),
                                note=Note(utcnow(), en, km).as_dict())
        if back:
            self.queue.defer(job.id)
            log.info("job %s handed back to the queue", job.id)

    def _end(self, running: _Running, state: JobState, *,
             result: dict[str, Any] | None = None, error: tuple[str, str, str] | None = None,
             note: tuple[str, str] | None = None) -> None:
        job = running.job
        self.files.seal(self.ctx.cipher, job.id)  # reports encrypted before anyone sees them
        code, en, km = error or (None, None, None)
        with running.lock:
            progress = dict(running.progress)
        with self.ctx.engine.begin() as conn:
            ended = store.finish(
                conn, job.id, self.name, state, utcnow(), result=result, error_code=code,
                error=en, error_km=km, progress=progress,
                note=Note(utcnow(), *note).as_dict() if note else None)
        if ended:
            self.files.delete_upload(job.parameters.get("upload"))
        log.info("job %s %s", job.id, state.value)

    # ------------------------------------------------------------------ others' jobs
    def recover(self, resend_queued: bool = False) -> list[int]:
        """Take care of running jobs whose worker is gone (see the module docstring). With
        ``resend_queued``, also send every queued job to the queue again (a message lost
        between the record and the queue; duplicates are harmless). Returns the jobs handled."""
        now = utcnow()
        lease = float(self.settings.jobs_lease_seconds)
        space = self.worker_name.space
        with self.ctx.engine.connect() as conn:
            rows = store.running(conn)
        handled = []
        for row in rows:
            job = store.to_job(row)
            if job.worker == self.name:
                continue
            gone = lease_expired(job.heartbeat_at, now, lease) or holder_gone(
                job.worker, space, pid_alive)
            if gone and self._abandoned(job):
                handled.append(job.id)
        if resend_queued:
            with self.ctx.engine.connect() as conn:
                queued = store.ids_in_state(conn, JobState.QUEUED)
            for job_id in queued:
                self.queue.defer(job_id)
        return handled

    def _abandoned(self, job: Job) -> bool:
        kind = kinds.get(job.kind)
        resume = self._may_resume(kind, job.attempts)
        en, km = stopped_note(job.percent, job.progress_message, job.progress_message_km,
                              resume, kind.restart_hint if kind else RESTART_HINT)
        now = utcnow()
        if resume:
            with self.ctx.engine.begin() as conn:
                done = store.finish(conn, job.id, job.worker, JobState.QUEUED, now,
                                    note=Note(now, en, km).as_dict(),
                                    expect_heartbeat=job.heartbeat_at)
            if done:
                log.warning("job %s: its worker %s is gone; queued again", job.id, job.worker)
                self._release(kind, job)
                self.queue.defer(job.id)
            return done
        self.files.seal(self.ctx.cipher, job.id)
        with self.ctx.engine.begin() as conn:
            done = store.finish(conn, job.id, job.worker, JobState.FAILED, now,
                                error_code=ERROR_WORKER_LOST, error=en, error_km=km,
                                note=Note(now, en, km).as_dict(),
                                expect_heartbeat=job.heartbeat_at)
        if done:
            log.warning("job %s: its worker %s is gone; failed", job.id, job.worker)
            self.files.delete_upload(job.parameters.get("upload"))
            self._release(kind, job)
        return done

    def _release(self, kind: JobKind | None, job: Job) -> None:
        """The kind's ``on_abandoned`` for a job taken over from a gone worker (a failure there
        is logged: the job's own state is already decided)."""
        if kind is None or kind.on_abandoned is None:
            return
        try:
            kind.on_abandoned(self.ctx, job)
        except Exception:
            log.exception("job %s: releasing what it held failed", job.id)

    def submit_scheduled(self) -> list[int]:
        """Submit each scheduled kind (``JobKind.every_seconds``) whose last job is older than
        its period, as the system; returns the new jobs' ids. Two workers may both submit one:
        scheduled kinds are idempotent refreshes."""
        now, submitted = utcnow(), []
        for kind in kinds.all_kinds():
            if kind.every_seconds is None:
                continue
            with self.ctx.engine.connect() as conn:
                last = store.last_submitted(conn, kind.name)
            if last is not None and now - last < timedelta(seconds=kind.every_seconds):
                continue
            with self.ctx.engine.begin() as conn:
                job_id = store.create(conn, kind.name, {}, SYSTEM.username,
                                      {"roles": sorted(SYSTEM.roles), "scope": SYSTEM.scope},
                                      now)
            self.queue.defer(job_id)
            submitted.append(job_id)
        return submitted

    def housekeeping(self) -> None:
        """Delete job files past their retention period and uploads no job waits for."""
        self._last_housekeeping = time.monotonic()
        cutoff = utcnow() - timedelta(days=self.settings.import_retention_days)
        with self.ctx.engine.connect() as conn:
            expired = store.finished_before(conn, cutoff)
            waiting = store.uploads_in_use(conn)
        self.files.purge_jobs(expired)
        self.files.purge_orphan_uploads(waiting)


@contextmanager
def _not_waiting(conn: Connection, on: bool) -> Iterator[None]:
    """On SQLite with ``on``: statements fail at once instead of waiting for a write lock."""
    if not on or conn.dialect.name != "sqlite":
        yield
        return
    raw: Any = conn.connection.dbapi_connection
    raw.execute("PRAGMA busy_timeout=0")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
