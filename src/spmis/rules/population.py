"""The one translation of registry records into rules inputs for a month. The batch evaluation,
the household page, and later enrolment and payments all load their ``Population`` here, so the
same household always gets the same answer.

What the registry's facts mean for the rules in month M (first day F, last day L):

* **households**: status 'active'. ``idpoor_level`` is the card's level (1 or 2) when the card
  is valid on at least one day of M (``idpoor_valid_from <= L`` and ``idpoor_valid_to >= F``; a
  date not recorded does not limit), else 0: an expired or not yet valid IDPoor card covers
  nothing, for every programme that asks for one.
* **persons**: status 'active', in an active household, born by L (a person born later is not
  yet a member in M).
* ``role``: 'head' for the head, 'member' for everyone else.
* ``pregnant``: flagged pregnant, and the expected delivery date, when recorded, is not before F
  (a pregnancy whose due date has passed no longer counts).
* ``nssf_member``: the person holds an NSSF member number, or is formally employed at an active
  enterprise registered with the NSSF (it has an employer number). Membership is what the fund
  records; a formal worker of a registered enterprise is covered by law (employers must
  register their workers within 3 days of hiring) even when the number has not reached the
  registry yet. Formal work at an enterprise the fund does not know is not membership, and
  self-employed voluntary members have a number but no enterprise.
* civil servants, school, HIV, visits, wages and contribution histories are not in the registry
  yet: those inputs keep the engine's defaults (false / zero).

Households and persons are read with one SQL statement each, composed on the registry's public
queries (``spmis.registry.queries``), plus the two small sets NSSF membership is matched against
(member-number holders, registered enterprises: a hash look-up in polars, so the person stream
needs no join): PostgreSQL streams CSV through ``COPY ... TO STDOUT`` (persons in concurrent
streams), parsed by polars; other engines use ``polars.read_database``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from openfisca_core.periods import period as make_period
from sqlalchemy import Connection, Engine, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.sql.elements import BindParameter

from spmis.db.engine import is_postgres
from spmis.registry import queries as registry
from spmis.registry.model import EmploymentType
from spmis.rules.engine import Population

__all__ = [
    "LoadedPopulation",
    "household_inputs",
    "load_population",
    "load_population_parallel",
    "nssf_members",
    "person_inputs",
]

SCHEMAS: dict[str, dict[str, Any]] = {
    "household": {
        "id": pl.Int64, "commune_code": pl.Utf8, "province_code": pl.Utf8,
        "idpoor_level": pl.Int32,
    },
    "person": {
        "id": pl.Int64, "household_id": pl.Int64, "role": pl.Utf8, "sex": pl.Utf8,
        "date_of_birth": pl.Date, "disability": pl.Utf8, "pregnant": pl.Utf8,
        "formal_employer": pl.Int64,
    },
    "nssf_number": {"person_id": pl.Int64},
    "employer": {"id": pl.Int64},
}


@dataclass
class LoadedPopulation:
    """The engine's population plus what reports group by (province, sex)."""

    population: Population
    household_province: npt.NDArray[Any]
    person_sex: npt.NDArray[Any]


def month_bounds(period: str) -> tuple[date, date]:
    """First and last day of a 'YYYY-MM' month."""
    p = make_period(period)
    return p.start.date, p.stop.date


def household_inputs(
    period: str, household_ids: registry.HouseholdIds | None = None
) -> Select[tuple[Any, ...]]:
    """Active households as rules inputs for ``period``: id, commune_code, province_code,
    idpoor_level (0 unless the card is valid in the month)."""
    first, last = month_bounds(period)
    h = registry.active_households(household_ids).subquery("h")
    card_valid = and_(
        h.c.idpoor_level.in_([1, 2]),
        or_(h.c.idpoor_valid_from.is_(None), h.c.idpoor_valid_from <= last),
        or_(h.c.idpoor_valid_to.is_(None), h.c.idpoor_valid_to >= first),
    )
    return select(
        h.c.id, h.c.commune_code, h.c.province_code,
        case((card_valid, h.c.idpoor_level), else_=0).label("idpoor_level"),
    )


def person_inputs(
    period: str, household_ids: registry.HouseholdIds | None = None,
    shard: tuple[int, int] | None = None,
) -> Select[tuple[Any, ...]]:
    """Active persons born by the end of ``period`` as rules inputs: id, household_id, role,
    sex, date_of_birth, disability, pregnant, and ``formal_employer`` (the enterprise of a formal
    worker, else NULL), which ``nssf_members`` turns into ``nssf_member``. ``shard=(i, n)``
    keeps the persons whose id is i modulo n."""
    first, last = month_bounds(period)
    p = registry.active_persons(household_ids).subquery("p")
    pregnant = and_(
        p.c.pregnant,
        or_(p.c.expected_delivery_date.is_(None), p.c.expected_delivery_date >= first),
    )
    query = select(
        p.c.id, p.c.household_id,
        case((p.c.relationship == "head", "head"), else_="member").label("role"),
        p.c.sex, p.c.date_of_birth, p.c.disability, pregnant.label("pregnant"),
        case((p.c.employment_type == EmploymentType.FORMAL.value, p.c.enterprise_id))
        .label("formal_employer"),
    ).where(p.c.date_of_birth <= last)
    if shard is not None:
        query = query.where(func.mod(p.c.id, shard[1]) == shard[0])
    return query


def nssf_members(
    persons: pl.DataFrame, number_holders: pl.DataFrame, registered_employers: pl.DataFrame
) -> pl.Series:
    """Whether each person is an NSSF member: holds a member number, or works formally for an
    enterprise registered with the fund (hash look-ups over the whole frame)."""
    holds = persons["id"].is_in(number_holders["person_id"].implode())
    employed = persons["formal_employer"].is_in(registered_employers["id"].implode())
    return (holds | employed.fill_null(False)).alias("nssf_member")


def _read(conn: Connection, query: Select[tuple[Any, ...]], table: str) -> pl.DataFrame:
    """One query, columnar. PostgreSQL streams CSV through COPY; others use read_database."""
    schema = SCHEMAS[table]
    if conn.dialect.name == "postgresql":
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        raw: Any = conn.connection.dbapi_connection
        buf = io.BytesIO()
        with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for chunk in copy:
                buf.write(chunk)
        buf.seek(0)
        if buf.getbuffer().nbytes == 0:
            return pl.DataFrame(schema=schema)
        return pl.read_csv(buf, has_header=False, new_columns=list(schema), schema=schema)
    frame = pl.read_database(query, conn)
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    if "date_of_birth" in frame.columns and frame["date_of_birth"].dtype == pl.Utf8:
        frame = frame.with_columns(pl.col("date_of_birth").str.to_date())
    return frame.cast({k: v for k, v in schema.items() if k in frame.columns}, strict=False)


def _bool(col: pl.Series) -> npt.NDArray[np.bool_]:
    if col.dtype == pl.Boolean:
        return col.fill_null(False).to_numpy()
    return col.cast(pl.Utf8).is_in(["t", "true", "1", "True"]).fill_null(False).to_numpy()


def load_population(
    conn: Connection, period: str, household_ids: Sequence[int] | None = None
) -> LoadedPopulation:
    """The registry's active households (only ``household_ids`` when given) and their persons,
    as the engine's inputs for ``period``. A few households (the household page) are read as
    rows into arrays; a COPY stream and a columnar frame cost more than they save there."""
    if household_ids is not None and len(household_ids) <= FEW_HOUSEHOLDS:
        return _load_few(conn, period, household_ids)
    hh = _read(conn, household_inputs(period, household_ids), "household")
    ps = _read(conn, person_inputs(period, household_ids), "person")
    holders = _read(conn, registry.nssf_number_holders(household_ids), "nssf_number")
    employers = _read(conn, registry.nssf_registered_enterprises(household_ids), "employer")
    return _assemble(hh, ps, holders, employers)


#: up to this many households are read by ``_load_few``
FEW_HOUSEHOLDS = 200


@lru_cache(maxsize=24)
def _few_statements(period: str) -> tuple[Select[tuple[Any, ...]], ...]:
    """``_load_few``'s four statements for ``period``, the household ids an expanding bound
    parameter: building them costs more CPU than running them for one household (the household
    page), and a statement kept keeps its compiled form's cache key."""
    ids: BindParameter[Any] = bindparam("household_ids", expanding=True)
    return (household_inputs(period, ids), person_inputs(period, ids),
            registry.nssf_number_holders(ids), registry.nssf_registered_enterprises(ids))


def _load_few(conn: Connection, period: str, household_ids: Sequence[int]) -> LoadedPopulation:
    """``load_population`` for a few households: the same queries and meaning as ``_assemble``,
    fetched as rows (no polars, no COPY), by statements built once per month."""
    households, persons, holding, employing = _few_statements(period)
    ids = {"household_ids": list(household_ids)}
    hh = sorted(conn.execute(households, ids).all(), key=lambda r: r[0])
    kept = {r[0] for r in hh}
    ps = [r for r in conn.execute(persons, ids).all() if r[1] in kept]
    holders = set(conn.execute(holding, ids).scalars())
    employers = set(conn.execute(employing, ids).scalars())
    sex = np.array([str(r[3]) for r in ps], dtype=str)
    population = Population(
        household_ids=np.array([r[0] for r in hh], dtype=np.int64),
        person_ids=np.array([r[0] for r in ps], dtype=np.int64),
        person_household_ids=np.array([r[1] for r in ps], dtype=np.int64),
        person_roles=np.array([str(r[2]) for r in ps], dtype=str),
        household={
            "idpoor_level": np.array([r[3] or 0 for r in hh], dtype=np.int32),
            "commune_code": np.array([r[1] for r in hh], dtype="U6"),
        },
        person={
            "date_of_birth": np.array([r[4] for r in ps], dtype="datetime64[D]"),
            "sex": np.where(sex == "F", "female", np.where(sex == "M", "male", "unknown")),
            "disability": np.array([bool(r[5]) for r in ps], dtype=bool),
            "pregnant": np.array([bool(r[6]) for r in ps], dtype=bool),
            "nssf_member": np.array([r[0] in holders or (r[7] is not None and r[7] in employers)
                                     for r in ps], dtype=bool),
        },
    )
    return LoadedPopulation(population, np.array([str(r[2]) for r in hh], dtype=str), sex)


def load_population_parallel(engine: Engine, period: str, workers: int = 2) -> LoadedPopulation:
    """As ``load_population`` for the whole registry, with the persons read in ``workers``
    concurrent COPY streams (PostgreSQL formats CSV on one core per query); other engines read
    on one connection."""
    if not is_postgres(engine) or workers <= 1:
        with engine.connect() as conn:
            return load_population(conn, period)

    def read(job: tuple[str, Select[tuple[Any, ...]]]) -> pl.DataFrame:
        table, query = job
        with engine.connect() as conn:
            return _read(conn, query, table)

    jobs = [
        ("household", household_inputs(period)),
        ("nssf_number", registry.nssf_number_holders()),
        ("employer", registry.nssf_registered_enterprises()),
    ] + [("person", person_inputs(period, shard=(i, workers))) for i in range(workers)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        frames = list(pool.map(read, jobs))
    return _assemble(frames[0], pl.concat(frames[3:]), frames[1], frames[2])


def _assemble(
    hh: pl.DataFrame, ps: pl.DataFrame, holders: pl.DataFrame, employers: pl.DataFrame
) -> LoadedPopulation:
    hh = hh.sort("id")
    ps = ps.filter(pl.col("household_id").is_in(hh["id"].implode()))
    nssf = nssf_members(ps, holders, employers).to_numpy()
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
            "nssf_member": nssf,
        },
    )
    return LoadedPopulation(population, hh["province_code"].to_numpy().astype(str), sex)
