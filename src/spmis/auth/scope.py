"""The one place a geographic scope becomes a filter (docs/decisions/0002).

A scope is a prefix of NCDD codes: '' is the whole country, '12' a province, '1201' a district,
'120101' a commune. Codes nest (a village code starts with its commune, district and province
codes), so a record located at code ``c`` is inside scope ``s`` exactly when ``c`` starts with
``s``. The same test is written here once for each place it runs:

- Python objects: ``covers(scope, code)``; between two scopes ``overlaps(a, b)``;
- SQLAlchemy Core: ``condition(scope, column)`` / ``conditions(scope, column)``, a
  ``LIKE 'prefix%'`` whose pattern is written into the SQL as a constant (escaped), so that
  PostgreSQL plans it as an index range on a collation-"C" column, even for a cached plan;
- Polars frames: ``polars_covers(scope, column)``;
- DuckDB SQL: ``duckdb_covers(scope, column)``, a fragment for a WHERE clause.

An *area* filter (a search for one province, district, commune or village) is the same prefix
test; ``area_condition`` adds the equality test for a full village code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, String, bindparam, true

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "VILLAGE_CODE_LENGTH",
    "area_condition",
    "condition",
    "conditions",
    "covers",
    "duckdb_covers",
    "overlaps",
    "polars_covers",
    "prefix_condition",
]

VILLAGE_CODE_LENGTH = 8
_ESCAPE = "/"


def covers(scope: str, code: str | None) -> bool:
    """True when a record located at ``code`` (or a narrower scope ``code``) lies inside
    ``scope``. The whole country ('') covers everything, even a record without a code."""
    if not scope:
        return True
    return code is not None and code.startswith(scope)


def overlaps(a: str, b: str) -> bool:
    """True when scopes (or areas) ``a`` and ``b`` share a record: one lies inside the other."""
    return a.startswith(b) or b.startswith(a)


def _like_pattern(prefix: str) -> str:
    escaped = (prefix.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%")
               .replace("_", _ESCAPE + "_"))
    return escaped + "%"


def prefix_condition(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column LIKE 'prefix%'``: the pattern is a constant in the SQL (not a parameter), so a
    btree index with collation "C" serves it on PostgreSQL whatever plan is cached."""
    pattern = bindparam(None, _like_pattern(prefix), type_=String(), literal_execute=True)
    result: ColumnElement[bool] = column.like(pattern, escape=_ESCAPE)
    return result


def conditions(scope: str, column: Any) -> list[ColumnElement[bool]]:
    """The WHERE conditions that keep rows whose ``column`` (an area code) is inside ``scope``:
    none for the whole country."""
    return [prefix_condition(column, scope)] if scope else []


def condition(scope: str, column: Any) -> ColumnElement[bool]:
    """``conditions`` as one expression (``true()`` for the whole country)."""
    return prefix_condition(column, scope) if scope else true()


def area_condition(column: Any, area: str) -> ColumnElement[bool]:
    """Rows whose ``column`` (a village code) lies in ``area`` (any level): equality for a
    village, a prefix test above it. ``area`` must already be a known code."""
    if len(area) == VILLAGE_CODE_LENGTH:
        result: ColumnElement[bool] = column == area
        return result
    return prefix_condition(column, area)


def polars_covers(scope: str, column: str) -> pl.Expr:
    """A Polars expression: the row's ``column`` is inside ``scope`` (null for a null code under
    a real scope; always true for the whole country)."""
    import polars as pl

    if not scope:
        return pl.lit(True)
    return pl.col(column).str.starts_with(scope)


def duckdb_covers(scope: str, column: str) -> str:
    """A DuckDB WHERE fragment: ``column`` (an identifier, quoted by the caller if needed) is
    inside ``scope``."""
    if not scope:
        return "true"
    literal = scope.replace("'", "''")
    return f"starts_with({column}, '{literal}')"
