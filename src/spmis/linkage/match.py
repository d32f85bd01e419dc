"""Link an external list (an NGO's beneficiary list, a ministry's payroll, the fund's members) to
the registry: for each row, the matched registry person or household, the match probability and
the reason (which fields agreed), plus a summary (matched, ambiguous, unmatched).

How: the list's mapped columns and the registry's active people (same roles) go into one DuckDB
table and through the linkage engine; only pairs of one list row and one registry person are
kept. A row is ``matched`` when exactly one registry person (or household, at household level)
reaches the threshold, ``ambiguous`` when several do (the best is reported with the count), else
``unmatched`` (the best candidate below the threshold, if any, is still shown).

Identifiers on the list are never compared in clear: each distinct value is normalised and hashed
with the registry's blind-index key (one call per distinct value, not per row), then compared
with the registry's stored hashes. Everything else is set-based DuckDB SQL; the output CSV is
written by DuckDB.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.errors import FieldError, InvalidInput
from spmis.formula_guard import copy_csv
from spmis.linkage import engine
from spmis.linkage.reasons import reasons_sql
from spmis.linkage.registry_source import load_people, pseudo_phone_sql, registry_source_sql
from spmis.linkage.roles import ColumnMapping, parse_column_options
from spmis.registry import identifiers as ids
from spmis.registry.model import IdentifierType

__all__ = ["LEVELS", "MATCH_ROLES", "LinkTables", "MatchSummary", "link_list", "match_list"]

#: roles the registry can be compared on
MATCH_ROLES = ("given_name", "family_name", "full_name", "family_name_km", "given_name_km",
               "date_of_birth", "sex", "phone", "id_number", "village_code")
LEVELS = ("person", "household")
DEFAULT_THRESHOLD = 0.9
DEFAULT_FLOOR = 0.5
ROW_COLUMN = "__row"
LIST = "__spmis_list"
PEOPLE = "__spmis_match_people"
CROSS = "__spmis_match_cross"
BEST = "__spmis_match_best"


@dataclass
class MatchSummary:
    rows: int = 0
    matched: int = 0
    ambiguous: int = 0
    unmatched: int = 0
    registry_people: int = 0
    level: str = "person"
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LinkTables:
    """DuckDB tables a linkage of a list left behind (see ``link_list``)."""

    cross: str  #: list_row, person_id, household_id, probability, reasons (pairs >= floor)
    best: str  #: list_row, entity_id, household_id, probability, reasons, sure (count >= threshold)
    rows: int
    registry_people: int
    notes: list[str]


def _err(loc: tuple[str | int, ...], code: str, msg: str, msg_km: str) -> InvalidInput:
    return InvalidInput([FieldError(loc, code, msg, msg_km)])


def read_list(con: duckdb.DuckDBPyConnection, path: Path, table: str = LIST) -> list[str]:
    """Read a CSV (all columns as text, row order kept in ``__row``); returns its header.

    Raises ``InvalidInput`` for a missing, empty or unreadable file, or one without data rows.
    """
    loc = (str(path),)
    if not path.is_file():
        raise _err(loc, "not_found", f"file {path} does not exist", f"រកមិនឃើញឯកសារ {path}")
    if path.stat().st_size == 0:
        raise _err(loc, "empty", f"file {path} is empty", f"ឯកសារ {path} ទទេ")
    con.execute("set preserve_insertion_order = true")
    quoted = str(path).replace("'", "''")
    try:
        con.execute(f"""create or replace table {table} as
            select row_number() over () as {ROW_COLUMN}, *
            from read_csv('{quoted}', all_varchar = true, header = true)""")
    except duckdb.Error as exc:
        raise _err(loc, "unreadable", f"cannot read {path} as CSV: {str(exc).splitlines()[0]}",
                   f"មិនអាចអានឯកសារ {path} ជា CSV បានទេ") from exc
    rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    if not rows:
        raise _err(loc, "empty", f"file {path} has no data rows", "ឯកសារគ្មានជួរទិន្នន័យទេ")
    return [c for c in (d[0] for d in con.execute(f"select * from {table} limit 0").description)
            if c != ROW_COLUMN]


def parse_mapping(id_column: str | None, options: Iterable[str]) -> ColumnMapping:
    """Column options checked for linking to the registry (roles it can compare on)."""
    mapping = parse_column_options(id_column or ROW_COLUMN, options)
    bad = [r for r in mapping.roles if r not in MATCH_ROLES]
    if bad:
        raise InvalidInput([FieldError(
            ("--column", r), "role_not_in_registry",
            f"role {r!r} cannot be compared with the registry; use: {', '.join(MATCH_ROLES)}",
            f"តួនាទី {r!r} មិនអាចប្រៀបធៀបជាមួយបញ្ជីចុះឈ្មោះបានទេ") for r in bad])
    return mapping


def _hash_lookup(ctx: AppContext, con: duckdb.DuckDBPyConnection, column: str,
                 id_type: IdentifierType, name: str) -> tuple[str, int]:
    """Table ``name`` (raw, h): the keyed hash of each distinct readable value of ``column``;
    returns it and the number of distinct values that could not be read."""
    raws = [r[0] for r in con.execute(
        f'select distinct "{column}" from {LIST} where "{column}" is not null').fetchall()]
    values = [ids.normalise(id_type, raw) for raw in raws]
    hashes = [ctx.cipher.blind_index(v, id_type.value) if v else None for v in values]
    con.register("__spmis_hashes", pa.table({"raw": raws, "h": hashes},
                                            schema=pa.schema([("raw", pa.string()),
                                                              ("h", pa.string())])))
    con.execute(f"create or replace table {name} as select * from __spmis_hashes")
    con.unregister("__spmis_hashes")
    return name, sum(1 for raw, v in zip(raws, values, strict=True) if v is None and raw.strip())


def _list_source(ctx: AppContext, con: duckdb.DuckDBPyConnection, mapping: ColumnMapping,
                 id_type: IdentifierType, notes: list[str]) -> str:
    cols = [f"'L' || cast({ROW_COLUMN} as varchar) as record_id"]
    joins = []
    for role, column in mapping.roles.items():
        col = f's."{column}"'
        if role in ("phone", "id_number"):
            kind = IdentifierType.PHONE if role == "phone" else id_type
            table, bad = _hash_lookup(ctx, con, column, kind, f"__spmis_hash_{role}")
            if bad:
                notes.append(f"{bad} distinct {role} values could not be read as {kind.value}")
            joins.append(f"left join {table} as h_{role} on h_{role}.raw = {col}")
            value = f"h_{role}.h"
            cols.append(f"{pseudo_phone_sql(value)} as phone" if role == "phone"
                        else f"{value} as id_number")
        else:
            cols.append(f"{col} as {role}")
    return f"select {', '.join(cols)} from {LIST} as s {' '.join(joins)}"


def link_list(
    ctx: AppContext,
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: ColumnMapping,
    actor: Actor,
    *,
    id_type: IdentifierType = IdentifierType.NATIONAL_ID,
    level: str = "person",
    threshold: float = DEFAULT_THRESHOLD,
    floor: float = DEFAULT_FLOOR,
    progress: Callable[[str], None] | None = None,
) -> LinkTables:
    """Link the list at ``path`` to the active registry people in ``actor``'s scope."""
    if level not in LEVELS:
        raise _err(("--level",), "enum", f"level must be one of {', '.join(LEVELS)}",
                   "កម្រិតមិនត្រឹមត្រូវ")
    if not 0.0 < floor <= threshold <= 1.0:
        raise _err(("--threshold",), "bad_threshold",
                   f"need 0 < floor ({floor}) <= threshold ({threshold}) <= 1",
                   "កម្រិតមិនត្រឹមត្រូវ")
    say = progress or (lambda _m: None)
    header = read_list(con, path)
    mapping.check_against([*header, ROW_COLUMN])
    notes: list[str] = []
    roles = set(mapping.roles)
    say("loading people from the registry")
    with ctx.engine.connect() as conn:
        people = load_people(conn, con, PEOPLE, scope=actor.scope)
    if not people:
        raise _err(("registry",), "empty", "the registry has no active people to match against",
                   "បញ្ជីចុះឈ្មោះគ្មានបុគ្គលសកម្មទេ")
    reg = registry_source_sql(PEOPLE, roles, id_type.value)
    con.execute(f"""create or replace view __spmis_match_source as
        select * from ({_list_source(ctx, con, mapping, id_type, notes)})
        union all by name
        select 'R' || cast(record_id as varchar) as record_id, * exclude (record_id)
        from ({reg})""")
    opts = engine.LinkageOptions(threshold=threshold, pair_floor=floor)
    result = engine.dedupe(con, "__spmis_match_source", roles, opts, progress=say)
    notes += result.notes
    say("choosing the best registry match of each row")
    con.execute(f"""create or replace table {CROSS} as
        with p as (
            select case when q.record_id_l like 'L%' then q.record_id_l else q.record_id_r end
                       as list_id,
                   case when q.record_id_l like 'L%' then q.record_id_r else q.record_id_l end
                       as reg_id,
                   q.match_probability as probability
            from {result.pairs} as q
            where (q.record_id_l like 'L%') <> (q.record_id_r like 'L%'))
        select cast(substr(p.list_id, 2) as bigint) as list_row,
               cast(substr(p.reg_id, 2) as bigint) as person_id, r.household_id,
               p.probability, {reasons_sql(roles)} as reasons
        from p
        join {engine.PREPARED} as a on a.record_id = p.list_id
        join {engine.PREPARED} as b on b.record_id = p.reg_id
        join {PEOPLE} as r on r.record_id = cast(substr(p.reg_id, 2) as bigint)""")
    entity = "person_id" if level == "person" else "household_id"
    con.execute(f"""create or replace table {BEST} as
        with e as (
            select list_row, {entity} as entity_id, any_value(household_id) as household_id,
                   max(probability) as probability, arg_max(reasons, probability) as reasons
            from {CROSS} group by list_row, {entity}),
        ranked as (
            select *, row_number() over (partition by list_row
                                         order by probability desc, entity_id) as rank,
                   count(*) filter (where probability >= {threshold})
                       over (partition by list_row) as sure
            from e)
        select list_row, entity_id, household_id, probability, reasons, sure
        from ranked where rank = 1""")
    rows = int(con.execute(f"select count(*) from {LIST}").fetchall()[0][0])
    return LinkTables(CROSS, BEST, rows, people, notes)


def match_list(
    ctx: AppContext,
    path: Path,
    mapping: ColumnMapping,
    actor: Actor,
    out: Path,
    *,
    id_type: IdentifierType = IdentifierType.NATIONAL_ID,
    level: str = "person",
    threshold: float = DEFAULT_THRESHOLD,
    memory_limit: str = "2GB",
    progress: Callable[[str], None] | None = None,
) -> MatchSummary:
    """Link the list and write ``out``: one line per input row, in input order (see module)."""
    t0 = time.perf_counter()
    con = engine.connect(memory_limit=memory_limit)
    try:
        tables = link_list(ctx, con, path, mapping, actor, id_type=id_type, level=level,
                           threshold=threshold, floor=min(DEFAULT_FLOOR, threshold),
                           progress=progress)
        row_id = (f'l."{mapping.id_column}"' if mapping.id_column != ROW_COLUMN
                  else f"l.{ROW_COLUMN}")
        id_name = mapping.id_column if mapping.id_column != ROW_COLUMN else "row"
        entity = ("b.entity_id as person_id, b.household_id" if level == "person"
                  else "b.entity_id as household_id")
        con.execute(f"""create or replace table __spmis_match_out as
            select {row_id} as "{id_name}",
                   case when b.sure = 1 then 'matched' when b.sure > 1 then 'ambiguous'
                        else 'unmatched' end as status,
                   {entity}, round(b.probability, 6) as match_probability,
                   array_to_string(b.reasons, '; ') as reason,
                   coalesce(b.sure, 0) as candidates
            from {LIST} as l left join {tables.best} as b on b.list_row = l.{ROW_COLUMN}
            order by l.{ROW_COLUMN}""")
        out.parent.mkdir(parents=True, exist_ok=True)
        copy_csv(con, "__spmis_match_out", out)
        counts = dict(con.execute(
            "select status, count(*) from __spmis_match_out group by status").fetchall())
    finally:
        con.close()
    return MatchSummary(
        rows=tables.rows, matched=counts.get("matched", 0),
        ambiguous=counts.get("ambiguous", 0), unmatched=counts.get("unmatched", 0),
        registry_people=tables.registry_people, level=level,
        seconds=time.perf_counter() - t0, notes=tables.notes)
