"""DCI records (``reg_records``) from registry rows: a person (``Member``) or a household with
its members, shaped after the DCI social extension's Person and Household objects.

What a record discloses is decided here, once:
- names, sex, birth date, disability flag, employment type, household and area codes;
- identifiers stored in clear (IDPoor card, NSSF member number, birth certificate);
- the national ID, decrypted because linking registries needs it; every decryption writes one
  ``access_log`` row (who asked, which person, why) in the same transaction;
- never the phone number (a contact detail, not needed to link; an ``idtype-value`` search by
  phone still finds the person).
Callers pass only persons that passed the consent and scope filter (``store.person_filter``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from spmis.auth import access
from spmis.crypto import FieldCipher
from spmis.interop.model import DCI_ID_CODES
from spmis.registry import queries

#: the registry's tables, read-only (``spmis.registry.queries``)
person, household, person_identifier = queries.people(), queries.households(), queries.identifiers()

DISCLOSED_IDENTIFIERS = ("national_id", "idpoor_card", "nssf_member", "birth_certificate")
_SEX = {"F": "female", "M": "male"}


@dataclass(frozen=True)
class Disclosure:
    """Who receives the records and why: written to the access log for decrypted identifiers."""

    actor: str
    reason: str
    client_address: str | None = None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _address(row: Any) -> dict[str, Any]:
    return {"@type": "Address", "address_line1": row.address_detail or "",
            "country_code": "KH", "region_code": row.province_code,
            "sub_region_code": row.district_code, "locality": row.commune_code,
            "postal_code": row.village_code}


def _identifiers(conn: Connection, cipher: FieldCipher, ids: Sequence[int],
                 disclosure: Disclosure) -> dict[int, list[dict[str, str]]]:
    rows = conn.execute(select(person_identifier.c.person_id, person_identifier.c.id_type,
                               person_identifier.c.value_enc, person_identifier.c.value_clear)
                        .where(person_identifier.c.person_id.in_(ids),
                               person_identifier.c.id_type.in_(DISCLOSED_IDENTIFIERS))
                        .order_by(person_identifier.c.person_id, person_identifier.c.id_type)).all()
    out: dict[int, list[dict[str, str]]] = {}
    decrypted: list[int] = []
    for row in rows:
        if row.value_enc is not None:
            value = cipher.decrypt(row.value_enc, row.id_type)
            decrypted.append(row.person_id)
        else:
            value = row.value_clear
        out.setdefault(row.person_id, []).append(
            {"@type": "Identifier", "identifier_type": DCI_ID_CODES[row.id_type],
             "identifier_value": value})
    if decrypted:
        access.log_reads(conn, disclosure.actor, "person",
                         dict.fromkeys(decrypted, "national_id"), disclosure.reason,
                         disclosure.client_address)
    return out


def person_records(conn: Connection, cipher: FieldCipher, ids: Sequence[int],
                   disclosure: Disclosure) -> list[dict[str, Any]]:
    """Person records for ``ids``, in that order."""
    if not ids:
        return []
    rows = conn.execute(select(
        person.c.id, person.c.household_id, person.c.relationship, person.c.given_name_latin,
        person.c.family_name_latin, person.c.given_name_km, person.c.family_name_km,
        person.c.sex, person.c.date_of_birth, person.c.dob_estimated, person.c.disability,
        person.c.employment_type, person.c.occupation, person.c.created_at, person.c.updated_at,
        household.c.address_detail, household.c.province_code, household.c.district_code,
        household.c.commune_code, household.c.village_code,
    ).select_from(person.join(household, person.c.household_id == household.c.id))
        .where(person.c.id.in_(ids))).all()
    identifiers = _identifiers(conn, cipher, ids, disclosure)
    by_id = {row.id: row for row in rows}
    out = []
    for pid in ids:
        row = by_id.get(pid)
        if row is None:
            continue
        out.append({
            "@type": "Person",
            "member_identifier": str(row.id),
            "identifier": identifiers.get(row.id, []),
            "name": {"@type": "Name", "given_name": row.given_name_latin or "",
                     "surname": row.family_name_latin or "",
                     "given_name_km": row.given_name_km or "",
                     "surname_km": row.family_name_km or ""},
            "sex": _SEX.get(row.sex, row.sex),
            "birth_date": _iso(row.date_of_birth),
            "birth_date_estimated": bool(row.dob_estimated),
            "is_disabled": bool(row.disability),
            "employment_status": row.employment_type,
            "occupation": row.occupation or "",
            "address": _address(row),
            "household_identifier": str(row.household_id),
            "relationship_head": row.relationship,
            "registration_date": _iso(row.created_at),
            "last_updated": _iso(row.updated_at),
        })
    return out


def household_records(conn: Connection, cipher: FieldCipher, household_ids: Sequence[int],
                      member_ids: dict[int, list[int]],
                      disclosure: Disclosure) -> list[dict[str, Any]]:
    """Household records for ``household_ids`` with the given (consented) members."""
    if not household_ids:
        return []
    rows = {r.id: r for r in conn.execute(select(household).where(
        household.c.id.in_(household_ids))).all()}
    everyone = [pid for hid in household_ids for pid in member_ids.get(hid, [])]
    people = {int(p["member_identifier"]): p
              for p in person_records(conn, cipher, everyone, disclosure)}
    out = []
    for hid in household_ids:
        row = rows.get(hid)
        if row is None:
            continue
        members = [people[pid] for pid in member_ids.get(hid, []) if pid in people]
        head = next((m for m in members if m["relationship_head"] == "head"), None)
        out.append({
            "@type": "Household",
            "household_identifier": str(row.id),
            "address": _address(row),
            "poverty_score": "" if row.idpoor_level is None else str(row.idpoor_level),
            "poverty_score_type": "IDPoor level (1 very poor, 2 poor)",
            "household_size": str(len(members)),
            "household_head_info": {"person": head} if head else {},
            "member_list": [{"household_member": {
                "member_identifier": m["member_identifier"],
                "demographic_info": {"person": m},
                "relationship_head": m["relationship_head"]}} for m in members],
            "registration_date": _iso(row.created_at),
            "last_update": _iso(row.updated_at),
        })
    return out
