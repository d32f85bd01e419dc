"""The ``job`` table: one row per background job, the record people see (the queue library only
carries "run job N"). Only ``spmis.jobs`` reads or writes it.

Every change of a running job is a compare-and-set on (``state``, ``worker``): a worker that
lost its lease (another worker judged it gone) cannot overwrite what the other decided."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    RowMapping,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
    update,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.jobs.model import FINAL_STATES, Job, JobState

job = Table(
    "job",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("parameters", JSON, nullable=False),
    Column("created_by", String(64), nullable=False),
    #: roles and scope of the submitter at submission: the job runs with them
    Column("actor", JSON, nullable=False),
    Column("progress_done", BigInteger, nullable=False, server_default=text("0")),
    Column("progress_total", BigInteger),
    Column("progress_message", String(500)),
    Column("progress_message_km", String(500)),
    Column("result", JSON),
    Column("error_code", String(32)),
    Column("error", Text),
    Column("error_km", Text),
    Column("notes", JSON, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("cancel_requested", Boolean, nullable=False, server_default=text("false")),
    Column("worker", String(200)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    Column("heartbeat_at", UTCDateTime()),
    Index("ix_job_created_by_id", "created_by", "id"),
    Index("ix_job_state", "state"),
)


def to_job(row: RowMapping) -> Job:
    return Job(
        id=int(row["id"]), kind=row["kind"], state=JobState(row["state"]),
        created_by=row["created_by"], parameters=dict(row["parameters"] or {}),
        created_at=row["created_at"], actor=dict(row["actor"] or {}),
        progress_done=int(row["progress_done"] or 0),
        progress_total=row["progress_total"], progress_message=row["progress_message"],
        progress_message_km=row["progress_message_km"], result=row["result"],
        error_code=row["error_code"], error=row["error"], error_km=row["error_km"],
        notes=list(row["notes"] or []), attempts=int(row["attempts"] or 0),
        cancel_requested=bool(row["cancel_requested"]), worker=row["worker"],
        started_at=row["started_at"], finished_at=row["finished_at"],
        heartbeat_at=row["heartbeat_at"],
    )


def create(conn: Connection, kind: str, parameters: dict[str, Any], created_by: str,
           actor: dict[str, Any], now: datetime) -> int:
    return int(conn.execute(insert(job).values(
        kind=kind, state=JobState.QUEUED.value, parameters=parameters, created_by=created_by,
        actor=actor, notes=[], created_at=now,
    ).returning(job.c.id)).scalar_one())


def last_submitted(conn: Connection, kind: str) -> datetime | None:
    """When the newest job of ``kind`` was submitted (None: never)."""
    value: datetime | None = conn.execute(
        select(func.max(job.c.created_at)).where(job.c.kind == kind)).scalar_one()
    return value


def get(conn: Connection, job_id: int) -> RowMapping | None:
    return conn.execute(select(job).where(job.c.id == job_id)).mappings().first()


def list_jobs(conn: Connection, created_by: str | None, state: str | None, kind: str | None,
              limit: int, offset: int) -> list[RowMapping]:
    q = select(job).order_by(job.c.id.desc()).limit(limit).offset(offset)
    if created_by is not None:
        q = q.where(job.c.created_by == created_by)
    if state is not None:
        q = q.where(job.c.state == state)
    if kind is not None:
        q = q.where(job.c.kind == kind)
    return list(conn.execute(q).mappings())


def claim(conn: Connection, job_id: int, worker: str, now: datetime) -> bool:
    """Take a queued job: running, held by ``worker``. False when another worker took it first,
    or it was cancelled or finished."""
    done = conn.execute(update(job).where(
        job.c.id == job_id, job.c.state == JobState.QUEUED.value,
    ).values(
        state=JobState.RUNNING.value, worker=worker, heartbeat_at=now,
        started_at=now, attempts=job.c.attempts + 1,
    ))
    return done.rowcount == 1


def _held(job_id: int, worker: str) -> Any:
    return (job.c.id == job_id) & (job.c.state == JobState.RUNNING.value) & (
        job.c.worker == worker)


def heartbeat(conn: Connection, job_id: int, worker: str, now: datetime,
              progress: dict[str, Any] | None = None) -> tuple[bool, bool]:
    """Renew the lease (and record progress). Returns (still held, cancel requested)."""
    values: dict[str, Any] = {"heartbeat_at": now, **(progress or {})}
    done = conn.execute(update(job).where(_held(job_id, worker)).values(**values))
    if done.rowcount != 1:
        return False, False
    cancel = conn.execute(select(job.c.cancel_requested).where(job.c.id == job_id)).scalar_one()
    return True, bool(cancel)


def finish(conn: Connection, job_id: int, worker: str | None, state: JobState, now: datetime,
           *, result: dict[str, Any] | None = None, error_code: str | None = None,
           error: str | None = None, error_km: str | None = None,
           note: dict[str, str] | None = None, expect_state: JobState = JobState.RUNNING,
           expect_heartbeat: datetime | None = None,
           progress: dict[str, Any] | None = None) -> bool:
    """End (or hand back) a job, if it is still in ``expect_state`` held by ``worker``; with
    the latest ``progress`` not yet written."""
    cond = (job.c.id == job_id) & (job.c.state == expect_state.value)
    if worker is not None:
        cond = cond & (job.c.worker == worker)
    if expect_heartbeat is not None:
        cond = cond & (job.c.heartbeat_at == expect_heartbeat)
    values: dict[str, Any] = {"state": state.value, **(progress or {})}
    if state in FINAL_STATES:
        values["finished_at"] = now
    else:
        values.update(worker=None, heartbeat_at=None)
    if result is not None:
        values["result"] = result
    if error_code is not None:
        values.update(error_code=error_code, error=error, error_km=error_km)
    if note is not None:
        notes = conn.execute(select(job.c.notes).where(job.c.id == job_id)).scalar_one_or_none()
        values["notes"] = [*(notes or []), note]
    return conn.execute(update(job).where(cond).values(**values)).rowcount == 1


def request_cancel(conn: Connection, job_id: int) -> None:
    conn.execute(update(job).where(job.c.id == job_id,
                                   job.c.state == JobState.RUNNING.value)
                 .values(cancel_requested=True))


def running(conn: Connection) -> list[RowMapping]:
    """Every running job (few: one per busy worker)."""
    return list(conn.execute(select(job).where(job.c.state == JobState.RUNNING.value))
                .mappings())


def ids_in_state(conn: Connection, state: JobState) -> list[int]:
    return [int(i) for i in conn.execute(
        select(job.c.id).where(job.c.state == state.value).order_by(job.c.id)).scalars()]


def finished_before(conn: Connection, before: datetime) -> list[int]:
    return [int(i) for i in conn.execute(select(job.c.id).where(
        job.c.finished_at < before)).scalars()]


def uploads_in_use(conn: Connection) -> set[str]:
    """Upload names that queued or running jobs still need."""
    rows = conn.execute(select(job.c.parameters).where(
        job.c.state.in_([JobState.QUEUED.value, JobState.RUNNING.value]))).scalars()
    return {str(p["upload"]) for p in rows if isinstance(p, dict) and p.get("upload")}
