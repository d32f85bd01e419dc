"""Read-only figures about background jobs that other parts of SPMIS may use (the Prometheus
metrics); they never touch ``spmis.jobs.store`` themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from spmis.jobs.model import JobState
from spmis.jobs.store import job


def counts_by_kind_and_state(engine: Engine) -> dict[tuple[str, str], int]:
    """How many jobs there are of each (kind, state)."""
    with engine.connect() as conn:
        rows = conn.execute(select(job.c.kind, job.c.state, func.count())
                            .group_by(job.c.kind, job.c.state)).all()
    return {(kind, state): int(n) for kind, state, n in rows}


def oldest_waiting_since(engine: Engine) -> datetime | None:
    """When the longest-waiting queued job was submitted (None when none waits)."""
    with engine.connect() as conn:
        value = conn.execute(select(func.min(job.c.created_at))
                             .where(job.c.state == JobState.QUEUED.value)).scalar()
    return value if isinstance(value, datetime) else None
