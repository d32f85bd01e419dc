"""Read-only queries of the registry that other capabilities may use (they never import
``registry.store``). Bulk readers return SQLAlchemy Core selects with documented columns, so the
caller composes them (adds conditions and computed columns) and runs them set-based, in one
statement, on any engine.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Select, and_, select

from spmis.registry.model import IdentifierType
from spmis.registry.store import enterprise, household, person, person_identifier

__all__ = ["active_households", "active_persons", "household_village_code"]


def active_households(household_ids: Sequence[int] | None = None) -> Select[tuple[object, ...]]:
    """Households with status 'active' (only ``household_ids`` when given).

    Columns: id, village_code, commune_code, province_code, idpoor_level (NULL when none),
    idpoor_valid_from, idpoor_valid_to (NULL when not recorded)."""
    h = household.c
    query = select(
        h.id, h.village_code, h.commune_code, h.province_code,
        h.idpoor_level, h.idpoor_valid_from, h.idpoor_valid_to,
    ).where(h.status == "active")
    if household_ids is not None:
        query = query.where(h.id.in_(list(household_ids)))
    return query


def active_persons(household_ids: Sequence[int] | None = None) -> Select[tuple[object, ...]]:
    """Persons with status 'active' (of ``household_ids`` when given). The household's own status
    is not tested here: a caller reading every person filters by the households it loaded (a
    hash filter is cheaper than a join over millions of rows).

    Columns: id, household_id, relationship, sex ('F'/'M'), date_of_birth, disability, pregnant,
    expected_delivery_date, employment_type, ``holds_nssf_number`` (the person has an NSSF member
    number in ``person_identifier``) and ``employer_registered_with_nssf`` (the person's
    enterprise is active and has an NSSF employer number; false without an enterprise). Both
    flags come from outer joins on unique keys (one row per person; a hash or merge join in
    bulk, which PostgreSQL drops when the caller does not use the flag)."""
    p = person.c
    nssf_number = person_identifier.alias("nssf_number")
    employer = enterprise.alias("employer")
    query = (
        select(
            p.id, p.household_id, p.relationship, p.sex, p.date_of_birth, p.disability,
            p.pregnant, p.expected_delivery_date, p.employment_type,
            nssf_number.c.person_id.is_not(None).label("holds_nssf_number"),
            and_(employer.c.id.is_not(None), employer.c.status == "active",
                 employer.c.nssf_employer_number.is_not(None))
            .label("employer_registered_with_nssf"),
        )
        .select_from(
            person.outerjoin(
                nssf_number,
                and_(nssf_number.c.person_id == p.id,
                     nssf_number.c.id_type == IdentifierType.NSSF_MEMBER.value),
            ).outerjoin(employer, employer.c.id == p.enterprise_id)
        )
        .where(p.status == "active")
    )
    if household_ids is not None:
        query = query.where(p.household_id.in_(list(household_ids)))
    return query


def household_village_code(conn: Connection, household_id: int) -> str | None:
    """The village code of a household (any status), or None when there is no such household:
    what a caller needs to check an actor's scope."""
    code = conn.execute(
        select(household.c.village_code).where(household.c.id == household_id)
    ).scalar_one_or_none()
    return None if code is None else str(code)
