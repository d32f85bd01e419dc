"""Engine creation for the two supported databases: a SQLite file and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from spmis.config import Settings


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


#: how long a SQLite statement waits for another connection's write lock (milliseconds)
SQLITE_BUSY_MS = 10_000


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _owner_only_file(Path(parsed.database))
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def pool_options(settings: Settings) -> dict[str, Any]:
    """The connection pool's size from ``settings`` (PostgreSQL; SQLite keeps its defaults)."""
    if make_url(normalise_url(settings.database_url)).get_backend_name() == "sqlite":
        return {}
    return {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}


def _owner_only_file(path: Path) -> None:
    """Create the SQLite file 0600 (in a 0700 folder when SPMIS creates the folder), or take
    group and other rights off an existing one. SQLite gives its -wal and -shm files the rights
    of the database file."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    elif path.stat().st_mode & 0o077:
        path.chmod(0o600)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
