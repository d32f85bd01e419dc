"""Use cases of background jobs: submit, read, list, cancel, read a job's report.

Who sees what: a user sees the jobs they submitted; an administrator sees every job. A job
another user cannot see answers "not found", as a missing one does."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterator
from typing import Any

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.errors import Conflict, Forbidden, InvalidInput, NotFound
from spmis.jobs import kinds, store
from spmis.jobs.files import JobFiles
from spmis.jobs.model import (
    ERROR_CANCELLED,
    ERROR_NOT_QUEUED,
    Job,
    JobState,
    Note,
    cancelled_note,
)
from spmis.jobs.queue import Queue, queue_for

log = logging.getLogger(__name__)

SEE_ALL = frozenset({"admin"})
REPORTS = ("rejects.csv",)


def _missing() -> NotFound:
    return NotFound("no such job", "រកមិនឃើញការងារនេះទេ")


class JobService:
    """Background jobs as people see them (the ``job`` table)."""

    def __init__(self, ctx: AppContext, queue: Queue | None = None) -> None:
        self.ctx = ctx
        self._queue = queue
        self.files = JobFiles(ctx.settings)

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            self._queue = queue_for(self.ctx.settings)
        return self._queue

    def submit(self, actor: Actor, kind: str, parameters: dict[str, Any],
               check_roles: bool = True) -> Job:
        """Record a new job (queued) and send it to the queue. ``check_roles``: the kind's
        roles are checked (pages, API); the command line runs as the system."""
        spec = kinds.get(kind)
        if spec is None:
            raise InvalidInput.one(("kind",), "unknown_kind", f"unknown job kind {kind!r}",
                                   f"មិនស្គាល់ប្រភេទការងារ {kind!r}")
        if check_roles and spec.roles and not actor.has_role(*spec.roles):
            raise Forbidden("your role may not start this job",
                            "តួនាទីរបស់អ្នកមិនអាចចាប់ផ្តើមការងារនេះបានទេ")
        with self.ctx.engine.begin() as conn:
            job_id = store.create(conn, kind, parameters, actor.username,
                                  {"roles": sorted(actor.roles), "scope": actor.scope}, utcnow())
        try:
            self.queue.defer(job_id)
        except Exception as exc:
            log.exception("job %s could not be queued", job_id)
            with self.ctx.engine.begin() as conn:
                store.finish(conn, job_id, None, JobState.FAILED, utcnow(),
                             error_code=ERROR_NOT_QUEUED,
                             error="the job could not be queued; try again later",
                             error_km="មិនអាចដាក់ការងារក្នុងជួរបានទេ សូមព្យាយាមម្តងទៀតពេលក្រោយ",
                             expect_state=JobState.QUEUED)
            self.files.delete_upload(parameters.get("upload"))
            raise Conflict("the job could not be queued; try again later",
                           "មិនអាចដាក់ការងារក្នុងជួរបានទេ សូមព្យាយាមម្តងទៀតពេលក្រោយ") from exc
        return self.get(actor, job_id)

    def submit_checked(self, actor: Actor, kind: str, parameters: dict[str, Any]) -> Job:
        """Submit a job through the API: only kinds that check their parameters (the others,
        like an import, start from their own page), with the kind's roles."""
        spec = kinds.get(kind)
        if spec is None or spec.check is None:
            names = ", ".join(k.name for k in kinds.all_kinds() if k.check is not None)
            raise InvalidInput.one(("kind",), "unknown_kind",
                                   f"not a kind of job the API starts; one of: {names}",
                                   f"មិនមែនជាប្រភេទការងារដែល API ចាប់ផ្តើមបានទេ; មួយក្នុងចំណោម៖ {names}")
        if spec.roles and not actor.has_role(*spec.roles):
            raise Forbidden("your role may not start this job",
                            "តួនាទីរបស់អ្នកមិនអាចចាប់ផ្តើមការងារនេះបានទេ")
        return self.submit(actor, kind, spec.check(dict(parameters)))

    def get(self, actor: Actor, job_id: int) -> Job:
        with self.ctx.engine.connect() as conn:
            row = store.get(conn, job_id)
        if row is None:
            raise _missing()
        job = store.to_job(row)
        if not self._may_see(actor, job):
            raise _missing()
        return job

    def list(self, actor: Actor, *, state: str | None = None, kind: str | None = None,
             limit: int = 50, offset: int = 0) -> builtins.list[Job]:
        """The caller's jobs (every job for an administrator), newest first."""
        if state is not None and state not in {s.value for s in JobState}:
            raise InvalidInput.one(("state",), "invalid_state",
                                   f"state must be one of {', '.join(s.value for s in JobState)}",
                                   "ស្ថានភាពមិនត្រឹមត្រូវ")
        own = None if actor.has_role(*SEE_ALL) else actor.username
        with self.ctx.engine.connect() as conn:
            rows = store.list_jobs(conn, own, state, kind, limit, offset)
        return [store.to_job(r) for r in rows]

    def cancel(self, actor: Actor, job_id: int) -> Job:
        """Cancel a queued job at once; ask a running one to stop at its next progress report
        (what it already wrote stays, and its page says how far it got)."""
        job = self.get(actor, job_id)
        if job.created_by != actor.username and not actor.has_role(*SEE_ALL):
            raise _missing()
        if job.is_final:
            raise Conflict("the job has already ended", "ការងារនេះបានបញ្ចប់រួចហើយ")
        now = utcnow()
        en, km = cancelled_note(None)
        with self.ctx.engine.begin() as conn:
            if job.state == JobState.QUEUED and store.finish(
                    conn, job_id, None, JobState.CANCELLED, now, error_code=ERROR_CANCELLED,
                    error=en, error_km=km, note=Note(now, en, km).as_dict(),
                    expect_state=JobState.QUEUED):
                self.files.delete_upload(job.parameters.get("upload"))
            else:
                store.request_cancel(conn, job_id)
        return self.get(actor, job_id)

    def reports(self, job: Job) -> builtins.list[str]:
        """The names of the reports a job left (encrypted at rest)."""
        return [name for name in REPORTS if self.files.has_report(job.id, name)]

    def read_report(self, actor: Actor, job_id: int, name: str) -> Iterator[bytes]:
        """A job's report, decrypted block by block, for the user who submitted the job only:
        reports carry identifiers in clear, and administering is not casework."""
        job = self.get(actor, job_id)
        if job.created_by != actor.username:
            raise NotFound("no such report", "រកមិនឃើញរបាយការណ៍នេះទេ")
        if name not in REPORTS or not self.files.has_report(job.id, name):
            raise NotFound("no such report", "រកមិនឃើញរបាយការណ៍នេះទេ")
        return self.files.read_report(self.ctx.cipher, job.id, name)

    @staticmethod
    def _may_see(actor: Actor, job: Job) -> bool:
        return job.created_by == actor.username or actor.has_role(*SEE_ALL)
