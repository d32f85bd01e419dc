"""PostgreSQL serves the registry's searches from its indexes: area and scope (prefix tests on the
village code, whose column has collation "C"), and look-ups by keyed hash (the unique owner
index for every type but phone, the phone index for phones). The plans are those of the
statements the service sends, with its parameters, on tables with enough rows for the planner
to prefer an index (migration 0006)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text

from spmis.auth.model import SYSTEM, Actor
from spmis.context import AppContext
from spmis.interop.model import Cond
from spmis.interop.store import compile_condition
from spmis.registry import queries
from spmis.registry import schemas as s
from spmis.registry.service import RegistryService
from tests.conftest import MigratedTemplates, make_settings, migrated_database

pytestmark = pytest.mark.postgres

HOUSEHOLDS = 20_000


@pytest.fixture
def pg_ctx(tmp_path: Path, migrated_templates: MigratedTemplates) -> Iterator[AppContext]:
    with migrated_database("postgres", tmp_path, migrated_templates) as url:
        context = AppContext.create(make_settings(url, tmp_path / "var"))
        try:
            yield context
        finally:
            context.engine.dispose()


def _fill(ctx: AppContext) -> tuple[str, str]:
    """HOUSEHOLDS households over 400 villages, one person each with a national ID and a phone
    (set-based SQL: the point is the plans, not the rules). Returns a commune and a village."""
    every = sorted(c for c, u in ctx.gazetteer.units.items() if u.level == "village")
    villages = every[:: len(every) // 400][:400]  # spread over the country
    nid = ctx.cipher.blind_index("123456789", "national_id")
    phone = ctx.cipher.blind_index("+85512345678", "phone")
    with ctx.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO household (village_code, commune_code, district_code, province_code, "
            "status, version, created_at, created_by, updated_at, updated_by) "
            "SELECT v, left(v, 6), left(v, 4), left(v, 2), 'active', 1, now(), 'test', now(), "
            "'test' FROM (SELECT (CAST(:villages AS text[]))[1 + i % 400] AS v "
            "FROM generate_series(1, :n) i) x"),
            {"villages": villages, "n": HOUSEHOLDS})
        conn.execute(text(
            "INSERT INTO person (household_id, relationship, family_name_latin, "
            "given_name_latin, name_key, name_skeleton, name_km_key, sex, date_of_birth, "
            "created_at, created_by, updated_at, updated_by) "
            "SELECT id, 'head', 'Sok', 'Dara', 'sokdara', 'skdr', '', 'F', DATE '1980-01-01', "
            "now(), 'test', now(), 'test' FROM household"))
        conn.execute(text(
            "INSERT INTO person_identifier (person_id, id_type, value_hash, value_enc, "
            "created_at) "
            "SELECT id, 'national_id', CASE WHEN id = 1 THEN :nid ELSE md5(id::text) || "
            "md5(id::text) END, :nid_enc, now() FROM person UNION ALL "
            "SELECT id, 'phone', CASE WHEN id < 3 THEN :phone ELSE md5((-id)::text) || "
            "md5(id::text) END, :phone_enc, now() FROM person"),
            {"nid": nid, "phone": phone,
             "nid_enc": ctx.cipher.encrypt("123456789", "national_id"),
             "phone_enc": ctx.cipher.encrypt("+85512345678", "phone")})
        conn.execute(text("ANALYZE household; ANALYZE person; ANALYZE person_identifier"))
    commune = villages[0][:6]
    return commune, villages[0]


def _plans(ctx: AppContext, call: Any) -> list[str]:
    """Run ``call`` and return the EXPLAIN of every SELECT it sent (same SQL, same
    parameters, same driver)."""
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(ctx.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(ctx.engine, "before_cursor_execute", record)
    plans = []
    with ctx.engine.connect() as conn:
        for statement, parameters in sent:
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
            plans.append("\n".join(rows))
    return plans


def _all_plans(plans: list[str], table: str, index: str) -> str:
    joined = "\n\n".join(plans)
    assert f"Seq Scan on {table}" not in joined, joined
    assert index in joined, joined
    return joined


def test_area_and_scope_searches_use_the_village_code_index(pg_ctx: AppContext) -> None:
    commune, village = _fill(pg_ctx)
    service = RegistryService(pg_ctx)
    registrar = Actor("registrar", frozenset({"registrar"}), commune)
    cases = [
        lambda: service.search_persons(SYSTEM, area=commune),
        lambda: service.search_persons(SYSTEM, area=commune[:4]),
        lambda: service.search_persons(registrar),
        lambda: service.search_households(SYSTEM, area=village),
        lambda: service.search_households(registrar, area=village),
    ]
    for call in cases:
        page = call()
        assert page.total and page.total > 0
        plans = [p for p in _plans(pg_ctx, call) if "household" in p]
        assert plans
        _all_plans([p for p in plans if "count(*)" in p or "Aggregate" in p] or plans,
                   "household", "ix_household_village_code")


def test_identifier_lookups_use_the_partial_indexes(pg_ctx: AppContext) -> None:
    _fill(pg_ctx)
    service = RegistryService(pg_ctx)

    def by(kind: s.IdentifierType, value: str) -> Any:
        return lambda: service.search_persons(SYSTEM, identifier_type=kind, identifier=value)

    assert by(s.IdentifierType.NATIONAL_ID, "123456789")().total == 1
    assert by(s.IdentifierType.PHONE, "012 345 678")().total == 2
    for _ in range(6):  # past psycopg's prepare threshold: a cached plan must still use them
        _all_plans(_plans(pg_ctx, by(s.IdentifierType.NATIONAL_ID, "123456789")),
                   "person_identifier", "uq_person_identifier_owner")
        _all_plans(_plans(pg_ctx, by(s.IdentifierType.PHONE, "012 345 678")),
                   "person_identifier", "ix_person_identifier_phone")


def test_dci_ranges_on_derived_codes_use_the_village_code_index(pg_ctx: AppContext) -> None:
    """A DCI ``province_code lt 02`` (and the like) is a range on the indexed village code, not
    a scan of the derived column, which has no index."""
    _fill(pg_ctx)
    cases = [("province_code", "lt", "02"), ("province_code", "le", "01"),
             ("district_code", "gt", "2400"), ("commune_code", "ge", "240000")]
    with pg_ctx.engine.connect() as conn:
        for attr, op, code in cases:
            view = queries.households()
            query = select(view.c.id).where(compile_condition(Cond(attr, op, code), {}))
            assert conn.execute(query).first() is not None, (attr, op, code)
            sql = str(query.compile(conn.engine, compile_kwargs={"literal_binds": True}))
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
            assert "Seq Scan on household" not in plan, plan
            assert "ix_household_village_code" in plan, plan


def test_collation_and_partial_indexes_as_the_code_declares(pg_ctx: AppContext) -> None:
    """What the schema-drift check cannot see: a column's collation, an index's WHERE."""
    with pg_ctx.engine.connect() as conn:
        collation = conn.execute(text(
            "SELECT collation_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = 'household' AND column_name = 'village_code'"
        )).scalar_one()
        indexes = dict(conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN ('household', 'person', 'person_identifier')")).all())
    assert collation == "C"
    assert "WHERE (enterprise_id IS NOT NULL)" in indexes["ix_person_enterprise_id"]
    assert "WHERE ((id_type)::text = 'phone'::text)" in indexes["ix_person_identifier_phone"]
    assert "WHERE ((id_type)::text <> 'phone'::text)" in indexes["uq_person_identifier_owner"]
    assert not {"ix_household_commune_code", "ix_household_district_code",
                "ix_household_province_code", "ix_person_identifier_lookup",
                "ix_person_name_key"} & set(indexes)
