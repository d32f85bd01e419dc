"""Read-only queries of the registry that other capabilities may use (they never import
``registry.store``). Bulk readers return SQLAlchemy Core selects with documented columns, so the
caller composes them (adds conditions and computed columns) and runs them set-based, in one
statement, on any engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Select, select

from spmis.auth import scope as scopes
from spmis.context import AppContext
from spmis.registry import identifiers as ids
from spmis.registry.model import IdentifierType
from spmis.registry.store import (
    enterprise,
    household,
    identifier_match,
    person,
    person_identifier,
)

__all__ = [
    "FieldChange",
    "IdentifierConflict",
    "LaterChange",
    "PersonCard",
    "PersonChangeView",
    "active_households",
    "active_persons",
    "household_ids_in_scope",
    "household_village_code",
    "identifier_owner",
    "nssf_number_holders",
    "nssf_registered_enterprises",
    "person_cards",
]


@dataclass(frozen=True)
class PersonCard:
    """Who a person is, as a checker needs to recognise them: names, sex, birth date, household
    and its village, status, and identifiers masked ('******789')."""

    id: int
    family_name_km: str | None
    given_name_km: str | None
    family_name_latin: str | None
    given_name_latin: str | None
    sex: str
    date_of_birth: date
    household_id: int
    village_code: str
    relationship: str
    status: str
    version: int
    identifiers: dict[str, str]


@dataclass(frozen=True)
class FieldChange:
    """One field of a requested change: the value on the record now and the one requested
    (identifiers masked; None is empty). ``field`` as the change log names it
    (``given_name_latin``, ``identifiers.phone``)."""

    field: str
    before: object
    after: object


@dataclass(frozen=True)
class LaterChange:
    """A change of the record made after the request was made."""

    version: int
    changed_by: str
    changed_at: datetime
    fields: tuple[str, ...]


@dataclass(frozen=True)
class IdentifierConflict:
    """A requested identifier that already belongs to another person (``owner`` is None when that
    person is outside the reader's area)."""

    field: str
    owner: PersonCard | None


@dataclass(frozen=True)
class PersonChangeView:
    """What an approver needs to decide a change of a person: who it is, each field old and new,
    what changed on the record since the request (and whether that clashes with it), and
    identifiers it would take from someone else."""

    person: PersonCard
    changes: tuple[FieldChange, ...]
    made_on_version: int | None
    later: tuple[LaterChange, ...]
    clashes: tuple[str, ...]
    conflicts: tuple[IdentifierConflict, ...]

    @property
    def stale(self) -> bool:
        """The record changed after the request was made."""
        return bool(self.later)


def person_cards(ctx: AppContext, conn: Connection, person_ids: Sequence[int],
                 actor_scope: str) -> dict[int, PersonCard]:
    """The cards of the people among ``person_ids`` inside ``actor_scope`` (any status); people
    outside it, or not there, are left out. Two queries whatever the number of ids."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    p = person.c
    rows = conn.execute(
        select(p.id, p.family_name_km, p.given_name_km, p.family_name_latin,
               p.given_name_latin, p.sex, p.date_of_birth, p.household_id, p.relationship,
               p.status, p.version, household.c.village_code)
        .join(household, household.c.id == p.household_id)
        .where(p.id.in_(wanted), *scopes.conditions(actor_scope, household.c.village_code))
    ).mappings().all()
    masked: dict[int, dict[str, str]] = {r["id"]: {} for r in rows}
    for row in conn.execute(select(person_identifier).where(
            person_identifier.c.person_id.in_(list(masked)))).mappings():
        clear = (ctx.cipher.decrypt(row["value_enc"], row["id_type"])
                 if row["value_enc"] is not None else row["value_clear"])
        masked[row["person_id"]][row["id_type"]] = ids.mask(clear)
    return {r["id"]: PersonCard(**{k: r[k] for k in PersonCard.__dataclass_fields__
                                   if k != "identifiers"}, identifiers=masked[r["id"]])
            for r in rows}


def identifier_owner(ctx: AppContext, conn: Connection, id_type: str, value: str) -> int | None:
    """The person holding the normalised identifier ``value`` of ``id_type``, found through its
    keyed hash (the value is never compared in clear), or None."""
    digest = ctx.cipher.blind_index(value, id_type)
    owner = conn.execute(select(person_identifier.c.person_id).where(
        identifier_match(id_type, digest))).scalar()
    return None if owner is None else int(owner)


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
