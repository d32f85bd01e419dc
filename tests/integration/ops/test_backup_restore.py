"""Issue 18: ``spmis backup`` and ``spmis restore`` on both engines. A registry is backed up while
it is in use, restored into an empty database, and every row and every encrypted value is found
and readable with the keys file written apart from the dump; the dump itself holds no key."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from spmis.auth.accounts import AccountService
from spmis.auth.keys import encrypted_columns
from spmis.auth.model import SYSTEM
from spmis.backup import BackupError, backup, read_keys, restore
from spmis.config import Settings
from spmis.context import AppContext
from spmis.crypto import FieldCipher
from spmis.db.engine import make_engine, normalise_url
from spmis.db.migrate import upgrade
from spmis.db.tables import metadata
from spmis.ops_cli import load_demo
from spmis.registry.store import person_identifier
from tests.conftest import POSTGRES_URL, SKIP_POSTGRES, make_settings
from tests.integration.ops.server import SPMIS, settings_env

# real processes on a shared machine: more than the suite's 300 s when it is busy
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@contextmanager
def whole_database(kind: str, tmp_path: Path, name: str) -> Iterator[str]:
    """An empty database of its own (a PostgreSQL database, not a schema: a backup is of a
    whole database)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / name}.db"
        return
    if SKIP_POSTGRES:
        pytest.skip("SPMIS_TEST_SKIP_POSTGRES=1")
    db = f"spmis_{name}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=db).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in metadata.sorted_tables}
    finally:
        engine.dispose()


def _clear_values(url: str, cipher: FieldCipher) -> dict[tuple[str, int], str]:
    """Every encrypted value of the database, decrypted (a value that does not decrypt fails)."""
    engine = make_engine(url)
    out: dict[tuple[str, int], str] = {}
    try:
        with engine.connect() as conn:
            for enc in encrypted_columns():
                t = enc.table
                col = t.c[enc.column]
                for row in conn.execute(select(t).where(col.is_not(None))).mappings():
                    out[(f"{t.name}.{enc.column}", row["id"])] = cipher.decrypt(
                        row[enc.column], enc.context_of(row))
            # and the keyed hash still finds each identifier
            for row in conn.execute(select(person_identifier).where(
                    person_identifier.c.value_enc.is_not(None))).mappings():
                clear = out[("person_identifier.value_enc", row["id"])]
                assert cipher.blind_index(clear, row["id_type"]) == row["value_hash"]
    finally:
        engine.dispose()
    return out


def _spmis(*args: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SPMIS, *args], env=settings_env(settings), capture_output=True,
                          text=True, timeout=600, check=False)


def _fresh_keys(settings: Settings) -> Settings:
    key = base64.b64encode(os.urandom(32)).decode()
    return settings.model_copy(update={"encryption_keys": f"other:{key}",
                                       "blind_index_key": key})


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_backup_restores_every_record_readable(kind: str, tmp_path: Path) -> None:
    with whole_database(kind, tmp_path, "source") as source_url, \
            whole_database(kind, tmp_path, "target") as target_url:
        upgrade(source_url)
        settings = make_settings(source_url, tmp_path / "var")
        ctx = AppContext.create(settings)
        try:
            load_demo(ctx, if_empty=False, households=25, seed=7)
            accounts = AccountService(ctx)
            accounts.create_user("registrar1", "registrar", "", SYSTEM,
                                 password="correct horse battery staple")
            accounts.enable_totp("registrar1")  # an encrypted TOTP secret
        finally:
            ctx.engine.dispose()
        source_counts = _counts(source_url)
        assert source_counts["person_identifier"] > 25
        source_values = _clear_values(source_url, FieldCipher.from_settings(settings))

        dump = tmp_path / "backups" / "spmis.dump"
        keys = tmp_path / "secrets" / "spmis-keys.json"
        done = _spmis("backup", str(dump), "--keys-out", str(keys), settings=settings)
        assert done.returncode == 0, done.stderr + done.stdout
        # the keys are apart, owner-only, and nowhere in the dump
        assert stat.S_IMODE(keys.stat().st_mode) == 0o600
        assert stat.S_IMODE(dump.stat().st_mode) == 0o600
        blob = dump.read_bytes()
        for secret in (settings.blind_index_key, settings.encryption_keys.split(":", 1)[1]):
            assert secret.encode() not in blob
            assert base64.b64decode(secret) not in blob

        # restore into an empty database; the restoring process has other keys: a restore
        # needs none, reading needs the keys file's
        restorer = _fresh_keys(make_settings(target_url, tmp_path / "var2"))
        done = _spmis("restore", str(dump), settings=restorer)
        assert done.returncode == 0, done.stderr + done.stdout
        assert _counts(target_url) == source_counts
        from_file = read_keys(keys)
        reader = restorer.model_copy(update=from_file)
        assert _clear_values(target_url, FieldCipher.from_settings(reader)) == source_values
        with pytest.raises(Exception, match="unknown key id"):  # without them: unreadable
            _clear_values(target_url, FieldCipher.from_settings(restorer))

        # a database that is not empty is not overwritten, unless told to
        with pytest.raises(BackupError, match="not empty"):
            restore(target_url, dump)
        assert restore(target_url, dump, force=True) in ("sqlite", "postgresql")
        assert _counts(target_url) == source_counts


def test_keys_are_never_written_beside_the_backup(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "var")
    upgrade(settings.database_url)
    with pytest.raises(BackupError, match="must not be in the backup's folder"):
        backup(settings, tmp_path / "b" / "x.dump", tmp_path / "b" / "keys.json")
    assert not (tmp_path / "b" / "x.dump").exists()
    first = backup(settings, tmp_path / "b" / "x.dump", tmp_path / "k" / "keys.json")
    with pytest.raises(BackupError, match="exists already"):  # never overwrites a backup
        backup(settings, first.dump, tmp_path / "k" / "keys2.json")
    with pytest.raises(BackupError, match="neither"):
        restore(settings.database_url, tmp_path / "k" / "keys.json", force=True)
