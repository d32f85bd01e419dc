"""Read-only access to evaluation runs for other capabilities (payments): the kept results as a
table to compose into set-based statements, and which run is pinned or current."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.sql.selectable import NamedFromClause

from spmis.rules import store

__all__ = ["current_run", "results", "run_period", "run_programmes"]


def results() -> NamedFromClause:
    """The ``rules_result`` table (run_id, household_id, entity_id, amount, eligible, programme,
    entity, currency), read-only: a run's rows never change."""
    return store.rules_result


def run_period(conn: Connection, run_id: int) -> str | None:
    """The month run ``run_id`` evaluated (None when there is no such run)."""
    found = conn.execute(select(store.rules_run.c.period)
                         .where(store.rules_run.c.id == run_id)).scalar_one_or_none()
    return None if found is None else str(found)


def run_programmes(conn: Connection, run_id: int) -> list[str]:
    """The catalogue programmes run ``run_id`` evaluated."""
    found = conn.execute(select(store.rules_run.c.programmes)
                         .where(store.rules_run.c.id == run_id)).scalar_one_or_none()
    return [p for p in str(found or "").split(",") if p]


def current_run(conn: Connection, period: str, programme: str) -> int | None:
    """The run whose results are current for ``programme`` in ``period``."""
    return store.current_runs(conn, period).get(programme)
