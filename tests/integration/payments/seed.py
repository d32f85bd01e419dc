"""A small registry for the payments tests: IDPoor households in a rural commune of province 01
and in Phnom Penh (heads of both sexes), one household without a card, and a household whose
child turns 2 in November 2026 (the pregnant women and children programme)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.payments.service import PaymentsService
from spmis.registry.store import household, person

NOW = datetime(2026, 11, 1, tzinfo=UTC)
AUDIT = {"created_at": NOW, "created_by": "t", "updated_at": NOW, "updated_by": "t"}
RURAL = {"village_code": "01020101", "commune_code": "010201", "district_code": "0102",
         "province_code": "01"}
CITY = {"village_code": "12010101", "commune_code": "120101", "district_code": "1201",
        "province_code": "12"}
CARD = {"idpoor_level": 1, "idpoor_valid_from": date(2020, 1, 1),
        "idpoor_valid_to": date(2030, 12, 31)}
NO_CARD = {"idpoor_level": None, "idpoor_valid_from": None, "idpoor_valid_to": None}
#: household id -> (place, card, head's sex)
HOUSEHOLDS = {1: (RURAL, CARD, "F"), 2: (RURAL, CARD, "M"), 3: (RURAL, CARD, "F"),
              4: (CITY, CARD, "M"), 5: (CITY, NO_CARD, "F"), 6: (RURAL, CARD, "F")}
DAY = date(2026, 12, 6)


def _person(pid: int, hh: int, rel: str, sex: str, dob: date, **extra: Any) -> dict[str, Any]:
    return {
        "id": pid, "household_id": hh, "relationship": rel, "sex": sex, "date_of_birth": dob,
        "name_key": "x", "name_skeleton": "x", "name_km_key": "x", "disability": False,
        "pregnant": False, "expected_delivery_date": None, "employment_type": "none",
        "enterprise_id": None, "status": "active", **AUDIT, **extra,
    }


def seed_registry(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(household), [
            {"id": hid, **place, **card, "status": "active", **AUDIT}
            for hid, (place, card, _) in HOUSEHOLDS.items()])
        people = [_person(hid * 10 + 1, hid, "head", sex, date(1980, 1, 1))
                  for hid, (_, _, sex) in HOUSEHOLDS.items()]
        people.append(_person(62, 6, "child", "M", date(2024, 10, 15)))  # 2 on 15 Oct 2026
        conn.execute(insert(person), people)


def service(ctx: AppContext) -> PaymentsService:
    return PaymentsService(ctx, clock=lambda: DAY)


def staff(name: str, *roles: str) -> Actor:
    return Actor(name, frozenset(roles), "")


OFFICER = staff("officer", "programme_officer")
APPROVER = staff("approver", "approver")
FINANCE = staff("finance", "finance_officer")
FINANCE_2 = staff("finance-2", "finance_officer")
