"""Run Alembic migrations from Python (CLI, tests, health check) without an alembic.ini file."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from spmis.db.engine import normalise_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


#: PostgreSQL partitions of ``fund_contribution`` (one per month and the DEFAULT one, migration
#: 0022_fund_partitions): made by the month's run, not by the code's tables
_PARTITION = re.compile(r"^fund_contribution_(default|\d{4}_\d{2})$")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Whether an object of the database belongs to SPMIS's schema: the queue library's tables
    (``procrastinate_*``, created by migration 0010_jobs on PostgreSQL) and the partitions of
    ``fund_contribution`` are left out of autogenerate and of the check that the migrated
    schema equals the code's tables."""
    return not (type_ == "table" and ((name or "").startswith("procrastinate_")
                                      or _PARTITION.match(name or "") is not None))


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    """The newest migration shipped with this code."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None when it was never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
