"""PostgreSQL only: ``fund_contribution`` is partitioned by LIST (period), one partition per
month and a DEFAULT partition for the rest (migration 0022).

A month's first run (no partition and no row of the month yet) loads the month into a new plain
table without indexes, then builds its primary key and index and attaches it as the month's
partition: about 2.6x faster than writing millions of rows through the indexes. A CHECK on the
period, made while the table is empty, lets the attachment skip scanning it. Everything happens
in the run's transaction: a failed or killed run leaves no table behind. A later run of the
month (corrections) writes through the parent table into the month's partition.

Two runs of one month wait for each other (``lock_month``), so only one creates the partition.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

__all__ = ["attach", "lock_month", "new_month"]

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: server memory for building the month's indexes (the server's default is often 64 MB)
INDEX_MEMORY = "256MB"


def lock_month(conn: Connection, period: str) -> None:
    """Wait for any other run of this month (in this schema) to end; held until the end of
    the transaction."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema() "
                      "|| ' fund_contribution ' || :p))"), {"p": period})


def new_month(conn: Connection, period: str) -> str | None:
    """A new empty table, without indexes, to load the month into, when the table is
    partitioned and the month has neither a partition nor a row; else None (write through the
    parent table)."""
    if not _PERIOD.match(period):
        return None
    name = f"fund_contribution_{period.replace('-', '_')}"
    fresh = conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table "
        "               WHERE partrelid = to_regclass('fund_contribution')) "
        "AND to_regclass(:name) IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM fund_contribution WHERE period = :p)"),
        {"name": name, "p": period}).scalar_one()
    if not fresh:
        return None
    conn.execute(text(f"CREATE TABLE {name} (LIKE fund_contribution INCLUDING DEFAULTS)"))
    conn.execute(text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_month "
                      f"CHECK (period = '{period}')"))
    return name


def attach(conn: Connection, name: str, period: str) -> None:
    """Index the loaded month as the parent table is indexed and attach it as its partition."""
    conn.execute(text(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'"))
    conn.execute(text(f"ALTER TABLE {name} ADD PRIMARY KEY (period, employer_id, person_id)"))
    conn.execute(text(f"CREATE INDEX ON {name} (person_id, period)"))
    conn.execute(text(f"ALTER TABLE fund_contribution ATTACH PARTITION {name} "
                      f"FOR VALUES IN ('{period}')"))
    conn.execute(text(f"ALTER TABLE {name} DROP CONSTRAINT {name}_month"))
