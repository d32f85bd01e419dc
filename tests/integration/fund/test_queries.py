"""The fund's read-only queries for other capabilities, on both engines: a member's months across
two employers, their affiliations, months of pension contributions, an employer account's
enterprise and the members' ids."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import audit_values
from spmis.fund import queries, store


def _employer(conn, n: int) -> int:  # type: ignore[no-untyped-def]
    return int(conn.execute(insert(store.fund_employer).values(
        enterprise_id=n, employer_number=f"E{n}", name=f"Factory {n}", sector="garment",
        village_code="12010101", address="street 1", contact_name="Sok",
        first_hire_date=date(2026, 1, 1), registered_on=date(2026, 1, 10),
        registration_due=date(2026, 1, 31), **audit_values("t"),
    ).returning(store.fund_employer.c.id)).scalar_one())


def test_member_queries_across_two_employers(ctx: AppContext) -> None:
    with ctx.engine.begin() as conn:
        e1, e2 = _employer(conn, 1), _employer(conn, 2)
        for e in (e1, e2):
            conn.execute(insert(store.fund_affiliation).values(
                person_id=42, employer_id=e, kind="employee", scheme="formal",
                start_date=date(2026, 1, 1), declared_on=date(2026, 1, 2),
                declaration_due=date(2026, 1, 4), wage=500_000, currency="KHR",
                **audit_values("t")))
        for period, e, pension in (("2026-10", e1, 8_000), ("2026-10", e2, 8_000),
                                   ("2026-11", e1, 0)):
            conn.execute(insert(store.fund_contribution).values(
                period=period, employer_id=e, person_id=42, declaration_id=1, run_id=1,
                wage_khr=400_000, base_occupational=400_000, base_pension=400_000,
                occupational_risk=3_200, health_care_employer=10_400, health_care_worker=0,
                pension_employer=pension, pension_worker=pension,
                total=13_600 + 2 * pension))
        conn.execute(insert(store.fund_employer_user).values(
            username="boss", employer_id=e2, created_at=utcnow(), created_by="t"))
    with ctx.engine.connect() as conn:
        months = queries.member_months(conn, 42)
        assert [(r["period"], r["employer_name"]) for r in months] == [
            ("2026-10", "Factory 1"), ("2026-10", "Factory 2"), ("2026-11", "Factory 1")]
        assert len(queries.member_affiliations(conn, 42)) == 2
        assert queries.contribution_months(conn, 42) == 1  # two employers, one month
        assert queries.contribution_months(conn, 42, until="2026-09") == 0
        assert queries.employer_of_user(conn, "boss") == e2
        assert queries.employer_of_user(conn, "nobody") is None
        assert conn.execute(queries.fund_members()).scalars().all() == [42]
        for view in (queries.employers(), queries.declarations(), queries.declaration_lines(),
                     queries.contributions(), queries.invoices(), queries.affiliations()):
            conn.execute(select(view).limit(1)).all()
