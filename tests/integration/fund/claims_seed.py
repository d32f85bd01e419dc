"""A small fund for the claims and statement tests: registry people (through the registry's
service), two employers, affiliations, and submitted declarations whose contributions are those
the rules engine computes (``spmis.rules.contributions``), written as the fund's run writes
them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert

from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import audit_values
from spmis.fund import store
from spmis.rules.contributions import contributions
from tests.integration.linkage_registry.helpers import add_household, member

VILLAGE = "12010101"


@dataclass
class Fund:
    employers: list[int]
    worker: int  # works for both employers
    mother: int  # works for employer 0
    elder: int  # 59 years old on the claim day
    other_worker: int  # employer 1 only


def _employer(conn: Any, n: int) -> int:
    return int(conn.execute(insert(store.fund_employer).values(
        enterprise_id=n, employer_number=f"E{n:05d}", name=f"Factory {n}", sector="garment",
        village_code=VILLAGE, address="street 1", contact_name="Sok",
        first_hire_date=date(2023, 1, 1), registered_on=date(2023, 1, 10),
        registration_due=date(2023, 1, 31), **audit_values("seed"),
    ).returning(store.fund_employer.c.id)).scalar_one())


def _affiliate(conn: Any, person: int, employer: int) -> int:
    return int(conn.execute(insert(store.fund_affiliation).values(
        person_id=person, employer_id=employer, kind="employee", scheme="formal",
        start_date=date(2023, 1, 1), declared_on=date(2023, 1, 2),
        declaration_due=date(2023, 1, 4), wage=1_000_000, currency="KHR",
        **audit_values("seed")).returning(store.fund_affiliation.c.id)).scalar_one())


def declare(conn: Any, employer: int, period: str, wages: dict[int, tuple[int, int]]) -> None:
    """A submitted declaration of ``employer`` for ``period`` (person -> (affiliation, wage))
    and its contributions as the rules engine computes them."""
    decl = int(conn.execute(insert(store.fund_declaration).values(
        employer_id=employer, period=period, sequence=1, state="submitted", source="api",
        content_hash=f"{employer}-{period}", workers=len(wages),
        wage_total=sum(w for _, w in wages.values()), submitted_at=utcnow(),
        submitted_by="seed", **audit_values("seed"),
    ).returning(store.fund_declaration.c.id)).scalar_one())
    people = list(wages)
    amounts = contributions(period, [wages[p][1] for p in people])
    for i, person in enumerate(people):
        affiliation, wage = wages[person]
        conn.execute(insert(store.fund_declaration_line).values(
            declaration_id=decl, person_id=person, affiliation_id=affiliation, wage=wage,
            currency="KHR", wage_khr=wage))
        conn.execute(insert(store.fund_contribution).values(
            period=period, employer_id=employer, person_id=person, declaration_id=decl,
            run_id=1, wage_khr=wage, **{k: int(v[i]) for k, v in amounts.items()}))


def months(first: str, count: int) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    out = []
    for _ in range(count):
        out.append(f"{year}-{month:02d}")
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return out


def seed(ctx: AppContext, employer_user: str | None = None) -> Fund:
    """Six months of 2026 (January to June) declared for everyone; the worker also at the second
    employer from April, with another wage."""
    worker, mother, elder, other = add_household(
        ctx, member("head", family_name_km="សុខ", given_name_km="ដារា",
                    date_of_birth="1985-02-01", sex="M"),
        member("spouse", given_name_latin="Srey", date_of_birth="1990-06-01"),
        member("parent", given_name_latin="Chan", date_of_birth="1967-03-15", sex="M"),
        member("child", given_name_latin="Vanna", date_of_birth="2000-01-01", sex="M"))
    with ctx.engine.begin() as conn:
        e0, e1 = _employer(conn, 1), _employer(conn, 2)
        a = {p: _affiliate(conn, p, e0) for p in (worker, mother, elder)}
        b = {p: _affiliate(conn, p, e1) for p in (worker, other)}
        for period in months("2026-01", 6):
            declare(conn, e0, period, {worker: (a[worker], 900_000),
                                       mother: (a[mother], 1_200_000),
                                       elder: (a[elder], 600_000)})
            wages = {other: (b[other], 700_000)}
            if period >= "2026-04":
                wages[worker] = (b[worker], 500_000)
            declare(conn, e1, period, wages)
        if employer_user:
            conn.execute(insert(store.fund_employer_user).values(
                username=employer_user, employer_id=e1, created_at=utcnow(), created_by="seed"))
    return Fund([e0, e1], worker, mother, elder, other)


def seed_pensioners(ctx: AppContext, village: str = VILLAGE) -> tuple[int, int, int]:
    """A member of 66 and one of 64 with 24 months of pension contributions (2023-2024), and
    the spouse of the second (a survivor)."""
    old, other, spouse = add_household(
        ctx, member("head", given_name_latin="Sok", date_of_birth="1960-01-01", sex="M"),
        member("parent", given_name_latin="Chan", date_of_birth="1962-05-10", sex="F"),
        member("spouse", given_name_latin="Mealea", date_of_birth="1965-02-01", sex="F"),
        village=village)
    with ctx.engine.begin() as conn:
        employer = _employer(conn, 7)
        aff = {p: _affiliate(conn, p, employer) for p in (old, other)}
        for period in months("2023-01", 24):
            declare(conn, employer, period, {old: (aff[old], 1_000_000),
                                             other: (aff[other], 800_000)})
    return old, other, spouse
