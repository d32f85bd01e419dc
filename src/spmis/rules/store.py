"""Tables of the rules capability: evaluation runs, their results, and which run is current.

* ``rules_run``: one row per evaluation (period, programmes, who, when, sizes).
* ``rules_result``: the rows of every run, kept: one per (run, household, programme, entity)
  that is eligible or paid, written once in bulk (PostgreSQL ``COPY``) and never changed, so a
  payment or a decision pinned to a run id reads the same amounts whatever ran later. The
  primary key (run_id, household_id, programme, entity_id) is the only index: it serves "the
  results of run R" (a range) and "the results of run R for household H" (a prefix); a person's
  rows carry their household's id.
* ``rules_current``: (period, programme) -> the run whose results are current. A baseline run
  (no reform) moves the pointer of its programmes when it is stored; earlier runs stay as they
  were.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    and_,
    case,
    func,
    insert,
    select,
    tuple_,
    update,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.engine import is_postgres
from spmis.rules.engine import Population, ProgrammeResult

rules_run = Table(
    "rules_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("period", String(7), nullable=False, index=True),
    Column("programmes", Text, nullable=False),
    Column("reform", Text),
    Column("households", Integer, nullable=False),
    Column("persons", Integer, nullable=False),
    Column("rows_written", Integer, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=False),
    Column("run_by", String(64), nullable=False),
)

# fixed-width columns first: PostgreSQL then packs a row without alignment padding
rules_result = Table(
    "rules_result",
    metadata,
    Column("run_id", Id, nullable=False),
    Column("household_id", Id, nullable=False),
    Column("entity_id", Id, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("eligible", Boolean, nullable=False),
    Column("programme", String(40), nullable=False),
    Column("entity", String(10), nullable=False),
    Column("currency", String(3), nullable=False),
    PrimaryKeyConstraint("run_id", "household_id", "programme", "entity_id"),
)

rules_current = Table(
    "rules_current",
    metadata,
    Column("period", String(7), nullable=False),
    Column("programme", String(40), nullable=False),
    Column("run_id", Id, nullable=False),
    Column("set_at", UTCDateTime(), nullable=False),
    Column("set_by", String(64), nullable=False),
    PrimaryKeyConstraint("period", "programme"),
)

RESULT_COLUMNS = ("programme", "entity", "entity_id", "household_id", "eligible", "amount",
                  "currency")


def result_frame(
    population: Population, results: Mapping[str, ProgrammeResult], run_id: int
) -> pl.DataFrame:
    """Rows to store (``ProgrammeResult.recorded``: eligible or paid), in primary-key order so
    that the index is appended to, not split."""
    person_household = np.asarray(population.person_household_ids, dtype=np.int64)
    frames = []
    for pid, res in results.items():
        keep = res.recorded
        n = int(keep.sum())
        ids = res.ids[keep].astype(np.int64)
        households = ids if res.programme.entity == "household" else person_household[keep]
        frames.append(
            pl.DataFrame(
                {
                    "run_id": pl.repeat(run_id, n, eager=True, dtype=pl.Int64),
                    "household_id": households,
                    "entity_id": ids,
                    "amount": res.amount[keep].astype(np.int64),
                    "eligible": res.eligible[keep],
                    "programme": pl.repeat(pid, n, eager=True, dtype=pl.Utf8),
                    "entity": pl.repeat(res.programme.entity, n, eager=True, dtype=pl.Utf8),
                    "currency": pl.repeat(res.currency, n, eager=True, dtype=pl.Utf8),
                }
            )
        )
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames).sort("household_id", "programme", "entity_id")


def write_run(
    engine: Engine,
    period: str,
    population: Population,
    results: Mapping[str, ProgrammeResult],
    *,
    run_by: str = "system",
    reform: str | None = None,
    started_at: datetime | None = None,
) -> tuple[int, int]:
    """Store ``results`` as a new run in one transaction; a baseline run (``reform`` None)
    becomes the current one of its programmes for ``period``. Returns (run id, rows written)."""
    started_at = started_at or datetime.now(UTC)
    with engine.begin() as conn:
        run_id = int(conn.execute(
            insert(rules_run)
            .values(
                period=period, programmes=",".join(results), reform=reform,
                households=len(population.household_ids), persons=len(population.person_ids),
                rows_written=0, started_at=started_at, finished_at=started_at, run_by=run_by,
            )
            .returning(rules_run.c.id)
        ).scalar_one())
        frame = result_frame(population, results, run_id)
        if frame.height:
            if is_postgres(engine):
                _copy_in(conn, frame)
                # the planner must know the run is there: readers join its rows by the
                # thousand (payments' cycles), and an empty table's counts plan nested loops
                conn.exec_driver_sql("ANALYZE rules_result")
            else:
                conn.execute(insert(rules_result), frame.to_dicts())
        finished = datetime.now(UTC)
        conn.execute(
            rules_run.update()
            .where(rules_run.c.id == run_id)
            .values(rows_written=frame.height, finished_at=finished)
        )
        if reform is None and results:
            _point(conn, period, list(results), run_id, finished, run_by)
    return run_id, frame.height


def _point(
    conn: Connection, period: str, programmes: list[str], run_id: int, at: datetime, by: str
) -> None:
    """Make ``run_id`` the current run of ``programmes`` in ``period`` (moves pointer rows,
    changes no result)."""
    where = and_(rules_current.c.period == period, rules_current.c.programme.in_(programmes))
    have = set(conn.execute(select(rules_current.c.programme).where(where)).scalars())
    if have:
        conn.execute(update(rules_current).where(where).values(run_id=run_id, set_at=at,
                                                               set_by=by))
    missing = [p for p in programmes if p not in have]
    if missing:
        conn.execute(insert(rules_current), [
            {"period": period, "programme": p, "run_id": run_id, "set_at": at, "set_by": by}
            for p in missing
        ])


def _copy_in(conn: Connection, frame: pl.DataFrame) -> None:
    raw: Any = conn.connection.dbapi_connection
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False)
    columns = ", ".join(frame.columns)
    sql = f"COPY rules_result ({columns}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cur, cur.copy(sql) as cp:
        cp.write(buf.getvalue())


def current_runs(conn: Connection, period: str) -> dict[str, int]:
    """Programme -> id of the run whose results are current for ``period``."""
    rows = conn.execute(
        select(rules_current.c.programme, rules_current.c.run_id)
        .where(rules_current.c.period == period)
    )
    return {r.programme: int(r.run_id) for r in rows}


def run_results(
    conn: Connection,
    run_id: int,
    *,
    household_id: int | None = None,
    programme: str | None = None,
    households: Any = None,
    after: tuple[int, str, int] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Rows of one run in key order (household, programme, entity), optionally of one household,
    one programme, the households selected by ``households`` (a select of household ids), and
    after the key ``after`` (keyset paging)."""
    r = rules_result.c
    query = select(*(r[c] for c in RESULT_COLUMNS)).where(r.run_id == run_id)
    if household_id is not None:
        query = query.where(r.household_id == household_id)
    if programme is not None:
        query = query.where(r.programme == programme)
    if households is not None:
        query = query.where(r.household_id.in_(households))
    if after is not None:
        query = query.where(tuple_(r.household_id, r.programme, r.entity_id) > tuple_(*after))
    query = query.order_by(r.household_id, r.programme, r.entity_id)
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def read_results(
    conn: Connection, period: str, programmes: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The current results of ``period`` (each programme from its current run), with the run
    id, in key order (for tests, small reports, and readers that want "this month")."""
    r, cur = rules_result.c, rules_current.c
    on: ColumnElement[bool] = and_(cur.run_id == r.run_id, cur.programme == r.programme)
    query = (
        select(*(r[c] for c in RESULT_COLUMNS), r.run_id)
        .join_from(rules_result, rules_current, on)
        .where(cur.period == period)
    )
    if programmes is not None:
        query = query.where(cur.programme.in_(list(programmes)))
    query = query.order_by(r.programme, r.entity, r.entity_id)
    return [dict(row._mapping) for row in conn.execute(query)]


def runs(
    conn: Connection, period: str | None = None, limit: int = 50, run_id: int | None = None
) -> list[dict[str, Any]]:
    """Runs, newest first (of one period, or the one run ``run_id``), each with the programmes
    it is current for."""
    query = select(rules_run).order_by(rules_run.c.id.desc()).limit(limit)
    if period is not None:
        query = query.where(rules_run.c.period == period)
    if run_id is not None:
        query = query.where(rules_run.c.id == run_id)
    found = [dict(row._mapping) for row in conn.execute(query)]
    current: dict[int, list[str]] = {}
    if found:
        pointers = conn.execute(
            select(rules_current.c.run_id, rules_current.c.programme)
            .where(rules_current.c.run_id.in_([f["id"] for f in found]))
            .order_by(rules_current.c.programme)
        )
        for p in pointers:
            current.setdefault(int(p.run_id), []).append(p.programme)
    for f in found:
        f["current_for"] = current.get(int(f["id"]), [])
    return found


def run_totals(conn: Connection, run_id: int) -> list[dict[str, Any]]:
    """Per programme of one run: rows, eligible rows and the amount summed."""
    r = rules_result.c
    query = (
        select(
            r.programme, r.currency, func.count().label("rows"),
            func.sum(case((r.eligible, 1), else_=0)).label("eligible"),
            func.sum(r.amount).label("amount"),
        )
        .where(r.run_id == run_id)
        .group_by(r.programme, r.currency)
        .order_by(r.programme)
    )
    return [dict(row._mapping) for row in conn.execute(query)]
