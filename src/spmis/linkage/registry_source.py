"""Load the registry's active people into DuckDB for linkage: one SQL query
(``spmis.registry.queries.people_for_linkage``), streamed in batches
of columns (Arrow), so memory stays bounded by the batch size on the Python side and by DuckDB's
memory limit (it spills to disk) on the other.

Identifiers are never decrypted for linkage: each person's identifiers come as their keyed hashes
(``person_identifier.value_hash``), one column per type. Two records hold the same identifier
exactly when the hashes are equal, and a list to match is hashed with the same key
(``spmis.crypto.FieldCipher.blind_index``).

The engine's ``phone`` role wants 8-9 digits; a phone hash is given to it as a 9-digit number
derived from the hash (``pseudo_phone_sql``), the same on both sides, so equal phones agree.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
from sqlalchemy import Connection

from spmis.registry import queries
from spmis.registry.model import IdentifierType

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
        queries.people_for_linkage(scope, ID_TYPES, employment_types))
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
