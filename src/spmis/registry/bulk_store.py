"""Set-based reads and writes for bulk import, on PostgreSQL and SQLite.

- Look-ups of many keys at once: ``= ANY(array)`` on PostgreSQL, ``IN (SELECT value FROM
  json_each(?))`` on SQLite: one parameter either way. The PostgreSQL array is written as one
  text literal by Polars (quoted, backslash-escaped) rather than adapted element by element
  by the driver, which cost more client CPU than the rest of the look-up.
- Ids of new rows are reserved up front (PostgreSQL: ``nextval`` of the table's sequence over a
  ``generate_series``; SQLite: after the current maximum, inside the write transaction that
  holds SQLite's single writer lock), so that households, people, identifiers and change-log
  rows can be written in one pass each without reading anything back.
- Rows are written with ``COPY ... FROM STDIN (FORMAT csv)`` (psycopg 3) on PostgreSQL and
  ``executemany`` on SQLite, straight into the registry tables: every row has been validated
  and its keys checked first, and the unique indexes still guard against a concurrent writer
  (the chunk's transaction then fails as a whole and the importer checks it again).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table


def array_literal(values: pl.Series) -> tuple[str, str]:
    """(PostgreSQL array literal, element type) of ``values`` (integers or text, no nulls):
    ``{1,2}`` or ``{"a","b \\"c\\""}``, every text element quoted with ``\\`` and ``"``
    escaped."""
    if values.dtype.is_integer():
        element, items = "bigint", pl.col("v").cast(pl.String)
    else:
        element = "text"
        items = (pl.lit('"') + pl.col("v").cast(pl.String)
                 .str.replace_all("\\", "\\\\", literal=True)
                 .str.replace_all('"', '\\"', literal=True) + pl.lit('"'))
    body = pl.DataFrame({"v": values}).select(items.str.join(",")).item()
    return "{" + body + "}", element


class BulkStore:
    """Bulk operations on one open connection (inside the caller's transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.is_postgres = conn.dialect.name == "postgresql"

    # ------------------------------------------------------------------ reads
    def fetch(self, sql: str, keys: Sequence[Any] | pl.Series, schema: dict[str, Any],
              unique: bool = False) -> pl.DataFrame:
        """Rows of ``sql`` as a frame; ``sql`` holds one ``{match}`` placeholder, written right
        after the column to match against ``keys`` (``WHERE h.external_key {match}``).

        ``unique``: at most one row per key (a unique index on the matched column). On
        PostgreSQL each key is then looked up through that index (``unnest`` of the keys,
        ``LATERAL`` the query with ``= key LIMIT 1``), so a chunk costs the same whatever the
        size of the table. Given ``= ANY(20,000 keys)``, the planner scans the whole table
        (with parallel workers) once the table is large, chunk after chunk."""
        series = keys if isinstance(keys, pl.Series) else pl.Series(list(keys))
        if series.dtype == pl.String:  # a NUL cannot be stored in text, so it matches nothing
            series = series.filter(~series.str.contains("\x00", literal=True))
        if series.len() == 0:
            return pl.DataFrame(schema=schema)
        if self.is_postgres:
            literal, element = array_literal(series)
            if unique:
                query = (f"SELECT found.* FROM unnest(CAST(%s AS {element}[])) AS wanted(key) "
                         f"CROSS JOIN LATERAL ({sql.format(match='= wanted.key')} LIMIT 1) "
                         "AS found")
            else:
                query = sql.format(match=f"= ANY(CAST(%s AS {element}[]))")
            result = self.conn.exec_driver_sql(query, (literal,))
            return pl.DataFrame([tuple(r) for r in result], schema=schema, orient="row")
        result = self.conn.exec_driver_sql(
            sql.format(match="IN (SELECT value FROM json_each(?))"),
            (json.dumps(series.to_list()),))
        # SQLite hands back dates as text and booleans as integers
        raw = {k: pl.String if t == pl.Date else pl.Int64 if t == pl.Boolean else t
               for k, t in schema.items()}
        frame = pl.DataFrame([tuple(r) for r in result], schema=raw, orient="row")
        return frame.with_columns(
            [pl.col(k).str.to_date("%Y-%m-%d") for k, t in schema.items() if t == pl.Date]
            + [pl.col(k).cast(pl.Boolean) for k, t in schema.items() if t == pl.Boolean])

    # ------------------------------------------------------------------ ids
    def allocate_ids(self, table: Table, n: int) -> pl.Series:
        """``n`` new primary-key values for ``table``."""
        if n == 0:
            return pl.Series("id", [], dtype=pl.Int64)
        name = table.name
        if self.is_postgres:
            ids = self.conn.exec_driver_sql(
                f"SELECT array_agg(nextval(pg_get_serial_sequence('{name}', 'id'))) "
                "FROM generate_series(1, %s)", (n,)).scalar_one()
            return pl.Series("id", ids, dtype=pl.Int64)
        top = self.conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {name}").scalar_one()
        return pl.int_range(top + 1, top + 1 + n, eager=True, dtype=pl.Int64).alias("id")

    # ------------------------------------------------------------------ writes
    def insert(self, table: Table, frame: pl.DataFrame) -> None:
        """Insert every row of ``frame`` (its columns are column names of ``table``)."""
        if frame.height == 0:
            return
        columns = frame.columns
        if self.is_postgres:
            self._copy(table, frame)
            return
        values = frame.with_columns(
            [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean]
            + [pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t == pl.Date]
        )
        placeholders = ", ".join("?" for _ in columns)
        self.conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})",
            values.rows(),
        )

    def _copy(self, table: Table, frame: pl.DataFrame) -> None:
        binary = [c for c, t in frame.schema.items() if t == pl.Binary]
        if binary:
            frame = frame.with_columns(
                [(pl.lit("\\x") + pl.col(c).bin.encode("hex")).alias(c) for c in binary])
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False)
        dbapi: Any = self.conn.connection.driver_connection
        with dbapi.cursor() as cur, cur.copy(
            f"COPY {table.name} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)"
        ) as copy:
            copy.write(buffer.getbuffer())

    def timestamp_value(self, table: Table, column: str, value: datetime) -> Any:
        """``value`` as the text the database stores for ``table.column`` (written as a
        constant column of a bulk insert)."""
        if self.is_postgres:
            return value.isoformat()
        proc = table.c[column].type.bind_processor(self.conn.dialect)
        return proc(value) if proc else value
