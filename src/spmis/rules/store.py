"""Tables of the rules capability and the bulk write of the engine's results.

* ``rules_result``: one row per (period, programme, entity, entity id) that is eligible or paid,
  written in bulk (PostgreSQL ``COPY``); re-running a period replaces its rows, so evaluation is
  idempotent.
* ``rules_run``: one row per evaluation (who/when/what), for the audit trail.

The registry is read (into the engine's inputs) by ``spmis.rules.population``.
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
    Connection,
    Engine,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.engine import is_postgres
from spmis.rules.engine import ProgrammeResult

rules_result = Table(
    "rules_result",
    metadata,
    Column("period", String(7), nullable=False),
    Column("programme", String(40), nullable=False),
    Column("entity", String(10), nullable=False),
    Column("entity_id", Id, nullable=False),
    Column("eligible", Boolean, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("run_id", Id, nullable=False, index=True),
    PrimaryKeyConstraint("period", "programme", "entity", "entity_id"),
)

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


def result_frame(period: str, results: Mapping[str, ProgrammeResult], run_id: int) -> pl.DataFrame:
    """Rows to store: every entity eligible or paid, per programme (for contributions, only
    non-zero amounts: a member without a declared wage owes nothing worth a row)."""
    frames = []
    for pid, res in results.items():
        keep = res.recorded
        n = int(keep.sum())
        frames.append(
            pl.DataFrame(
                {
                    "period": pl.repeat(period, n, eager=True, dtype=pl.Utf8),
                    "programme": pl.repeat(pid, n, eager=True, dtype=pl.Utf8),
                    "entity": pl.repeat(res.programme.entity, n, eager=True, dtype=pl.Utf8),
                    "entity_id": res.ids[keep].astype(np.int64),
                    "eligible": res.eligible[keep],
                    "amount": res.amount[keep].astype(np.int64),
                    "currency": pl.repeat(res.currency, n, eager=True, dtype=pl.Utf8),
                    "run_id": pl.repeat(run_id, n, eager=True, dtype=pl.Int64),
                }
            )
        )
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames)


def write_results(
    engine: Engine,
    period: str,
    results: Mapping[str, ProgrammeResult],
    *,
    households: int,
    persons: int,
    run_by: str = "system",
    reform: str | None = None,
    started_at: datetime | None = None,
) -> tuple[int, int]:
    """Replace the period's rows of these programmes by ``results`` in one transaction.
    Returns (run id, rows written)."""
    started_at = started_at or datetime.now(UTC)
    with engine.begin() as conn:
        run_id = conn.execute(
            insert(rules_run)
            .values(
                period=period, programmes=",".join(results), reform=reform,
                households=households, persons=persons, rows_written=0,
                started_at=started_at, finished_at=started_at, run_by=run_by,
            )
            .returning(rules_run.c.id)
        ).scalar_one()
        frame = result_frame(period, results, run_id)
        conn.execute(
            delete(rules_result).where(
                rules_result.c.period == period, rules_result.c.programme.in_(list(results))
            )
        )
        if frame.height:
            if is_postgres(engine):
                _copy_in(conn, frame)
            else:
                conn.execute(insert(rules_result), frame.to_dicts())
        conn.execute(
            rules_run.update()
            .where(rules_run.c.id == run_id)
            .values(rows_written=frame.height, finished_at=datetime.now(UTC))
        )
    return int(run_id), frame.height


def _copy_in(conn: Connection, frame: pl.DataFrame) -> None:
    raw: Any = conn.connection.dbapi_connection
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False)
    columns = ", ".join(frame.columns)
    sql = f"COPY rules_result ({columns}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cur, cur.copy(sql) as cp:
        cp.write(buf.getvalue())


def read_results(
    conn: Connection, period: str, programmes: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Stored rows of a period (for tests and small reports)."""
    query = select(rules_result).where(rules_result.c.period == period)
    if programmes is not None:
        query = query.where(rules_result.c.programme.in_(list(programmes)))
    return [dict(r._mapping) for r in conn.execute(query.order_by(*rules_result.primary_key))]
