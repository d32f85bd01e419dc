"""The database a test gets from ``db_url`` (a copy of one migrated once per test session: see
tests/conftest.py) is the database the migrations make: the same tables, columns, indexes,
constraints, rows and, on PostgreSQL, functions, triggers and types; and it is the test's own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, MetaData, inspect, select, text

from spmis.db.engine import is_postgres, make_engine
from spmis.db.migrate import upgrade

#: what PostgreSQL's catalogue says about the objects of the current schema besides tables
PG_OBJECTS = {
    "functions": "SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prosrc "
                 "FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace",
    "triggers": "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal",
    "types": "SELECT t.typname, t.typtype FROM pg_type t "
             "WHERE t.typnamespace = current_schema()::regnamespace",
    "sequences": "SELECT sequencename, last_value, start_value, increment_by FROM pg_sequences "
                 "WHERE schemaname = current_schema()",
}


def _plain(value: Any) -> str:
    """``value`` as text, expressions included (a reflected index on SQLite holds some)."""
    if isinstance(value, dict):
        return str(sorted((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return str([_plain(v) for v in value])
    return str(value)


def _describe(engine: Engine) -> dict[str, Any]:
    inspector = inspect(engine)
    found: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        found[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                        for c in inspector.get_columns(table)],
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted(map(_plain, inspector.get_foreign_keys(table))),
            "indexes": sorted(map(_plain, inspector.get_indexes(table))),
            "unique": sorted(map(_plain, inspector.get_unique_constraints(table))),
            "checks": sorted(map(_plain, inspector.get_check_constraints(table))),
        }
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for name, table in meta.tables.items():
            found[name]["rows"] = sorted(map(repr, conn.execute(select(table)).all()))
        if is_postgres(engine):
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            for kind, sql in PG_OBJECTS.items():  # (a trigger's definition names the schema)
                found[kind] = sorted(repr(row).replace(schema, "<schema>")
                                     for row in conn.execute(text(sql)).all())
    return found


def test_a_tests_database_is_what_the_migrations_make(db_url: str, empty_db_url: str) -> None:
    upgrade(empty_db_url)
    copy, migrated = make_engine(db_url), make_engine(empty_db_url)
    try:
        expected = _describe(migrated)
        assert "household" in expected and expected["alembic_version"]["rows"]
        assert not is_postgres(migrated) or (expected["functions"] and expected["triggers"])
        assert _describe(copy) == expected
    finally:
        copy.dispose()
        migrated.dispose()


def test_each_test_gets_its_own_copy(db_url: str) -> None:
    """Run twice (two engines) and, in a session, after other tests: what one test writes is
    never seen by the next (the row written here is the only one)."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM household")).scalar_one() == 0
            conn.execute(text(
                "INSERT INTO household (village_code, commune_code, district_code, "
                "province_code, status, version, created_at, created_by, updated_at, "
                "updated_by) VALUES ('12010101', '120101', '1201', '12', 'active', 1, "
                "CURRENT_TIMESTAMP, 'test', CURRENT_TIMESTAMP, 'test')"))
    finally:
        engine.dispose()


def test_a_second_copy_is_empty_too(db_url: str) -> None:
    test_each_test_gets_its_own_copy(db_url)
