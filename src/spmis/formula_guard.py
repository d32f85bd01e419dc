"""No live formula from user text in a file people open in a spreadsheet (OWASP "CSV injection").

Every CSV or XLSX file SPMIS writes for people (exports, reject reports, linkage and coverage
results, simulation tables) passes its text cells through this one module:

- a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
  with a single quote in front (``=1+1`` -> ``'=1+1``), so Excel, LibreOffice and Google Sheets
  show it as text instead of running it;
- a text cell that already begins with a single quote gets one more (``'x`` -> ``''x``), so
  reading a guarded file back is exact: ``unguard`` removes one quote before a trigger or a
  quote, and only then;
- a plain number (``-5``, ``+85512345678``, ``1.5e3``) is left alone: it cannot carry a formula,
  and negative amounts and E.164 phone numbers stay what they are.

The importer (``spmis.registry.fileformat``) unguards every cell, so a re-import of SPMIS's own
export gives back exactly the stored values. Polars frames are written with ``write_csv``
(``guard_frame``), DuckDB results with ``copy_csv``, openpyxl rows with ``guard_row``,
rows written one at a time with ``csv_row_writer``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import duckdb
import polars as pl

__all__ = [
    "GUARD",
    "TRIGGERS",
    "copy_csv",
    "csv_row_writer",
    "guard",
    "guard_frame",
    "guard_row",
    "unguard",
    "unguard_expr",
    "write_csv",
]

#: first characters that make a spreadsheet read a cell as a formula (or a DDE command)
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
_NUMBER = r"[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?"
_NUMBER_RE = re.compile(_NUMBER)
#: regular expressions shared by Python, Polars (Rust regex) and DuckDB (RE2)
_LEADS = "^[=+@\\t\\r'-]"
_GUARDED = "^'[=+@\\t\\r'-]"


def guard(value: str | None) -> str | None:
    """``value`` as a cell no spreadsheet runs (see module docstring)."""
    if not value or (value[0] not in TRIGGERS and value[0] != GUARD):
        return value
    if _NUMBER_RE.fullmatch(value):
        return value
    return GUARD + value


def unguard(value: str | None) -> str | None:
    """The value ``guard`` was given: one leading quote removed before a trigger or a quote."""
    if value and len(value) > 1 and value[0] == GUARD and (value[1] in TRIGGERS
                                                            or value[1] == GUARD):
        return value[1:]
    return value


def _guard_expr(col: pl.Expr) -> pl.Expr:
    risky = col.str.contains(_LEADS) & ~col.str.contains(f"^{_NUMBER}$")
    return pl.when(risky).then(pl.lit(GUARD) + col).otherwise(col)


def unguard_expr(col: pl.Expr) -> pl.Expr:
    """Polars version of ``unguard`` on a text column."""
    return pl.when(col.str.contains(_GUARDED)).then(col.str.slice(1)).otherwise(col)


def guard_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text column guarded (numbers, dates and booleans are not text)."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return frame
    return frame.with_columns(_guard_expr(pl.col(c)).alias(c) for c in text)


def write_csv(frame: pl.DataFrame, target: Path | IO[bytes], *,
              include_header: bool = True) -> None:
    """Write ``frame`` as CSV (UTF-8, comma) with its text cells guarded."""
    guard_frame(frame).write_csv(target, include_header=include_header)


def guard_row(values: Iterable[Any]) -> list[Any]:
    """A row for openpyxl: text cells guarded, so none starts with ``=`` (openpyxl would store
    such a string as a formula) or another trigger; other values unchanged."""
    return [guard(v) if isinstance(v, str) else v for v in values]


def csv_row_writer(target: IO[str], delimiter: str = ",") -> Callable[[Iterable[Any]], Any]:
    """A function writing one CSV row to ``target`` (a text stream) with its text cells
    guarded; for files written row by row in a layout of their own (a provider's payroll)."""
    writer = csv.writer(target, delimiter=delimiter, lineterminator="\r\n")
    return lambda row: writer.writerow(guard_row(row))


def copy_csv(con: duckdb.DuckDBPyConnection, query: str, target: Path, *,
             order_by: str | None = None) -> None:
    """DuckDB: write the rows of ``query`` (a SELECT or a table name) to the CSV file
    ``target`` with a header and its text columns guarded. ``order_by`` is SQL over the
    query's columns, written ``__q.column``."""
    source = query if query.lstrip().lower().startswith(("select", "with")) else (
        f"select * from {query}")
    cols = []
    for name, dtype, *_ in con.execute(f"describe {source}").fetchall():
        quoted = '"' + str(name).replace('"', '""') + '"'
        col = f"__q.{quoted}"
        if str(dtype) == "VARCHAR":
            cols.append(
                f"case when regexp_matches({col}, '{_LEADS.replace(GUARD, GUARD * 2)}') "
                f"and not regexp_matches({col}, '^{_NUMBER}$') "
                f"then '{GUARD}{GUARD}' || {col} else {col} end as {quoted}")
        else:
            cols.append(f"{col} as {quoted}")
    order = f" order by {order_by}" if order_by else ""
    path = "'" + str(target).replace("'", "''") + "'"
    con.execute(f"copy (select {', '.join(cols)} from ({source}) as __q{order}) "
                f"to {path} (header, delimiter ',')")
