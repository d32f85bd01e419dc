"""Read-only queries of the registry for other capabilities (linkage, interoperability, rules...).

The registry owns its tables (``registry.store``): no other package imports them or writes to
them; they read through the functions here and change registry data only through its use cases
(``RegistryService``, ``registry.merges``). Functions return rows, or SQLAlchemy selectables to
compose into the caller's own set-based query:

- ``people()``, ``households()``, ``identifiers()``: read-only views of the tables (aliases with
  the table's own name: the SQL and its plans are those of the table; an alias cannot be the
  target of an INSERT or UPDATE);
- ``identifier_match``, ``consented``, ``people_in_scope``, ``person_village_codes``,
  ``people_for_linkage``: conditions and sub-selects;
- ``masked_identifiers``, ``identifier_hashes``, ``person_with_village``, ``person_villages``,
  ``merges``, ``merge_record``: rows;
- ``active_households``, ``active_persons``, ``nssf_number_holders``,
  ``nssf_registered_enterprises``: the bulk readers of the rules (documented columns; the caller
  adds conditions and computed columns and runs them set-based);
- ``household_village_code``, ``household_ids_in_scope``: what a caller needs to check or apply an
  actor's scope;
- ``person_cards``, ``identifier_owner`` and the ``PersonCard`` family: what an approver is shown
  of the people a request is about.

This module is additive: a capability that needs more adds a function here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    bindparam,
    or_,
    select,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import NamedFromClause

from spmis.auth import scope as scopes
from spmis.context import AppContext
from spmis.crypto import FieldCipher
from spmis.registry import identifiers as ids
from spmis.registry import store
from spmis.registry.merges import merge_row
from spmis.registry.model import IdentifierType
from spmis.registry.store import enterprise, household, person, person_identifier

__all__ = [
    "FieldChange",
    "IdentifierConflict",
    "LaterChange",
    "PersonCard",
    "PersonChangeView",
    "active_households",
    "active_persons",
    "consented",
    "enterprise_row",
    "household_ids_in_scope",
    "household_village_code",
    "households",
    "identifier_hashes",
    "identifier_match",
    "identifier_owner",
    "identifiers",
    "masked_identifiers",
    "merge_record",
    "merges",
    "nssf_number_holders",
    "nssf_registered_enterprises",
    "people",
    "people_for_linkage",
    "people_in_scope",
    "person_cards",
    "person_village_codes",
    "person_villages",
    "person_with_village",
]

_PEOPLE = store.person.alias("person")
_HOUSEHOLDS = store.household.alias("household")
_IDENTIFIERS = store.person_identifier.alias("person_identifier")
_CONSENTS = store.consent.alias("consent")


def people() -> NamedFromClause:
    """The ``person`` table, read-only."""
    return _PEOPLE


def households() -> NamedFromClause:
    """The ``household`` table, read-only."""
    return _HOUSEHOLDS


def identifiers() -> NamedFromClause:
    """The ``person_identifier`` table, read-only (keyed hashes and ciphertext; decrypting is
    the registry's business: ``masked_identifiers``)."""
    return _IDENTIFIERS


def identifier_match(id_type: str, hashes: str | Sequence[str]) -> ColumnElement[bool]:
    """Rows of ``identifiers()`` of ``id_type`` with keyed hash ``hashes`` (one or several),
    written so PostgreSQL picks the type's partial index (see ``store.identifier_match``)."""
    i = _IDENTIFIERS
    kind = bindparam(None, id_type, type_=String(24), literal_execute=True)
    if isinstance(hashes, str):
        return and_(i.c.id_type == kind, i.c.value_hash == hashes)
    return and_(i.c.id_type == kind, i.c.value_hash.in_(list(hashes)))


def consented(purpose: str, on: date, person_id: Any = None) -> ColumnElement[bool]:
    """People whose latest consent event for ``purpose`` (effective by ``on``) is 'given'
    (``person_id``: the person id column to test, ``people().c.id`` by default)."""
    c, later = _CONSENTS, store.consent.alias("later")
    latest = select(c.c.person_id).where(
        c.c.purpose == purpose, c.c.status == "given", c.c.effective_on <= on,
        ~select(later.c.id).where(
            later.c.person_id == c.c.person_id, later.c.purpose == purpose,
            later.c.effective_on <= on,
            or_(later.c.effective_on > c.c.effective_on,
                and_(later.c.effective_on == c.c.effective_on, later.c.id > c.c.id))).exists())
    return (_PEOPLE.c.id if person_id is None else person_id).in_(latest)


def person_village_codes() -> Select[Any]:
    """``(person_id, village_code)`` of every person: the village of their household."""
    p, h = store.person, store.household
    return select(p.c.id.label("person_id"), h.c.village_code).join(
        h, h.c.id == p.c.household_id)


def people_in_scope(scope: str) -> Select[Any]:
    """Ids of the people whose household lies inside ``scope`` (spmis.auth.scope)."""
    p, h = store.person, store.household
    return select(p.c.id).join(h, h.c.id == p.c.household_id).where(
        *scopes.conditions(scope, h.c.village_code))


def people_for_linkage(scope: str, id_types: Sequence[str],
                       employment_types: Sequence[str] | None = None) -> Select[Any]:
    """The active people inside ``scope`` for record linkage, in id order: id, household id,
    Latin and Khmer names, sex, date of birth (and whether estimated), village and province
    codes, employment type, then the keyed hash of each of ``id_types`` (NULL when none).
    Identifiers are never decrypted for linkage."""
    p, h, i = store.person, store.household, store.person_identifier
    aliases = {t: i.alias(f"id_{t}") for t in id_types}
    cols = [
        p.c.id, p.c.household_id,
        p.c.family_name_latin, p.c.family_name_km,
        p.c.given_name_latin, p.c.given_name_km,
        p.c.sex, p.c.date_of_birth, p.c.dob_estimated,
        h.c.village_code, h.c.province_code, p.c.employment_type,
        *(aliases[t].c.value_hash.label(t) for t in id_types),
    ]
    source: Any = p.join(h, h.c.id == p.c.household_id)
    for t, alias in aliases.items():
        source = source.outerjoin(alias, and_(alias.c.person_id == p.c.id, alias.c.id_type == t))
    query = select(*cols).select_from(source).where(
        p.c.status == "active", *scopes.conditions(scope, h.c.village_code))
    if employment_types is not None:
        query = query.where(p.c.employment_type.in_(employment_types))
    return query.order_by(p.c.id)


def masked_identifiers(conn: Connection, cipher: FieldCipher,
                       person_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Each person's identifiers, masked (``123****89``), by type."""
    out: dict[int, dict[str, str]] = {pid: {} for pid in person_ids}
    if not person_ids:
        return out
    i = store.person_identifier
    for row in conn.execute(select(i).where(i.c.person_id.in_(list(person_ids)))).mappings():
        if row["value_enc"] is not None:
            clear = cipher.decrypt(row["value_enc"], row["id_type"])
        else:
            clear = row["value_clear"]
        out[row["person_id"]][row["id_type"]] = ids.mask(clear)
    return out


def identifier_hashes(conn: Connection, person_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Each person's identifiers as keyed hashes, by type: equal hashes, equal values."""
    i = store.person_identifier
    out: dict[int, dict[str, str]] = {pid: {} for pid in person_ids}
    for pid, id_type, digest in conn.execute(
            select(i.c.person_id, i.c.id_type, i.c.value_hash)
            .where(i.c.person_id.in_(list(person_ids)))):
        out[pid][id_type] = digest
    return out


def person_with_village(conn: Connection, person_id: int) -> RowMapping | None:
    """A person's row with the village code of their household (None when no such person)."""
    p, h = store.person, store.household
    return conn.execute(select(p, h.c.village_code).join(h, h.c.id == p.c.household_id)
                        .where(p.c.id == person_id)).mappings().first()


def person_villages(conn: Connection, person_ids: Sequence[int]) -> dict[int, str]:
    """The village code of each person's household."""
    p, h = store.person, store.household
    rows = conn.execute(select(p.c.id, h.c.village_code).join(h, h.c.id == p.c.household_id)
                        .where(p.c.id.in_(list(person_ids)))).all()
    return {int(pid): str(village) for pid, village in rows}


def merges(conn: Connection, *, scope: str = "", person_id: int | None = None,
           limit: int = 100) -> list[RowMapping]:
    """Merges, newest first: of one person (as survivor or merged) when given; only those whose
    two people lie inside ``scope``."""
    m = store.link_merge
    query = select(m).order_by(m.c.id.desc()).limit(limit)
    if person_id is not None:
        query = query.where((m.c.survivor_id == person_id) | (m.c.merged_id == person_id))
    if scope:
        inside = people_in_scope(scope)
        query = query.where(m.c.survivor_id.in_(inside), m.c.merged_id.in_(inside))
    return list(conn.execute(query).mappings().all())


def merge_record(conn: Connection, merge_id: int) -> dict[str, Any]:
    """One merge (404 ``NotFound`` when there is none)."""
    return merge_row(conn, merge_id)


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
        store.identifier_match(id_type, digest))).scalar()
    return None if owner is None else int(owner)


#: household ids given to the queries below: a list, or an expanding bound parameter (a
#: statement built once and run with each call's ids)
HouseholdIds = Sequence[int] | BindParameter[Any]


def _ids(household_ids: HouseholdIds) -> list[int] | BindParameter[Any]:
    return household_ids if isinstance(household_ids, BindParameter) else list(household_ids)


def active_households(household_ids: HouseholdIds | None = None) -> Select[tuple[object, ...]]:
    """Households with status 'active' (only ``household_ids`` when given).

    Columns: id, village_code, commune_code, province_code, idpoor_level (NULL when none),
    idpoor_valid_from, idpoor_valid_to (NULL when not recorded)."""
    h = household.c
    query = select(
        h.id, h.village_code, h.commune_code, h.province_code,
        h.idpoor_level, h.idpoor_valid_from, h.idpoor_valid_to,
    ).where(h.status == "active")
    if household_ids is not None:
        query = query.where(h.id.in_(_ids(household_ids)))
    return query


def active_persons(household_ids: HouseholdIds | None = None) -> Select[tuple[object, ...]]:
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
        query = query.where(p.household_id.in_(_ids(household_ids)))
    return query


def nssf_number_holders(household_ids: HouseholdIds | None = None) -> Select[tuple[object, ...]]:
    """Ids of the persons holding an NSSF member number (of ``household_ids`` when given); one
    column, ``person_id``. Read on its own and matched by the caller (a hash look-up), so that a
    bulk read of every person needs no join."""
    ident = person_identifier.c
    query = select(ident.person_id).where(ident.id_type == IdentifierType.NSSF_MEMBER.value)
    if household_ids is not None:
        members = select(person.c.id).where(person.c.household_id.in_(_ids(household_ids)))
        query = query.where(ident.person_id.in_(members))
    return query


def nssf_registered_enterprises(
    household_ids: HouseholdIds | None = None,
) -> Select[tuple[object, ...]]:
    """Ids of the active enterprises registered with the NSSF (they have an employer number);
    one column, ``id``. With ``household_ids``, only those employing a member of them."""
    e = enterprise.c
    query = select(e.id).where(e.status == "active", e.nssf_employer_number.is_not(None))
    if household_ids is not None:
        employers = select(person.c.enterprise_id).where(
            person.c.household_id.in_(_ids(household_ids)))
        query = query.where(e.id.in_(employers))
    return query


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


def enterprise_row(conn: Connection, enterprise_id: int) -> RowMapping | None:
    """An enterprise's id, names, numbers, village code, sector and status (any status), or
    None when there is none: what the social security fund registers."""
    e = enterprise.c
    return conn.execute(
        select(e.id, e.name_latin, e.name_km, e.nssf_employer_number, e.village_code, e.sector,
               e.status).where(e.id == enterprise_id)
    ).mappings().first()
