"""Tables of the rules capability and the bulk paths between the registry and the engine.

* ``rules_result``: one row per (period, programme, entity, entity id) that is eligible or paid,
  written in bulk (PostgreSQL ``COPY``); re-running a period replaces its rows, so evaluation is
  idempotent.
* ``rules_run``: one row per evaluation (who/when/what), for the audit trail.

``load_population`` reads the registry with one SQL query per table into columns (PostgreSQL
``COPY ... TO STDOUT`` parsed by polars; other engines through ``polars.read_database``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from openfisca_core.periods import period as make_period
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
from spmis.rules.service import Population, ProgrammeResult

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


@dataclass
class LoadedPopulation:
    """The engine's population plus what reports group by (province, sex)."""

    population: Population
    household_province: npt.NDArray[Any]
    person_sex: npt.NDArray[Any]


def household_query(period: str) -> str:
    """Active households with the IDPoor level valid in ``period`` (0 when none or expired)."""
    p = make_period(period)
    first, last = p.start.date.isoformat(), p.stop.date.isoformat()
    return (
        "SELECT id, commune_code, province_code, "
        "CASE WHEN idpoor_level IN (1, 2) "
        f"AND (idpoor_valid_from IS NULL OR idpoor_valid_from <= '{last}') "
        f"AND (idpoor_valid_to IS NULL OR idpoor_valid_to >= '{first}') "
        "THEN idpoor_level ELSE 0 END AS idpoor_level "
        "FROM household WHERE status = 'active'"
    )


#: active persons; those of inactive households are dropped after loading (a hash filter in
#: polars is cheaper than a join in the COPY query)
PERSON_QUERY = (
    "SELECT p.id, p.household_id, "
    "CASE WHEN p.relationship = 'head' THEN 'head' ELSE 'member' END AS role, "
    "p.sex, p.date_of_birth, p.disability, p.pregnant, "
    "(p.employment_type = 'formal' AND p.enterprise_id IS NOT NULL) AS nssf_member "
    "FROM person p WHERE p.status = 'active'"
)

SCHEMAS: dict[str, dict[str, Any]] = {
    "household": {
        "id": pl.Int64, "commune_code": pl.Utf8, "province_code": pl.Utf8,
        "idpoor_level": pl.Int32,
    },
    "person": {
        "id": pl.Int64, "household_id": pl.Int64, "role": pl.Utf8, "sex": pl.Utf8,
        "date_of_birth": pl.Date, "disability": pl.Utf8, "pregnant": pl.Utf8,
        "nssf_member": pl.Utf8,
    },
}


def _read(conn: Connection, sql: str, table: str) -> pl.DataFrame:
    """One query, columnar. PostgreSQL streams CSV through COPY; others use read_database."""
    schema = SCHEMAS[table]
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection
        buf = io.BytesIO()
        with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for chunk in copy:
                buf.write(chunk)
        buf.seek(0)
        if buf.getbuffer().nbytes == 0:
            return pl.DataFrame(schema=schema)
        return pl.read_csv(buf, has_header=False, new_columns=list(schema), schema=schema)
    frame = pl.read_database(sql, conn)
    if "date_of_birth" in frame.columns and frame["date_of_birth"].dtype == pl.Utf8:
        frame = frame.with_columns(pl.col("date_of_birth").str.to_date())
    return frame.cast({k: v for k, v in schema.items() if k in frame.columns}, strict=False)


def _bool(col: pl.Series) -> npt.NDArray[np.bool_]:
    if col.dtype == pl.Boolean:
        return col.fill_null(False).to_numpy()
    return col.cast(pl.Utf8).is_in(["t", "true", "1", "True"]).fill_null(False).to_numpy()


def load_population(conn: Connection, period: str) -> LoadedPopulation:
    """The registry's active households and persons for ``period``, as engine inputs."""
    hh = _read(conn, household_query(period), "household")
    ps = _read(conn, PERSON_QUERY, "person")
    return _assemble(hh, ps)


def load_population_parallel(engine: Engine, period: str, workers: int = 2) -> LoadedPopulation:
    """As ``load_population``, with the persons read in ``workers`` concurrent COPY streams
    (PostgreSQL formats CSV on one core per query); other engines read on one connection."""
    if not is_postgres(engine) or workers <= 1:
        with engine.connect() as conn:
            return load_population(conn, period)

    def read(job: tuple[str, str]) -> pl.DataFrame:
        table, sql = job
        with engine.connect() as conn:
            return _read(conn, sql, table)

    jobs = [("household", household_query(period))] + [
        ("person", f"{PERSON_QUERY} AND p.id % {workers} = {i}") for i in range(workers)
    ]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        frames = list(pool.map(read, jobs))
    return _assemble(frames[0], pl.concat(frames[1:]))


def _assemble(hh: pl.DataFrame, ps: pl.DataFrame) -> LoadedPopulation:
    hh = hh.sort("id")
    ps = ps.filter(pl.col("household_id").is_in(hh["id"].implode()))
    sex = ps["sex"].to_numpy().astype(str)
    population = Population(
        household_ids=hh["id"].to_numpy(),
        person_ids=ps["id"].to_numpy(),
        person_household_ids=ps["household_id"].to_numpy(),
        person_roles=ps["role"].to_numpy().astype(str),
        household={
            "idpoor_level": hh["idpoor_level"].fill_null(0).to_numpy(),
            "commune_code": hh["commune_code"].to_numpy().astype("U6"),
        },
        person={
            "date_of_birth": ps["date_of_birth"].to_numpy().astype("datetime64[D]"),
            "sex": np.where(sex == "F", "female", np.where(sex == "M", "male", "unknown")),
            "disability": _bool(ps["disability"]),
            "pregnant": _bool(ps["pregnant"]),
            "nssf_member": _bool(ps["nssf_member"]),
        },
    )
    return LoadedPopulation(population, hh["province_code"].to_numpy().astype(str), sex)


def result_frame(period: str, results: Mapping[str, ProgrammeResult], run_id: int) -> pl.DataFrame:
    """Rows to store: every entity eligible or paid, per programme (for contributions, only
    non-zero amounts: a member without a declared wage owes nothing worth a row)."""
    frames = []
    for pid, res in results.items():
        if res.programme.payment == "contribution":
            keep = res.amount != 0
        else:
            keep = res.eligible | (res.amount != 0)
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
