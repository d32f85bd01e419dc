"""Shared fixtures: every test that needs a database gets a fresh, migrated one, on a SQLite file
AND on the PostgreSQL server named by SPMIS_TEST_POSTGRES_URL (its own schema per test).

Running the migrations costs seconds per database on a busy machine, so a test session (each
xdist worker) migrates once per engine and every test starts from a copy of the result: a copy of
the migrated SQLite file; on PostgreSQL, the ``pg_dump`` of a migrated schema replayed in the
test's own new schema (PostgreSQL cannot copy a schema; a database copied from a template would
need a ``DROP DATABASE`` per test, whose forced checkpoint takes seconds on a busy server).
Without a usable ``pg_dump`` every PostgreSQL test runs the migrations, as before. The tests of
the migrations themselves start from an empty database (``empty_db_url``).

Replaying the dump costs 0.5-1 s of server time per test, and dropping the schema 0.15 s more,
for over 400 PostgreSQL tests. So a schema a test is done with is recycled instead, when it can
be shown to be as the template made it: its catalogue (tables, columns, defaults, indexes,
constraints, triggers and their state, functions) has the template's fingerprint, its rows are
deleted and the dump's own rows and sequence positions put back. A schema whose catalogue a test
changed (a partition added, a trigger disabled), or that a connection left locked, is dropped and
never reused.

PostgreSQL tests fail, never skip, when the server is unreachable — unless a developer sets
SPMIS_TEST_SKIP_POSTGRES=1 on purpose (CI never does)."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
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
    """The URL of ``schema``; its connections name themselves after it (``application_name``),
    so that none is left behind when the schema is recycled."""
    sep = "&" if "?" in POSTGRES_URL else "?"
    options = quote(f"-csearch_path={schema}")
    return f"{POSTGRES_URL}{sep}options={options}&application_name={schema}"


@contextmanager
def empty_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of ``kind`` ('sqlite' or 'postgres'); dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'spmis-{uuid.uuid4().hex[:8]}.db'}"
        return
    with _postgres_schema() as schema:
        yield _postgres_schema_url(schema)


@contextmanager
def _postgres_schema(prefix: str = "t", drop: bool = True) -> Iterator[str]:
    """A new empty schema on the PostgreSQL server; its name. Dropped afterwards (``drop``)."""
    if SKIP_POSTGRES:
        pytest.skip("SPMIS_TEST_SKIP_POSTGRES=1")
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # the server must be there: fail loudly, never skip
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    finally:
        admin.dispose()
    try:
        yield schema
    finally:
        if drop:
            _drop_schema(schema)


def _drop_schema(schema: str) -> None:
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


class MigratedTemplates:
    """The newest schema, migrated once per engine in this process (on first use) and copied
    for every test that asks for ``db_url``; PostgreSQL schemas are recycled
    (``postgres_schema``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: Path | None = None
        self._dump: tuple[str, str] | None = None  # (schema, rows); ("", "") without pg_dump
        self._fingerprint: str | None = None
        self._clean: list[str] = []  # recycled schemas, ready for a test
        self._admin: Any = None  # the connection that recycles them
        self.refused: dict[str, str] = {}  # schemas dropped instead, and why

    def sqlite_copy(self, target: Path) -> str:
        """A migrated SQLite file at ``target``; its URL."""
        if self._sqlite is None:
            path = self.folder / "migrated.db"
            upgrade(f"sqlite:///{path}")
            # Alembic closed its connections, so the file holds everything (no -wal left)
            assert not Path(f"{path}-wal").exists()
            self._sqlite = path
        shutil.copyfile(self._sqlite, target)
        target.chmod(0o600)
        return f"sqlite:///{target}"

    def fill_postgres(self, schema: str) -> None:
        """Bring the empty ``schema`` to the newest schema."""
        if self._dump is None:
            self._dump = _migrated_schema_dump()
        ddl, rows = self._dump
        if not ddl:
            upgrade(_postgres_schema_url(schema))
            return
        import psycopg

        with psycopg.connect(_libpq_url(), autocommit=True) as conn:
            # one simple query: its statements run as a single transaction
            conn.execute((ddl + rows).replace(DUMP_SCHEMA, schema).encode())
            if self._fingerprint is None:
                self._fingerprint = _catalogue_fingerprint(conn, schema)

    @contextmanager
    def postgres_schema(self) -> Iterator[str]:
        """A schema at the newest schema, of this test alone: a recycled one when there is
        one, else a new one filled from the dump; recycled or dropped afterwards."""
        if self._clean:
            schema = self._clean.pop()
        else:
            with _postgres_schema(drop=False) as schema:
                self.fill_postgres(schema)
        try:
            yield schema
        finally:
            if self._recycle(schema):
                self._clean.append(schema)
            else:
                _drop_schema(schema)

    def _recycle(self, schema: str) -> bool:
        """Empty ``schema`` back to the template's rows; False when it cannot be shown to be
        as the template made it (then it is dropped)."""
        if self._dump is None or not self._dump[0] or self._fingerprint is None:
            return False
        import psycopg

        try:
            if self._admin is None or self._admin.closed:
                # one connection for every give-back: its catalogue caches stay warm (a new
                # connection spent 0.25 s reading the catalogue for the fingerprint)
                self._admin = psycopg.connect(_libpq_url(), autocommit=True)
                self._admin.execute("SET lock_timeout = '5s'")
            conn = self._admin
            # a connection a test left open (a process it started, a pool not disposed)
            # could write after the schema is given to the next test
            conn.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                         " WHERE application_name = %s AND pid <> pg_backend_pid()",
                         (schema,))
            if _catalogue_fingerprint(conn, schema) != self._fingerprint:
                self.refused[schema] = "its catalogue changed"
                return False
            tables = conn.execute(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = %s",
                (schema,)).fetchall()
            filled = conn.execute(" UNION ALL ".join(
                f"(SELECT {name!r} FROM {schema}.{name} LIMIT 1)"
                for (name,) in tables)).fetchall() if tables else []
            # with triggers off (the append-only refusals, the foreign keys' checks) the
            # rows go in any order; the dump's rows go back with every trigger on
            script = ["SET session_replication_role = replica;",
                      *(f"DELETE FROM {schema}.{name};" for (name,) in filled),
                      "SET session_replication_role = DEFAULT;",
                      self._dump[1].replace(DUMP_SCHEMA, schema)]
            with conn.transaction():
                conn.execute("\n".join(script).encode())
            return True
        except psycopg.Error as exc:
            self.refused[schema] = str(exc)
            if self._admin is not None:
                self._admin.close()
            self._admin = None
            return False

    def close(self) -> None:
        """Drop the recycled schemas (at the end of the session)."""
        if self._admin is not None:
            self._admin.close()
        while self._clean:
            _drop_schema(self._clean.pop())


def _catalogue_fingerprint(conn: Any, schema: str) -> str:
    """A digest of what a test could change in a schema's catalogue: relations (with their
    number of columns and options), column defaults, constraints, triggers (enabled or not)
    and functions; the schema's own name, which defaults and keys name, left out."""
    row = conn.execute("""
        WITH s AS (SELECT oid FROM pg_namespace WHERE nspname = %s)
        SELECT md5(string_agg(replace(x, %s, 'S'), '|' ORDER BY replace(x, %s, 'S'))) FROM (
          SELECT 'r:' || c.relname || ':' || c.relkind::text || ':' || c.relnatts || ':'
                 || coalesce(c.reloptions::text, '') AS x
            FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM s)
          UNION ALL
          SELECT 'd:' || c.relname || ':' || d.adnum || ':' || pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
           WHERE c.relnamespace = (SELECT oid FROM s)
          UNION ALL
          SELECT 'k:' || k.conname || ':' || k.convalidated || ':' || pg_get_constraintdef(k.oid)
            FROM pg_constraint k WHERE k.connamespace = (SELECT oid FROM s)
          UNION ALL
          -- a foreign key's own triggers are named by their oid: counted, with their state
          SELECT 't:' || c.relname || ':' || CASE WHEN g.tgisinternal THEN 'key'
                 ELSE g.tgname END || ':' || g.tgenabled::text
            FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
           WHERE c.relnamespace = (SELECT oid FROM s)
          UNION ALL
          SELECT 'p:' || p.proname || ':' || md5(p.prosrc)
            FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM s)
        ) parts""", (schema, schema, schema)).fetchone()
    return str(row[0])


#: what stands for the schema's name in the dump of the migrated schema
DUMP_SCHEMA = "spmis_migrated_template"


def _libpq_url() -> str:
    return re.sub(r"^postgresql\+\w+://", "postgresql://", POSTGRES_URL)


def _migrated_schema_dump() -> tuple[str, str]:
    """SQL that builds the migrated schema in the schema named ``DUMP_SCHEMA``, and SQL that
    puts its rows and sequence positions: a schema migrated here, dumped by ``pg_dump`` (not its
    CREATE SCHEMA: the schema exists), then dropped; ("", "") when no pg_dump can dump this
    server (a different major version)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return "", ""
    with _postgres_schema("tpl") as schema:
        upgrade(_postgres_schema_url(schema))
        done = subprocess.run(
            [pg_dump, "--schema-only", f"--schema={schema}", "--no-owner", "--no-privileges",
             f"--dbname={_libpq_url()}"], capture_output=True, text=True, check=False)
        data = subprocess.run(
            [pg_dump, "--data-only", "--inserts", f"--schema={schema}", f"--dbname={_libpq_url()}"],
            capture_output=True, text=True, check=False)
    if done.returncode or data.returncode:
        return "", ""
    ddl, rows = done.stdout, data.stdout
    assert DUMP_SCHEMA not in ddl + rows
    # psql's meta-commands (restrict, unrestrict) are not SQL; the schema is made by the fixture
    ddl, rows = (re.sub(r"^\\(un)?restrict .*$", "", sql, flags=re.MULTILINE)
                 for sql in (ddl, rows))
    create = f"CREATE SCHEMA {schema};\n"
    assert create in ddl
    ddl = ddl.replace(create, "")
    return ddl.replace(schema, DUMP_SCHEMA), rows.replace(schema, DUMP_SCHEMA)


#: the system catalogues that every schema and temporary table a test makes adds rows to
CHURNED_CATALOGUES = ("pg_attribute", "pg_class", "pg_depend", "pg_type", "pg_constraint",
                      "pg_trigger", "pg_attrdef", "pg_index", "pg_sequence", "pg_statistic",
                      "pg_description", "pg_rewrite", "pg_proc", "pg_namespace", "pg_shdepend")
#: compacted at the start of a run when they take more than this
CATALOGUE_BLOAT_BYTES = 64 << 20


def compact_catalogues() -> str | None:
    """Compact the test database's system catalogues when they are bloated; what was done, for
    the run's header (None when nothing was). This server is set up with autovacuum off (as
    these machines' PostgreSQL comes), so the rows of the schemas and temporary tables that
    earlier runs made and dropped stay in the catalogues: 900 MB of pg_attribute after a day
    of runs, every catalogue scan and every schema made slower by it, run after run."""
    if SKIP_POSTGRES:
        return None
    import psycopg

    started = time.perf_counter()
    try:
        with psycopg.connect(_libpq_url(), autocommit=True, connect_timeout=10) as conn:
            size = int(conn.execute("SELECT sum(pg_total_relation_size(('pg_catalog.' || n)"
                                    "::regclass)) FROM unnest(%s::text[]) AS n",
                                    (list(CHURNED_CATALOGUES),)).fetchone()[0])  # type: ignore[index]
            if size <= CATALOGUE_BLOAT_BYTES:
                return None
            conn.execute("SET lock_timeout = '10s'")  # another run's tests: not waited for
            conn.execute("VACUUM FULL " + ", ".join(f"pg_catalog.{n}" for n in CHURNED_CATALOGUES))
    except psycopg.Error as exc:
        return f"the PostgreSQL catalogues could not be compacted: {exc}".strip()
    return (f"PostgreSQL test database: {size / 2**20:,.0f} MB of system catalogues (autovacuum "
            f"is off on this server) compacted in {time.perf_counter() - started:.1f} s")


_COMPACTED = pytest.StashKey[str | None]()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Before the run, in the controller (before xdist starts its workers): the catalogues."""
    if not hasattr(session.config, "workerinput"):
        session.config.stash[_COMPACTED] = compact_catalogues()


def pytest_report_header(config: pytest.Config) -> str | None:
    return config.stash.get(_COMPACTED, None)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated"))
    yield templates
    templates.close()


@contextmanager
def migrated_database(kind: str, tmp_path: Path, templates: MigratedTemplates) -> Iterator[str]:
    """A database of ``kind`` ('sqlite' or 'postgres') of its own at the newest schema (a copy
    of ``templates``'); dropped afterwards."""
    if kind == "sqlite":
        yield templates.sqlite_copy(tmp_path / f"spmis-{uuid.uuid4().hex[:8]}.db")
        return
    with templates.postgres_schema() as schema:
        yield _postgres_schema_url(schema)


#: Argon2id with the smallest cost (one pass over 8 KiB, one lane) for the tests' own process
LIGHT_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


@pytest.fixture(scope="session", autouse=True)
def light_argon2() -> Iterator[None]:
    """Passwords and grievance PINs are hashed and checked with Argon2id at the smallest cost in
    the tests' own process. At its production cost (argon2-cffi's defaults: 64 MiB, 3 passes, 4
    lanes; checked by tests/unit/auth/test_password_cost.py) each hash and each check costs 0.2
    CPU seconds, and the suite makes thousands. The code and the algorithm are the same; the
    servers the tests start as processes (browser and operations tests) keep the production
    cost, and rehash a test-made hash at their first sign-in (``AccountService.login``)."""
    from argon2 import PasswordHasher

    from spmis.auth import passwords
    from spmis.grievances import pins

    light = PasswordHasher(**LIGHT_ARGON2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_hasher", light)
        mp.setattr(passwords, "_DUMMY_HASH", light.hash("no such account"))
        mp.setattr(pins, "_hasher", light)
        mp.setattr(pins, "_DUMMY", light.hash("000000"))
        yield


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
def db_url(engine_kind: str, tmp_path: Path, migrated_templates: MigratedTemplates
           ) -> Iterator[str]:
    """A fresh database at the newest schema, once per engine (a copy of the migrated one: see
    the module's docstring)."""
    with migrated_database(engine_kind, tmp_path, migrated_templates) as url:
        yield url


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
