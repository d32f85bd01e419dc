"""The test fixtures' recycling of PostgreSQL schemas (tests/conftest.py): a schema given back
after a test is, for the next test, as the template made it (no row of the test left, the
template's rows and sequence positions back, triggers on); one whose catalogue the test changed
is dropped, never given out again."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from spmis.db.engine import normalise_url
from tests.conftest import MigratedTemplates, _libpq_url, _postgres_schema_url

pytestmark = pytest.mark.postgres


def _state(schema: str) -> tuple[int, int, str, int, int]:
    with psycopg.connect(_libpq_url(), autocommit=True) as conn:
        rows = conn.execute(f"SELECT count(*) FROM {schema}.household").fetchone()
        version = conn.execute(f"SELECT count(*) FROM {schema}.alembic_version").fetchone()
        sequence = conn.execute(
            f"SELECT last_value::text || is_called::text FROM {schema}.household_id_seq"
        ).fetchone()
        schemas = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s",
                               (schema,)).fetchone()
        audit = conn.execute(f"SELECT count(*) FROM {schema}.audit_entry").fetchone()
    assert rows and version and sequence and schemas and audit
    return int(rows[0]), int(version[0]), str(sequence[0]), int(schemas[0]), int(audit[0])


def _write(schema: str, sql: str) -> None:
    with psycopg.connect(_libpq_url(), autocommit=True) as conn:
        conn.execute(sql.replace("S.", f"{schema}."))


HOUSEHOLD = ("INSERT INTO S.household (village_code, commune_code, district_code, province_code,"
             " status, version, created_at, created_by, updated_at, updated_by) VALUES"
             " ('12010101', '120101', '1201', '12', 'active', 1, now(), 't', now(), 't')")

AUDIT = ("INSERT INTO S.audit_entry (seq, at, day, actor, entity_type, entity_id, version,"
         " action, payload, hash) VALUES (1, now(), '2026-12-06', 't', 'x', 1, 1, 'x', '{}', 'h')")


def test_a_schema_comes_back_as_the_template_made_it(
        migrated_templates: MigratedTemplates) -> None:
    with migrated_templates.postgres_schema() as first:
        fresh = _state(first)
        assert fresh[0] == 0 and fresh[1] == 1
        _write(first, HOUSEHOLD)
        _write(first, HOUSEHOLD)
        _write(first, AUDIT)
        assert _state(first)[0] == 2 and _state(first)[4] == 1
    assert first not in migrated_templates.refused, migrated_templates.refused[first]
    with migrated_templates.postgres_schema() as second:
        assert second == first  # recycled
        assert _state(second) == fresh
        # the append-only trigger is on again: the template's refusal still holds
        _write(second, AUDIT)
        with pytest.raises(psycopg.Error, match="append-only"):
            _write(second, "DELETE FROM S.audit_entry")


def test_a_schema_whose_catalogue_changed_is_dropped(
        migrated_templates: MigratedTemplates) -> None:
    with migrated_templates.postgres_schema() as schema:
        _write(schema, "ALTER TABLE S.household DISABLE TRIGGER ALL")
    assert _state_gone(schema) and migrated_templates.refused[schema] == "its catalogue changed"
    with migrated_templates.postgres_schema() as other:
        assert other != schema
        _write(other, "CREATE TABLE S.left_behind (x integer)")
    assert _state_gone(other)


def _state_gone(schema: str) -> bool:
    with psycopg.connect(_libpq_url(), autocommit=True) as conn:
        found = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s",
                             (schema,)).fetchone()
    return found is not None and found[0] == 0


def test_a_connection_left_open_cannot_write_into_the_next_test(
        migrated_templates: MigratedTemplates) -> None:
    with migrated_templates.postgres_schema() as schema:
        left = create_engine(normalise_url(_postgres_schema_url(schema)))
        conn = left.connect()
        conn.execute(text("SELECT 1"))
    try:
        with pytest.raises(OperationalError):
            conn.execute(text(HOUSEHOLD.replace("S.", "")))
    finally:
        conn.invalidate()
        left.dispose()
