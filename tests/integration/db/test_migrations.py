"""Migrations run up from empty, down to nothing and up again, on SQLite and PostgreSQL, and
leave the schema exactly as the code's table definitions describe it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from spmis.db.engine import make_engine
from spmis.db.migrate import (
    current_revision,
    downgrade,
    head_revision,
    include_name,
    upgrade,
)
from spmis.db.tables import metadata


def test_up_down_up_from_empty(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert current_revision(engine) is None
        upgrade(empty_db_url)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert {"household", "person", "person_identifier", "enterprise", "change_log"} <= tables
        downgrade(empty_db_url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(empty_db_url)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_code(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, metadata)
        assert diff == [], f"a table change has no migration: {diff}"
    finally:
        engine.dispose()
