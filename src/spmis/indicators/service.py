"""Use cases of the indicators: refresh (one set-based INSERT ... SELECT of every indicator, in
one transaction), read the latest refresh, publish it as open data, and compute a staff report
at the user's scope."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal, select, update

from spmis.auth.model import Actor
from spmis.auth.role_sets import ANY_STAFF
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.errors import Forbidden
from spmis.indicators import store
from spmis.indicators.compute import COLUMNS, indicators_select
from spmis.indicators.model import Cell, Published
from spmis.indicators.publish import publish
from spmis.payments import queries as payments

__all__ = ["IndicatorService", "Refresh"]


@dataclass(frozen=True)
class Refresh:
    """One refresh of the indicators."""

    id: int
    refreshed_at: datetime
    refreshed_by: str
    seconds: float
    cells: int


#: the newest refresh as published, per database (a refresh's cells never change)
_PUBLISHED: dict[str, tuple[Refresh | None, list[Published]]] = {}


def _cells(rows: Any) -> list[Cell]:
    return [Cell(r.indicator, r.programme, r.period, r.province_code, r.sex, r.currency,
                 int(r.value)) for r in rows]


class IndicatorService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def refresh(self, by: str, job_id: int | None = None) -> Refresh:
        """Compute every indicator for the whole country and make it the current refresh
        (earlier refreshes keep their record, not their cells)."""
        started, now = time.perf_counter(), utcnow()
        with self.ctx.engine.begin() as conn:
            rid = int(conn.execute(insert(store.indicator_refresh).values(
                refreshed_at=now, refreshed_by=by, seconds=0.0, cells=0, job_id=job_id)
                .returning(store.indicator_refresh.c.id)).scalar_one())
            source = indicators_select("", payments.due_dates(conn)).subquery()
            conn.execute(insert(store.indicator_cell).from_select(
                ["refresh_id", *COLUMNS],
                select(literal(rid).label("refresh_id"), *(source.c[c] for c in COLUMNS))))
            cells = int(conn.execute(select(func.count()).select_from(store.indicator_cell)
                                     .where(store.indicator_cell.c.refresh_id == rid))
                        .scalar_one())
            conn.execute(delete(store.indicator_cell)
                         .where(store.indicator_cell.c.refresh_id < rid))
            seconds = round(time.perf_counter() - started, 3)
            conn.execute(update(store.indicator_refresh)
                         .where(store.indicator_refresh.c.id == rid)
                         .values(seconds=seconds, cells=cells))
        return Refresh(rid, now, by, seconds, cells)

    def latest(self) -> tuple[Refresh | None, list[Cell]]:
        """The newest refresh and its cells (None, [] before the first)."""
        with self.ctx.engine.connect() as conn:
            return self._latest(conn)

    @staticmethod
    def _latest(conn: Connection) -> tuple[Refresh | None, list[Cell]]:
        r = store.indicator_refresh
        row = conn.execute(select(r).order_by(r.c.id.desc()).limit(1)).mappings().first()
        if row is None:
            return None, []
        c = store.indicator_cell
        rows = conn.execute(select(*(c.c[k] for k in COLUMNS)).where(c.c.refresh_id == row["id"]))
        return (Refresh(row["id"], row["refreshed_at"], row["refreshed_by"], row["seconds"],
                        row["cells"]), _cells(rows))

    def open_data(self) -> tuple[Refresh | None, list[Published]]:
        """The newest refresh as published: every cell under 10 people, and every cell that
        would give one away, suppressed (worked out once per refresh and process)."""
        with self.ctx.engine.connect() as conn:
            r = store.indicator_refresh
            newest = conn.execute(select(r.c.id, r.c.refreshed_at).order_by(r.c.id.desc())
                                  .limit(1)).first()
            kept = _PUBLISHED.get(self.ctx.settings.database_url)
            # the refresh's time too: after a restore from a backup an id comes again, for
            # another refresh
            if (kept is not None and kept[0] is not None and newest is not None
                    and (kept[0].id, kept[0].refreshed_at) == tuple(newest)):
                return kept
            refresh, cells = self._latest(conn)
        published = (refresh, publish(cells, suppressed=True))
        _PUBLISHED[self.ctx.settings.database_url] = published
        return published

    def programme_names(self, locale: str) -> dict[str, str]:
        """Each payments programme's name in ``locale``, by code (what the tables show)."""
        with self.ctx.engine.connect() as conn:
            names = payments.programme_names(conn)
        return {code: km if locale == "km" else en for code, (en, km) in names.items()}

    def staff_report(self, actor: Actor) -> list[Published]:
        """Every indicator computed now inside the user's scope, nothing withheld."""
        if not actor.roles & ANY_STAFF:
            raise Forbidden("staff only", "សម្រាប់តែបុគ្គលិក")
        with self.ctx.engine.connect() as conn:
            cells = _cells(conn.execute(indicators_select(actor.scope,
                                                          payments.due_dates(conn))))
        return publish(cells, suppressed=False)
