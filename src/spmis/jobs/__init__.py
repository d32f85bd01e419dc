"""Background jobs: long work (an import from the web page, an evaluation, a deduplication) run
by a worker process, with a record people follow on a page and through the API.

- ``JobService``: submit, read, list, cancel; a job's report.
- ``register(JobKind(...))``: a capability declares a kind of job and the code that runs it
  (``JobWork`` is what that code receives).
- ``spmis worker`` runs the worker (``spmis.jobs.worker``); the queue is procrastinate on
  PostgreSQL and huey on SQLite (``spmis.jobs.queue``, docs/decisions/0003).

Other packages import only the names and modules in ``__all__`` (checked by
tests/unit/test_boundaries.py).
"""

from spmis.jobs.kinds import JobKind, JobWork, register
from spmis.jobs.model import Job, JobState
from spmis.jobs.service import JobService

__all__ = [
    "Job",
    "JobKind",
    "JobService",
    "JobState",
    "JobWork",
    "files",
    "queries",
    "register",
]
