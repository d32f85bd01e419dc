"""Load the registry's active people into DuckDB for linkage: one SQL query, streamed in batches
of columns (Arrow), so memory stays bounded by the batch size on the Python side and by DuckDB's
memory limit (it spills to disk) on the other.

Identifiers are never decrypted for linkage: each person's identifiers come as their keyed hashes
(``person_identifier.value_hash``), one column per type. Two records hold the same identifier
exactly when the hashes are equal, and a list to match is hashed with the same key
(``spmis.auth.crypto.FieldCipher.blind_index``).

The engine's ``phone`` role wants 8-9 digits; a phone hash is given to it as a 9-digit number
derived from the hash (``pseudo_phone_sql``), the same on both sides, so equal phones agree.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, and_, select

from spmis.auth.scope import conditions as scope_conditions
from spmis.registry.model import IdentifierType
from spmis.registry.store import household, person, person_identifier

__all__ = ["ID_TYPES", "load_people", "pseudo_phone_sql", "registry_source_sql"]

#: identifier types loaded as hash columns (column name = the type's value)
ID_TYPES = tuple(t.value for t in IdentifierType)
#: identifier types that belong to one person: both present and different = a conflict
CONFLICT_TYPES = tuple(t for t in ID_TYPES if t != IdentifierType.PHONE.value)
BATCH_ROWS = 100_000

_SCHEMA = pa.schema([
    ("record_id", pa.int64()), ("household_id", pa.int64()),
    ("family_name", pa.string()), ("given_name", pa.string()),
    ("family_name_km", pa.string()), ("given_name_km", pa.string()), ("sex", pa.string()),
    ("dob", pa.date32()), ("dob_estimated", pa.bool_()), ("village_code", pa.string()),
    ("province_code", pa.string()), ("employment_type", pa.string()),
    *((t, pa.string()) for t in ID_TYPES),
])


def _query(scope: str, employment_types: tuple[str, ...] | None) -> Any:
    aliases = {t: person_identifier.alias(f"id_{t}") for t in ID_TYPES}
    cols = [
        person.c.id, person.c.household_id,
        person.c.family_name_latin, person.c.family_name_km,
        person.c.given_name_latin, person.c.given_name_km,
        person.c.sex, person.c.date_of_birth, person.c.dob_estimated,
        household.c.village_code, household.c.province_code, person.c.employment_type,
        *(aliases[t].c.value_hash.label(t) for t in ID_TYPES),
    ]
    source: Any = person.join(household, household.c.id == person.c.household_id)
    for t, alias in aliases.items():
        source = source.outerjoin(alias, and_(alias.c.person_id == person.c.id,
                                              alias.c.id_type == t))
    query = select(*cols).select_from(source).where(
        person.c.status == "active", *scope_conditions(scope, household.c.village_code))
    if employment_types is not None:
        query = query.where(person.c.employment_type.in_(employment_types))
    return query.order_by(person.c.id)


def load_people(
    conn: Connection,
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    scope: str = "",
    employment_types: tuple[str, ...] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> int:
    """Create DuckDB table ``table`` of the active people (see ``_SCHEMA``); returns the count.

    Names are the Latin spelling when there is one, else the Khmer one; the Khmer spelling is
    also kept on its own (``family_name_km``, ``given_name_km``) for the second-script roles.
    """
    con.execute(f"drop table if exists {table}")
    empty = _SCHEMA.empty_table()
    con.register("__spmis_batch", empty)
    con.execute(f"create table {table} as select * from __spmis_batch")
    con.unregister("__spmis_batch")
    result = conn.execution_options(yield_per=batch_rows).execute(
        _query(scope, employment_types))
    for rows in result.partitions():
        cols = list(zip(*rows, strict=True))
        fam = [lat if lat else km for lat, km in zip(cols[2], cols[3], strict=True)]
        giv = [lat if lat else km for lat, km in zip(cols[4], cols[5], strict=True)]
        arrays = [cols[0], cols[1], fam, giv, cols[3], cols[5], *cols[6:]]
        batch = pa.table(arrays, schema=_SCHEMA)
        con.register("__spmis_batch", batch)
        con.execute(f"insert into {table} select * from __spmis_batch")
        con.unregister("__spmis_batch")
    return int(con.execute(f"select count(*) from {table}").fetchall()[0][0])


def pseudo_phone_sql(col: str) -> str:
    """DuckDB expression: a 9-digit number (as text) derived from a hex hash, NULL for NULL."""
    return (f"case when {col} is not null then cast(100000000 + "
            f"(('0x' || substr({col}, 1, 14))::UBIGINT % 900000000) as varchar) end")


def registry_source_sql(table: str, roles: set[str], id_type: str | None = None) -> str:
    """A SELECT over a table made by ``load_people`` giving the engine's role columns."""
    cols = ["record_id"]
    if "family_name" in roles:
        cols.append("family_name")
    if "given_name" in roles:
        cols.append("given_name")
    if "full_name" in roles:
        cols.append("concat_ws(' ', family_name, given_name) as full_name")
    cols += [r for r in ("family_name_km", "given_name_km") if r in roles]
    if "date_of_birth" in roles:
        cols.append("case when dob_estimated then cast(year(dob) as varchar) "
                    "else strftime(dob, '%Y-%m-%d') end as date_of_birth")
    if "sex" in roles:
        cols.append("sex")
    if "village_code" in roles:
        cols.append("village_code")
    if "phone" in roles:
        cols.append(f"{pseudo_phone_sql('phone')} as phone")
    if "id_number" in roles and id_type:
        cols.append(f"{id_type} as id_number")
    return f"select {', '.join(cols)} from {table}"
