"""Background jobs, the pure part: states, a job's record as people see it, and the rules that
tell a live job from one whose worker is gone. Standard library only.

A job is ``queued`` when submitted, ``running`` while a worker holds it (its lease: the worker's
name and a heartbeat it renews every few seconds), and ends ``succeeded``, ``failed`` or
``cancelled``. A running job whose heartbeat is older than the lease, or whose worker process is
known to be gone, was abandoned: it is put back in the queue (kinds that can be resumed) or
failed with the reason - never left running."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})

#: machine codes of why a job did not succeed (``Job.error_code``)
ERROR_FAILED = "failed"  # the work itself raised an error
ERROR_INVALID = "invalid_input"  # the work refused its input (a file, a parameter)
ERROR_WORKER_LOST = "worker_lost"  # the worker stopped while holding the job
ERROR_CANCELLED = "cancelled"
ERROR_NOT_QUEUED = "not_queued"  # the queue library refused the job at submission


@dataclass(frozen=True)
class Note:
    """One line of a job's history that people read (English and Khmer)."""

    at: datetime
    en: str
    km: str

    def as_dict(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "en": self.en, "km": self.km}


@dataclass(frozen=True)
class Job:
    """A job's record (the ``job`` table), as services and pages read it."""

    id: int
    kind: str
    state: JobState
    created_by: str
    parameters: dict[str, Any]
    created_at: datetime
    #: roles and scope of the submitter at submission (the job runs with them)
    actor: dict[str, Any] = field(default_factory=dict)
    progress_done: int = 0
    progress_total: int | None = None
    progress_message: str | None = None
    progress_message_km: str | None = None
    result: dict[str, Any] | None = None
    error_code: str | None = None
    error: str | None = None
    error_km: str | None = None
    notes: list[dict[str, str]] = field(default_factory=list)
    attempts: int = 0
    cancel_requested: bool = False
    worker: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def percent(self) -> int | None:
        """Whole per cent done, when the total is known (100 once succeeded)."""
        if self.state == JobState.SUCCEEDED:
            return 100
        return percent(self.progress_done, self.progress_total)


def percent(done: int, total: int | None) -> int | None:
    if not total or total <= 0:
        return None
    return max(0, min(100, (done * 100) // total))


# ------------------------------------------------------------------------ leases
@dataclass(frozen=True)
class WorkerName:
    """A worker process: ``host/pid/space/token``. ``space`` names the process-id space it runs
    in (the machine's boot and the pid namespace; empty when unknown), so that another worker
    in the same space can tell at once that the process is gone; ``token`` tells two workers
    apart after a process id is reused."""

    host: str
    pid: int
    space: str
    token: str

    def __str__(self) -> str:
        return f"{self.host}/{self.pid}/{self.space}/{self.token}"

    @classmethod
    def parse(cls, text: str | None) -> WorkerName | None:
        parts = (text or "").rsplit("/", 3)
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2], parts[3])


def lease_expired(heartbeat_at: datetime | None, now: datetime, lease_seconds: float) -> bool:
    """Whether a running job's last heartbeat is older than the lease (or missing)."""
    return heartbeat_at is None or now - heartbeat_at > timedelta(seconds=lease_seconds)


def holder_gone(holder: str | None, this_space: str, pid_alive: Callable[[int], bool]) -> bool:
    """Whether the worker named ``holder`` is known to be gone: it ran in this process-id space
    and its process no longer exists. Any other worker is judged by its lease only."""
    name = WorkerName.parse(holder)
    return (name is not None and bool(name.space) and name.space == this_space
            and not pid_alive(name.pid))


# ------------------------------------------------------------------------ texts
def _at(pct: int | None) -> tuple[str, str]:
    if pct is None:
        return "", ""
    return f" (at {pct}%)", f" (ត្រឹម {pct}%)"


def stopped_note(pct: int | None, progress: str | None, progress_km: str | None,
                 resumed: bool, restart_hint: tuple[str, str]) -> tuple[str, str]:
    """What people read when a job's worker stopped while it ran: where it was, and whether it
    was put back in the queue or failed (then ``restart_hint`` says what to do)."""
    at_en, at_km = _at(pct)
    en = f"the worker stopped while the job was running{at_en}"
    km = f"កម្មវិធីដំណើរការការងារបានឈប់ ពេលការងារនេះកំពុងដំណើរការ{at_km}"
    if progress:
        en += f"; by then: {progress}"
        km += f"; មកដល់ពេលនោះ៖ {progress_km or progress}"
    if resumed:
        return (en + "; the job was queued again and resumed",
                km + "; ការងារនេះត្រូវបានដាក់ក្នុងជួរម្តងទៀត ហើយបន្តដំណើរការ")
    return en + "; " + restart_hint[0], km + "; " + restart_hint[1]


def interrupted_note(pct: int | None) -> tuple[str, str]:
    """The worker was asked to stop (a restart) and handed the job back to the queue."""
    at_en, at_km = _at(pct)
    return (f"the worker was stopped{at_en}; the job was queued again and will resume",
            f"កម្មវិធីដំណើរការការងារត្រូវបានបញ្ឈប់{at_km}; ការងារនេះត្រូវបានដាក់ក្នុងជួរម្តងទៀត "
            "ហើយនឹងបន្តដំណើរការ")


def cancelled_note(pct: int | None) -> tuple[str, str]:
    at_en, at_km = _at(pct)
    return (f"cancelled at the user's request{at_en}",
            f"បានបោះបង់តាមសំណើរបស់អ្នកប្រើ{at_km}")


RESTART_HINT = ("submit it again", "សូមដាក់ស្នើវាម្តងទៀត")
