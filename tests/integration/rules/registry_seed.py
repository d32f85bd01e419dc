"""A small registry for the rules tests: three households in a rural commune of province 01
(IDPoor cards with validity dates, NSSF members by number and by employer, a pregnancy with a due
date, a birth) and one in Phnom Penh (a card without dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from spmis.registry.store import enterprise, household, person, person_identifier

NOW = datetime(2026, 11, 1, tzinfo=UTC)
AUDIT = {"created_at": NOW, "created_by": "t", "updated_at": NOW, "updated_by": "t"}
RURAL = {"village_code": "01020101", "commune_code": "010201", "district_code": "0102",
         "province_code": "01"}
PHNOM_PENH = {"village_code": "12010101", "commune_code": "120101", "district_code": "1201",
              "province_code": "12"}


def _person(pid: int, hh: int, rel: str, sex: str, dob: date, **extra: Any) -> dict[str, Any]:
    return {
        "id": pid, "household_id": hh, "relationship": rel, "sex": sex, "date_of_birth": dob,
        "name_key": "x", "name_skeleton": "x", "name_km_key": "x", "disability": False,
        "pregnant": False, "expected_delivery_date": None, "employment_type": "none",
        "enterprise_id": None, "status": "active", **AUDIT, **extra,
    }


def seed_registry(engine: Engine) -> None:
    """Households 1-3 and their members (see the comments)."""
    ent = {"village_code": "01020101", "commune_code": "010201", "district_code": "0102",
           "province_code": "01", "status": "active", **AUDIT}
    with engine.begin() as conn:
        conn.execute(insert(enterprise), [
            {"id": 1, "name_latin": "Registered Co", "nssf_employer_number": "NSSF0000001", **ent},
            {"id": 2, "name_latin": "Unregistered Co", "nssf_employer_number": None, **ent},
        ])
        conn.execute(insert(household), [
            # card valid January - June 2026
            {"id": 1, **RURAL, "idpoor_level": 1, "idpoor_valid_from": date(2026, 1, 1),
             "idpoor_valid_to": date(2026, 6, 30), "status": "active", **AUDIT},
            {"id": 2, **RURAL, "idpoor_level": None, "idpoor_valid_from": None,
             "idpoor_valid_to": None, "status": "active", **AUDIT},
            # card valid from August 2026, no end recorded
            {"id": 3, **RURAL, "idpoor_level": 2, "idpoor_valid_from": date(2026, 8, 1),
             "idpoor_valid_to": None, "status": "active", **AUDIT},
            {"id": 4, **PHNOM_PENH, "idpoor_level": 1, "idpoor_valid_from": None,
             "idpoor_valid_to": None, "status": "active", **AUDIT},
        ])
        conn.execute(insert(person), [
            _person(11, 1, "head", "F", date(1990, 3, 3), pregnant=True,
                    expected_delivery_date=date(2026, 8, 15)),
            _person(12, 1, "child", "M", date(2026, 9, 10)),  # born in September 2026
            _person(21, 2, "head", "M", date(1985, 1, 1), employment_type="formal",
                    enterprise_id=1),  # registered employer, number not in the registry
            _person(22, 2, "spouse", "F", date(1987, 1, 1), employment_type="formal",
                    enterprise_id=2),  # employer unknown to the fund
            _person(23, 2, "sibling", "M", date(1990, 1, 1), employment_type="self_employed"),
            _person(24, 2, "child", "F", date(2025, 12, 1), employment_type="none"),
            _person(31, 3, "head", "F", date(1970, 1, 1)),
            _person(41, 4, "head", "M", date(1950, 1, 1)),
        ])
        conn.execute(insert(person_identifier), [
            {"person_id": 23, "id_type": "nssf_member", "value_hash": "h23",
             "value_clear": "N23", "created_at": NOW},  # voluntary member: a number, no employer
            {"person_id": 21, "id_type": "birth_certificate", "value_hash": "h21",
             "value_clear": "B21", "created_at": NOW},
        ])


