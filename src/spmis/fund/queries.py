"""Read-only queries of the social security fund for other capabilities (member statements,
entitlement checks, claims, pensions, the coverage gap).

The fund owns its tables (``fund.store``): no other package imports them or writes to them; they
read through the functions here and change fund data only through ``FundService``.

- ``employers()``, ``affiliations()``, ``declarations()``, ``declaration_lines()``,
  ``contributions()``, ``invoices()``: read-only views of the tables (aliases with the table's own
  name), to compose into the caller's own set-based statements. Their columns are those of
  ``spmis.fund.store`` (documented there); in ``contributions()`` every amount is in riel
  (``currency`` 'KHR'), one row per (period, employer_id, person_id), the schemes in columns:
  ``wage_khr``, ``base_occupational``, ``base_pension``, ``occupational_risk``,
  ``health_care_employer``, ``health_care_worker``, ``pension_employer``, ``pension_worker``,
  ``total``;
- ``member_months(conn, person_id)``: a member's contributions month by month across all their
  employers (the rows of a statement);
- ``member_affiliations(conn, person_id)``: a person's affiliations, newest first;
- ``contribution_months(conn, person_id, until)``: the number of distinct months with a pension
  contribution up to a month (for the pension and survivors' conditions);
- ``employer_of_user(conn, username)``: the employer an ``employer`` account acts for;
- ``fund_members()``: the ids of people with an affiliation in force at some time (one column,
  ``person_id``), for the coverage gap.

This module is additive: a capability that needs more adds a function here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.sql.selectable import NamedFromClause

from spmis.fund import store

__all__ = [
    "affiliations",
    "contribution_months",
    "contributions",
    "declaration_lines",
    "declarations",
    "employer_of_user",
    "employers",
    "fund_members",
    "invoices",
    "member_affiliations",
    "member_months",
]

_EMPLOYERS = store.fund_employer.alias("fund_employer")
_AFFILIATIONS = store.fund_affiliation.alias("fund_affiliation")
_DECLARATIONS = store.fund_declaration.alias("fund_declaration")
_LINES = store.fund_declaration_line.alias("fund_declaration_line")
_CONTRIBUTIONS = store.fund_contribution.alias("fund_contribution")
_INVOICES = store.fund_invoice.alias("fund_invoice")


def employers() -> NamedFromClause:
    """The ``fund_employer`` table, read-only."""
    return _EMPLOYERS


def affiliations() -> NamedFromClause:
    """The ``fund_affiliation`` table, read-only."""
    return _AFFILIATIONS


def declarations() -> NamedFromClause:
    """The ``fund_declaration`` table, read-only (every declaration, corrections included)."""
    return _DECLARATIONS


def declaration_lines() -> NamedFromClause:
    """The ``fund_declaration_line`` table, read-only."""
    return _LINES


def contributions() -> NamedFromClause:
    """The ``fund_contribution`` table, read-only: the contributions in force (from each
    employer-month's latest submitted declaration)."""
    return _CONTRIBUTIONS


def invoices() -> NamedFromClause:
    """The ``fund_invoice`` table, read-only."""
    return _INVOICES


def member_months(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    """Every month's contributory wages and contributions of ``person_id``, one row per
    (period, employer), oldest first, with the employer's number and name."""
    c, e = _CONTRIBUTIONS, _EMPLOYERS
    rows = conn.execute(
        select(c, e.c.employer_number, e.c.name.label("employer_name"))
        .join(e, e.c.id == c.c.employer_id)
        .where(c.c.person_id == person_id)
        .order_by(c.c.period, c.c.employer_id)
    ).mappings()
    return [dict(r) for r in rows]


def member_affiliations(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    """The affiliations of ``person_id``, newest first."""
    a = _AFFILIATIONS
    rows = conn.execute(select(a).where(a.c.person_id == person_id)
                        .order_by(a.c.start_date.desc(), a.c.id.desc())).mappings()
    return [dict(r) for r in rows]


def contribution_months(conn: Connection, person_id: int, until: str | None = None) -> int:
    """Distinct months (up to ``until``, a 'YYYY-MM', when given) in which ``person_id`` paid a
    pension contribution, across employers."""
    c = _CONTRIBUTIONS
    q = select(func.count(func.distinct(c.c.period))).where(
        c.c.person_id == person_id, c.c.pension_worker + c.c.pension_employer > 0)
    if until is not None:
        q = q.where(c.c.period <= until)
    return int(conn.execute(q).scalar_one())


def employer_of_user(conn: Connection, username: str) -> int | None:
    """The employer an account of role ``employer`` acts for (None: not linked to any)."""
    u = store.fund_employer_user
    found = conn.execute(select(u.c.employer_id).where(u.c.username == username)
                         ).scalar_one_or_none()
    return None if found is None else int(found)


def fund_members() -> Select[tuple[Any, ...]]:
    """Ids of the people holding any affiliation (one column, ``person_id``, distinct)."""
    return select(_AFFILIATIONS.c.person_id).distinct()
