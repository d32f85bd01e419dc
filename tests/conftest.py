"""Shared fixtures: every test that needs a database gets a fresh, migrated one, on a SQLite file
AND on the PostgreSQL server named by SPMIS_TEST_POSTGRES_URL (its own schema per test).

PostgreSQL tests fail, never skip, when the server is unreachable — unless a developer sets
SPMIS_TEST_SKIP_POSTGRES=1 on purpose (CI never does)."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from spmis.app import create_app
from spmis.config import Settings
from spmis.context import AppContext
from spmis.db.engine import normalise_url
from spmis.db.migrate import upgrade

POSTGRES_URL = os.environ.get("SPMIS_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
SKIP_POSTGRES = os.environ.get("SPMIS_TEST_SKIP_POSTGRES") == "1"
ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def make_settings(db_url: str, var_dir: Path) -> Settings:
    """Test settings with fresh random keys."""
    return Settings(
        env="test",
        database_url=db_url,
        var_dir=var_dir,
        secret_key=base64.b64encode(os.urandom(48)).decode(),
        encryption_keys=f"t1:{_key()}",
        blind_index_key=_key(),
    )


def _postgres_schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def empty_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of ``kind`` ('sqlite' or 'postgres'); dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'spmis-{uuid.uuid4().hex[:8]}.db'}"
        return
    if SKIP_POSTGRES:
        pytest.skip("SPMIS_TEST_SKIP_POSTGRES=1")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # the server must be there: fail loudly, never skip
        admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    """'sqlite' or 'postgres': tests that use it run once on each."""
    return str(request.param)


@pytest.fixture
def empty_db_url(engine_kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty (unmigrated) database, once per engine."""
    with empty_database(engine_kind, tmp_path) as url:
        yield url


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """A fresh database migrated to the newest schema, once per engine."""
    upgrade(empty_db_url)
    return empty_db_url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path / "var")


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    context = AppContext.create(settings)
    try:
        yield context
    finally:
        context.engine.dispose()


@pytest.fixture
def app(ctx: AppContext):  # type: ignore[no-untyped-def]
    return create_app(ctx=ctx)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


# ---------------------------------------------------------------- access control (issue 3)
TEST_PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(ctx: AppContext):  # type: ignore[no-untyped-def]
    """``make_user(role='admin', scope='', username=None, password=TEST_PASSWORD)`` creates a
    staff user (``role`` may be 'registrar,approver') and returns its user name."""
    from spmis.auth.accounts import AccountService
    from spmis.auth.model import SYSTEM

    counter = iter(range(1, 1_000_000))

    def make(role: str = "admin", scope: str = "", username: str | None = None,
             password: str = TEST_PASSWORD) -> str:
        name = username or f"{role.replace(',', '-')[:30]}-{scope or 'kh'}-{next(counter)}"
        AccountService(ctx).create_user(name, role, scope, SYSTEM, password=password)
        return name

    return make


@pytest.fixture
def auth_client(app, ctx: AppContext, make_user):  # type: ignore[no-untyped-def]
    """``auth_client(role='admin', scope='', username=None)``: a TestClient that sends a bearer
    token of a new staff user with that role and scope (an existing ``username`` is reused)."""
    from spmis.auth.accounts import AccountService

    clients: list[TestClient] = []

    def make(role: str = "admin", scope: str = "", username: str | None = None) -> TestClient:
        name = username or make_user(role, scope)
        token = AccountService(ctx).user_token(name).token
        c = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
