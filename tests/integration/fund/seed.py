"""A small registry and fund for the fund's tests: two enterprises in Phnom Penh and one in
province 01, five people, the fund's officer and an employer account of the first enterprise."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.fund import schemas as s
from spmis.fund.service import FundService, RawLine
from spmis.registry.identifiers import seal
from spmis.registry.model import IdentifierType
from spmis.registry.store import enterprise, household, person, person_identifier

NOW = datetime(2026, 11, 1, tzinfo=UTC)
AUDIT = {"created_at": NOW, "created_by": "t", "updated_at": NOW, "updated_by": "t"}
CITY = {"village_code": "12010101", "commune_code": "120101", "district_code": "1201",
        "province_code": "12"}
RURAL = {"village_code": "01020101", "commune_code": "010201", "district_code": "0102",
         "province_code": "01"}
DAY = date(2026, 12, 6)
OFFICER = Actor("officer", frozenset({"fund_officer"}), "")
ADMIN = Actor("admin", frozenset({"admin"}), "")
BOSS = Actor("boss", frozenset({"employer"}), "")  # acts for the first enterprise
OTHER_BOSS = Actor("other-boss", frozenset({"employer"}), "")  # acts for the second
PEOPLE = (41, 42, 43, 44, 45)
#: their names: family and given, in Khmer and in Latin letters
NAMES = {41: ("ពេជ្រ", "ស្រីនាង", "Pich", "Sreyneang"), 42: ("ចាន់", "សុភា", "Chan", "Sophea"),
         43: ("កែវ", "បុប្ផា", "Keo", "Bopha"), 44: ("លី", "វណ្ណៈ", "Ly", "Vannak"),
         45: ("ហេង", "ចិន្តា", "Heng", "Chenda")}
#: the NSSF member numbers some of them hold
MEMBER_NUMBERS = {41: "NSSF-M-0041", 44: "NSSF-M-0044"}


def seed_registry(ctx: AppContext) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(insert(household), [{"id": 1, **CITY, "status": "active", **AUDIT}])
        conn.execute(insert(person), [
            {"id": pid, "household_id": 1, "relationship": "head" if pid == 41 else "other",
             "sex": "F" if pid % 2 else "M", "date_of_birth": date(1990, 1, 1),
             **dict(zip(("family_name_km", "given_name_km", "family_name_latin",
                         "given_name_latin"), NAMES[pid], strict=True)),
             "name_key": "x", "name_skeleton": "x", "name_km_key": "x", "status": "active",
             **AUDIT} for pid in PEOPLE])
        conn.execute(insert(person_identifier), [
            {"person_id": pid, **vars(seal(ctx.cipher, IdentifierType.NSSF_MEMBER, number)),
             "created_at": NOW} for pid, number in MEMBER_NUMBERS.items()])
        conn.execute(insert(enterprise), [
            {"id": 1, "name_latin": "Angkor Garments", **CITY, "status": "active", **AUDIT},
            {"id": 2, "name_latin": "Mekong Bricks", **CITY, "status": "active", **AUDIT},
            {"id": 3, "name_latin": "Kampot Pepper", **RURAL, "status": "active", **AUDIT},
        ])


def service(ctx: AppContext, day: date = DAY) -> FundService:
    return FundService(ctx, clock=lambda: day)


def register(fund: FundService, enterprise_id: int, number: str,
             first_hire: date = date(2022, 1, 3), registered_on: date = date(2022, 1, 20)
             ) -> int:
    out = fund.register_employer(OFFICER, s.EmployerIn(
        enterprise_id=enterprise_id, employer_number=number, sector="manufacturing",
        address="Street 271, Phnom Penh", contact_name="Sok Dara",
        contact_email=f"hr{enterprise_id}@example.org", first_hire_date=first_hire,
        registered_on=registered_on))
    return int(out["id"])


def hire(fund: FundService, actor: Actor, employer_id: int, person_id: int,
         start: date = date(2022, 1, 3), **extra: Any) -> int:
    out = fund.affiliate(actor, s.AffiliationIn(
        person_id=person_id, employer_id=employer_id, start_date=start,
        declared_on=extra.pop("declared_on", start), position="sewer", wage="800000", **extra))
    return int(out["id"])


def lines(*items: tuple[int, str] | tuple[int, str, str]) -> list[RawLine]:
    return [RawLine(i, x[0], x[1], x[2] if len(x) > 2 else "KHR")  # type: ignore[misc]
            for i, x in enumerate(items)]


def fund_with_two_employers(ctx: AppContext) -> tuple[FundService, int, int]:
    """Enterprises 1 and 2 registered; 41, 42, 43 work for the first, 42 also for the second;
    ``boss`` acts for the first, ``other-boss`` for the second."""
    seed_registry(ctx)
    fund = service(ctx)
    e1, e2 = register(fund, 1, "NSSF-0001"), register(fund, 2, "NSSF-0002")
    fund.link_user(OFFICER, e1, "boss")
    fund.link_user(OFFICER, e2, "other-boss")
    for pid in (41, 42, 43):
        hire(fund, BOSS, e1, pid)
    hire(fund, OTHER_BOSS, e2, 42)
    return fund, e1, e2
