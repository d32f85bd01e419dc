"""Backups of the database and, apart from them, of the keys that read it.

- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot: pg_dump reads everything in a
  single repeatable-read transaction while the service keeps running); restored with
  ``pg_restore`` in one transaction.
- SQLite: the online backup API (``sqlite3.Connection.backup``): a consistent copy of a database
  in use, readers and writers carrying on.

The encrypted identifiers in a backup are unreadable without ``SPMIS_ENCRYPTION_KEYS`` (and the
look-up hash needs ``SPMIS_BLIND_INDEX_KEY``). The keys are settings, never in the database, so
never in a dump; ``write_keys`` puts them in a SEPARATE file, owner-only (0600), that must not be
in the dump's folder: whoever gets one of the two should not have the other.

A restore goes into an empty database only, unless ``force`` (the existing tables are then
dropped first, in the restore's transaction; on PostgreSQL psql runs pg_restore's script so that
the partitions of ``fund_contribution`` can be detached before the tables are dropped).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from spmis.config import Settings
from spmis.db.engine import make_engine, normalise_url

__all__ = ["BackupError", "BackupResult", "backup", "read_keys", "restore", "write_keys"]

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
KEYS_FORMAT = "spmis-keys/1"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    dump: Path
    keys: Path
    engine: str
    bytes: int


def _url(database_url: str) -> URL:
    return make_url(normalise_url(database_url))


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: the newest in /usr/lib/postgresql/*/bin (a newer client
    reads and writes older servers' dumps), else the one on PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                        else 0)
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _pg_env(url: URL) -> dict[str, str]:
    """libpq environment for ``url`` (the password never on a command line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username,
              "PGPASSWORD": url.password, "PGDATABASE": url.database}
    options = url.query.get("options")
    if options:
        values["PGOPTIONS"] = options if isinstance(options, str) else " ".join(options)
    env.update({k: str(v) for k, v in values.items() if v})
    return env


def _run(args: list[str], env: dict[str, str] | None = None) -> None:
    # the program is pg_dump or pg_restore (pg_tool) and no argument goes through a shell
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _new_private_file(path: Path) -> int:
    """Create ``path`` owner-only (0600); refuses to overwrite."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise BackupError(f"{path} exists already; choose a new name") from exc


def write_keys(settings: Settings, path: Path) -> Path:
    """The key material that reads the encrypted identifiers, in an owner-only file."""
    body = {
        "format": KEYS_FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "encryption_keys": settings.encryption_keys,
        "blind_index_key": settings.blind_index_key,
        "note": "Set SPMIS_ENCRYPTION_KEYS and SPMIS_BLIND_INDEX_KEY to these values to read the "
                "backup made with this file. Keep it apart from the backups.",
    }
    fd = _new_private_file(path)
    with os.fdopen(fd, "w") as out:
        json.dump(body, out, indent=2)
    return path


def read_keys(path: Path) -> dict[str, str]:
    """``{"encryption_keys": ..., "blind_index_key": ...}`` from a file of ``write_keys``."""
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a readable keys file: {exc}") from exc
    if not isinstance(body, dict) or body.get("format") != KEYS_FORMAT:
        raise BackupError(f"{path} is not an SPMIS keys file ({KEYS_FORMAT})")
    return {"encryption_keys": body["encryption_keys"],
            "blind_index_key": body["blind_index_key"]}


def backup(settings: Settings, dump: Path, keys: Path) -> BackupResult:
    """Back up the database of ``settings`` to ``dump`` and its keys to ``keys`` (apart)."""
    dump, keys = dump.absolute(), keys.absolute()
    if keys.parent.resolve() == dump.parent.resolve():
        raise BackupError("the keys file must not be in the backup's folder: store them apart "
                          "(e.g. the backup on the backup server, the keys in the secret store)")
    url = _url(settings.database_url)
    fd = _new_private_file(dump)  # owner-only from the first byte
    os.close(fd)
    try:
        if url.get_backend_name() == "sqlite":
            source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
            target = sqlite3.connect(dump)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
            engine = "sqlite"
        else:
            _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={dump}"], env=_pg_env(url))
            engine = "postgresql"
        write_keys(settings, keys)
    except BaseException:
        dump.unlink(missing_ok=True)
        raise
    return BackupResult(dump, keys, engine, dump.stat().st_size)


def _kind_of(dump: Path) -> str:
    try:
        with dump.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {dump}: {exc}") from exc
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{dump} is neither an SPMIS PostgreSQL dump nor a SQLite backup")


def existing_tables(database_url: str) -> list[str]:
    """The tables of the database (its current schema), empty when there are none."""
    engine = make_engine(database_url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def restore(database_url: str, dump: Path, force: bool = False) -> str:
    """Restore ``dump`` into the database at ``database_url``; returns the engine name.
    Refuses a database that has tables unless ``force``."""
    kind = _kind_of(dump)
    url = _url(database_url)
    target = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    if kind != target:
        raise BackupError(f"{dump} is a {kind} backup; the database is {target}")
    tables = existing_tables(database_url)
    if tables and not force:
        raise BackupError(f"the database is not empty ({len(tables)} tables, e.g. "
                          f"{', '.join(tables[:3])}); restore into an empty database, or give "
                          "--force to replace what is there")
    if kind == "sqlite":
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        destination = sqlite3.connect(path)
        try:
            source.backup(destination)  # replaces every page of the destination
        finally:
            destination.close()
            source.close()
    elif force and tables:
        _replace(url, dump)
    else:
        _run([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--dbname={url.database}", str(dump)], env=_pg_env(url))
    return kind


#: detach every partition of the current schema's partitioned tables (``fund_contribution``)
DETACH_PARTITIONS = """DO $$DECLARE r record; BEGIN
FOR r IN SELECT i.inhparent::regclass AS parent, i.inhrelid::regclass AS child
         FROM pg_inherits i JOIN pg_partitioned_table t ON t.partrelid = i.inhparent
         JOIN pg_class c ON c.oid = i.inhparent
         WHERE c.relnamespace = current_schema()::regnamespace LOOP
  EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', r.parent, r.child);
END LOOP; END$$"""


def _replace(url: URL, dump: Path) -> None:
    """Restore over existing tables in one transaction. ``pg_restore --clean`` cannot drop what
    a partition inherits from its table (PostgreSQL 15: "cannot drop inherited constraint"), so
    psql runs, in one transaction, the detaching of the partitions and then pg_restore's
    script (the tables dropped, then made again). The script passes through here: psql reaches
    its end (and commits) only once pg_restore has ended well; otherwise psql is killed and the
    server rolls everything back."""
    env = _pg_env(url)
    restore_cmd = [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--clean",
                   "--if-exists", "--file=-", str(dump)]
    psql_cmd = [pg_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction",
                "--set=ON_ERROR_STOP=1", f"--dbname={url.database}",
                f"--command={DETACH_PARTITIONS}", "--file=-"]
    with (tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors,
          subprocess.Popen(restore_cmd, stdout=subprocess.PIPE, stderr=restore_errors,  # noqa: S603
                           env=env) as script,
          subprocess.Popen(psql_cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,  # noqa: S603
                           stderr=psql_errors, env=env) as psql):
        assert script.stdout is not None and psql.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # psql stopped on an error: it says which
            shutil.copyfileobj(script.stdout, psql.stdin, 1 << 20)
        script.stdout.close()
        if script.wait() != 0 and psql.poll() is None:
            psql.kill()  # before it reads the end of a cut script and commits it
            restore_errors.seek(0)
            raise BackupError("pg_restore failed: "
                              f"{restore_errors.read().decode().strip()[-2000:]}")
        with contextlib.suppress(BrokenPipeError):
            psql.stdin.close()  # the end of the script: psql commits
        if psql.wait() != 0:
            psql_errors.seek(0)
            raise BackupError(f"psql failed: {psql_errors.read().decode().strip()[-2000:]}")
