"""Read-only queries of the registry that other capabilities may use (they never import
``registry.store``). Bulk readers return SQLAlchemy Core selects with documented columns, so the
caller composes them (adds conditions and computed columns) and runs them set-based, in one
statement, on any engine.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Select, select

from spmis.auth import scope as scopes
from spmis.registry.model import IdentifierType
from spmis.registry.store import enterprise, household, person, person_identifier

__all__ = [
    "active_households",
    "active_persons",
    "household_ids_in_scope",
    "household_village_code",
    "nssf_number_holders",
    "nssf_registered_enterprises",
]


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
    expected_delivery_date, employment_type, enterprise_id (NULL when none)."""
    p = person.c
    query = select(
        p.id, p.household_id, p.relationship, p.sex, p.date_of_birth, p.disability,
        p.pregnant, p.expected_delivery_date, p.employment_type, p.enterprise_id,
    ).where(p.status == "active")
    if household_ids is not None:
        query = query.where(p.household_id.in_(list(household_ids)))
    return query


def nssf_number_holders(household_ids: Sequence[int] | None = None) -> Select[tuple[object, ...]]:
    """Ids of the persons holding an NSSF member number (of ``household_ids`` when given); one
    column, ``person_id``. Read on its own and matched by the caller (a hash look-up), so that a
    bulk read of every person needs no join."""
    ident = person_identifier.c
    query = select(ident.person_id).where(ident.id_type == IdentifierType.NSSF_MEMBER.value)
    if household_ids is not None:
        members = select(person.c.id).where(person.c.household_id.in_(list(household_ids)))
        query = query.where(ident.person_id.in_(members))
    return query


def nssf_registered_enterprises() -> Select[tuple[object, ...]]:
    """Ids of the active enterprises registered with the NSSF (they have an employer number);
    one column, ``id``."""
    e = enterprise.c
    return select(e.id).where(e.status == "active", e.nssf_employer_number.is_not(None))


def household_village_code(conn: Connection, household_id: int) -> str | None:
    """The village code of a household (any status), or None when there is no such household:
    what a caller needs to check an actor's scope."""
    code = conn.execute(
        select(household.c.village_code).where(household.c.id == household_id)
    ).scalar_one_or_none()
    return None if code is None else str(code)


def household_ids_in_scope(scope: str) -> Select[tuple[object, ...]]:
    """Ids of the households (any status) located inside ``scope`` (every household for the
    whole country), to restrict another capability's rows to an actor's area."""
    return select(household.c.id).where(scopes.condition(scope, household.c.village_code))
