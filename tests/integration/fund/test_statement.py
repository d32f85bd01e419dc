"""A member's statement on both engines: it equals the sum of the declarations across employers,
its PDF renders Khmer (page 1 rasterised, not blank, shaped), its QR code's verification page
tells only the totals, health care coverage on a day, and the coverage gap."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update

from spmis.context import AppContext
from spmis.fund import store
from spmis.fund.statements import SCHEMES
from spmis.registry.store import person
from tests.integration.fund.claims_seed import seed
from tests.integration.linkage_registry.helpers import add_household, member
from tests.pdf_check import assert_khmer_page


def test_the_statement_equals_the_sum_of_the_declarations(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    fund = seed(ctx)
    r = auth_client("fund_officer").get(f"/api/v1/fund/members/{fund.worker}/statement")
    assert r.status_code == 200, r.text
    s = r.json()
    d, line = store.fund_declaration, store.fund_declaration_line
    with ctx.engine.connect() as conn:
        declared = conn.execute(select(func.sum(line.c.wage_khr), func.count()).join(
            d, d.c.id == line.c.declaration_id).where(
            line.c.person_id == fund.worker, d.c.state == "submitted")).one()
        c = store.fund_contribution
        sums = conn.execute(select(*[func.sum(c.c[k]) for k in SCHEMES]).where(
            c.c.person_id == fund.worker)).one()
    assert s["totals"]["wage_khr"] == declared[0] == 6 * 900_000 + 3 * 500_000
    assert len(s["lines"]) == declared[1] == 9  # two employers from April
    assert s["months"] == 6
    assert [s["totals"][k] for k in SCHEMES] == [int(v) for v in sums]
    for k in SCHEMES:
        assert s["totals"][k] == sum(x[k] for x in s["lines"])
    assert s["totals"]["total"] == sum(s["totals"][k] for k in (
        "occupational_risk", "health_care_employer", "health_care_worker", "pension_employer",
        "pension_worker"))
    assert s["verification_code"].startswith(f"{fund.worker}-2026-06-")


def test_the_pdf_statement_renders_khmer_and_verifies(  # type: ignore[no-untyped-def]
        ctx: AppContext, auth_client, client, tmp_path) -> None:
    fund = seed(ctx)
    officer = auth_client("fund_officer")
    r = officer.get(f"/api/v1/fund/members/{fund.worker}/statement?format=pdf&lang=km")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    image = assert_khmer_page(r.content)  # not blank; Khmer in Noto Sans Khmer, shaped
    image.save(tmp_path / "statement-km.png")
    english = officer.get(f"/api/v1/fund/members/{fund.worker}/statement?format=pdf&lang=en")
    assert english.status_code == 200 and english.content.startswith(b"%PDF-")
    code = officer.get(f"/api/v1/fund/members/{fund.worker}/statement").json()[
        "verification_code"]
    found = client.get(f"/api/v1/fund/statements/verify/{code}")  # public: no login
    assert found.status_code == 200, found.text
    assert set(found.json()) == {"first_period", "last_period", "months", "total", "currency",
                                 "employers"}
    assert (found.json()["months"], found.json()["employers"]) == (6, 2)
    tampered = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert client.get(f"/api/v1/fund/statements/verify/{tampered}").status_code == 404
    page = client.get(f"/verify/statement/{code}?lang=en")
    assert page.status_code == 200 and "This statement is genuine" in page.text
    assert "Sok" not in page.text and "Dara" not in page.text
    # a later correction changes the totals: the old paper no longer verifies
    with ctx.engine.begin() as conn:
        conn.execute(update(store.fund_contribution).where(
            store.fund_contribution.c.person_id == fund.worker,
            store.fund_contribution.c.period == "2026-06").values(
            total=store.fund_contribution.c.total + 1))
    assert client.get(f"/api/v1/fund/statements/verify/{code}").status_code == 404


def test_health_care_coverage_on_a_day(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    fund = seed(ctx)
    officer = auth_client("fund_officer")
    base = f"/api/v1/fund/members/{fund.worker}/coverage"
    now = officer.get(f"{base}?on=2026-07-01").json()
    assert (now["covered"], now["card_status"], now["months_with_contribution"]) == (
        True, "active", 3)
    later = officer.get(f"{base}?on=2027-03-01").json()
    assert (later["covered"], later["card_status"]) == (False, "lapsed")
    stranger = add_household(ctx, member())[0]
    none = officer.get(f"/api/v1/fund/members/{stranger}/coverage?on=2026-07-01").json()
    assert none["card_status"] == "none"
    assert officer.get(f"{base}?on=not-a-day").status_code == 422


def test_the_coverage_gap_counts_working_non_members(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    vendors = add_household(ctx, *[member("head" if i == 0 else "other_relative",
                                          sex="F" if i < 12 else "M") for i in range(23)])
    drivers = add_household(ctx, *[member("head" if i == 0 else "other_relative", sex="M")
                                   for i in range(3)], village="01020101")
    with ctx.engine.begin() as conn:
        conn.execute(update(person).where(person.c.id.in_(vendors)).values(
            employment_type="informal", occupation="vendor"))
        conn.execute(update(person).where(person.c.id.in_(drivers)).values(
            employment_type="self_employed", occupation="tuk-tuk driver"))
        # a member recorded as formal is not in the gap
        members = conn.execute(select(store.fund_affiliation.c.person_id)).scalars().all()
        conn.execute(update(person).where(person.c.id.in_(members)).values(
            employment_type="formal"))
    gap = auth_client("fund_officer").get("/api/v1/fund/coverage-gap").json()
    rows = {r["key"]: r for r in gap["by_province"]}
    truth = {"12": {"F": 12, "M": 11, "total": 23}, "01": {"F": 0, "M": 3, "total": 3},
             None: {"F": 12, "M": 14, "total": 26}}
    assert set(rows) == set(truth)
    for key, cells in truth.items():
        for col, value in cells.items():
            shown = rows[key][col]
            assert shown in (value, None), (key, col)  # published values are true
            if value < gap["threshold"]:
                assert shown is None, (key, col)  # small cells are withheld
    assert rows["01"]["M"] is None  # 3 drivers in Banteay Meanchey
    assert any(rows[k][c] is not None for k in truth for c in ("F", "M", "total"))
    assert {r["key"] for r in gap["by_occupation"]} == {"vendor", "tuk-tuk driver", None}
    district = auth_client("fund_officer", scope="01").get("/api/v1/fund/coverage-gap").json()
    assert [r["key"] for r in district["by_province"]] == ["01", None]
    assert auth_client("registrar").get("/api/v1/fund/coverage-gap").status_code == 403


def test_statement_of_someone_outside_the_area(ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    fund = seed(ctx)
    r = auth_client("fund_officer", scope="01").get(f"/api/v1/fund/members/{fund.worker}/statement")
    assert r.status_code == 404
    assert auth_client("registrar").get(
        f"/api/v1/fund/members/{fund.worker}/statement").status_code == 403
    assert date.today()  # the statement's issue day is today


def test_through_the_funds_own_month_with_a_correction(ctx: AppContext) -> None:
    """The statement of a worker with two employers equals what their latest submitted
    declarations said, month by month, after the fund's own run (FundService), a correcting
    declaration included."""
    from spmis.auth.model import Actor
    from spmis.fund.statements import StatementService
    from tests.integration.fund.seed import (
        BOSS,
        OFFICER,
        OTHER_BOSS,
        fund_with_two_employers,
        lines,
    )

    fund, e1, e2 = fund_with_two_employers(ctx)
    for period, wage in (("2026-10", "1,000,000"), ("2026-11", "1,100,000")):
        d = fund.declare(BOSS, e1, period, lines((41, "500000"), (42, wage), (43, "700000")))
        fund.submit(BOSS, d["declaration_id"])
        d = fund.declare(OTHER_BOSS, e2, period, lines((42, "300000")))
        fund.submit(OTHER_BOSS, d["declaration_id"])
        fund.run_month(OFFICER, period)
    fix = fund.declare(BOSS, e1, "2026-11", lines((41, "500000"), (42, "1,250,000"),
                                                   (43, "700000")), correction=True)
    fund.submit(BOSS, fix["declaration_id"])
    fund.run_month(OFFICER, "2026-11")
    s = StatementService(ctx).statement(Actor("o", frozenset({"fund_officer"})), 42)
    d, line = store.fund_declaration, store.fund_declaration_line
    latest = select(d.c.employer_id, d.c.period, func.max(d.c.sequence).label("seq")).where(
        d.c.state == "submitted").group_by(d.c.employer_id, d.c.period).subquery()
    with ctx.engine.connect() as conn:
        same = ((latest.c.employer_id == d.c.employer_id) & (latest.c.period == d.c.period)
                & (latest.c.seq == d.c.sequence))
        declared = conn.execute(
            select(d.c.period, d.c.employer_id, line.c.wage_khr)
            .join(line, line.c.declaration_id == d.c.id).join(latest, same)
            .where(line.c.person_id == 42).order_by(d.c.period, d.c.employer_id)).all()
    assert [(x["period"], x["wage_khr"]) for x in s["lines"]] == [
        (p, int(w)) for p, _, w in declared]
    assert s["totals"]["wage_khr"] == sum(int(w) for _, _, w in declared) == (
        1_000_000 + 300_000 + 1_250_000 + 300_000)
    assert s["months"] == 2
