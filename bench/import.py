"""Benchmark: bulk import of households into PostgreSQL, against a bare COPY of the same rows.

    .venv/bin/python bench/import.py                 # 1,000,000 people (~237,000 households)
    .venv/bin/python bench/import.py --people 100000

1. ``spmis synth`` writes the population to a temporary folder (in a child process, so that
   the peak memory printed below is the importer's own).
2. A fresh database ``spmis_bench`` is created on the server of ``--url`` (default
   SPMIS_TEST_POSTGRES_URL or postgresql://root@127.0.0.1:5432/test) and migrated.
3. enterprises.csv then households.csv are imported with ``import_households`` (validation,
   encryption of national ID and phone, keyed hashes, change log, all of it), timed.
4. The same households.csv is loaded by a bare ``COPY ... FROM STDIN (FORMAT csv)`` into a plain
   table of 27 text columns without indexes: the reference.
5. Prints people per second, peak memory (``ru_maxrss``) and the ratio to the bare COPY; drops
   the database (unless ``--keep``).

Targets (issue 2): at least 50,000 people a second, within 4x of the bare COPY, memory bounded
by the chunk size.
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = os.environ.get("SPMIS_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
PEOPLE_PER_HOUSEHOLD = 4.22


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _admin_dsn(url: str) -> str:
    u = make_url(url)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


def _db_url(url: str, name: str) -> str:
    return make_url(url).set(drivername="postgresql", database=name).render_as_string(
        hide_password=False)


def _cpu_seconds(pids: set[int]) -> float:
    """User + system CPU time of local PostgreSQL backends (from /proc; 0 when not local)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL server (admin database)")
    parser.add_argument("--database", default="spmis_bench")
    parser.add_argument("--chunk", type=int, default=None, help="rows per chunk")
    parser.add_argument("--writers", type=int, default=None,
                        help="parallel writer transactions (default: the importer's)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats here")
    args = parser.parse_args()
    households = max(1, round(args.people / PEOPLE_PER_HOUSEHOLD))

    with tempfile.TemporaryDirectory(prefix="spmis-bench-") as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "spmis"), "synth", "--households", str(households),
             "--seed", str(args.seed), "--out", str(data), "--duplicates", "0"],
            check=True, cwd=ROOT,
        )
        print(f"synth: {households:,} households in {time.perf_counter() - t0:.1f}s")
        rows_file = data / "households.csv"

        admin = psycopg.connect(_admin_dsn(args.url), autocommit=True)
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        admin.execute(f'CREATE DATABASE "{args.database}"')
        url = _db_url(args.url, args.database)
        try:
            _run(args, url, data, rows_file)
        finally:
            if not args.keep:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            admin.close()


def _run(args: argparse.Namespace, url: str, data: Path, rows_file: Path) -> None:
    from spmis.auth.model import SYSTEM
    from spmis.config import Settings
    from spmis.context import AppContext
    from spmis.db.migrate import upgrade
    from spmis.registry.importer import import_enterprises, import_households

    upgrade(url)
    extra = {"import_chunk_rows": args.chunk} if args.chunk else {}
    settings = Settings(
        env="test", database_url=url, var_dir=data / "var",
        secret_key=base64.b64encode(os.urandom(48)).decode(),
        encryption_keys=f"bench:{_key()}", blind_index_key=_key(), **extra,
    )
    ctx = AppContext.create(settings)
    pids: set[int] = set()
    event.listen(ctx.engine, "connect",
                 lambda dbapi_conn, _rec: pids.add(dbapi_conn.info.backend_pid))
    ent = import_enterprises(ctx, data / "enterprises.csv", SYSTEM, progress=False)
    print(f"enterprises: {ent}")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with ctx.engine.connect() as warm, ctx.engine.connect() as warm2:  # pool up the writers
        warm.exec_driver_sql("SELECT 1")
        warm2.exec_driver_sql("SELECT 1")
    server_cpu0, client_cpu0 = _cpu_seconds(pids), _own_cpu()
    t0 = time.perf_counter()
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    summary = import_households(ctx, rows_file, SYSTEM, reject_path=data / "rejects.csv",
                                progress=False, writers=args.writers)
    elapsed = time.perf_counter() - t0
    server_cpu, client_cpu = _cpu_seconds(pids) - server_cpu0, _own_cpu() - client_cpu0
    if args.profile:
        profiler.disable()
        profiler.dump_stats(args.profile)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import: {summary}")
    with ctx.engine.connect() as conn:
        counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
                  for t in ("household", "person", "person_identifier", "change_log")}
    ctx.engine.dispose()
    print("stored: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))

    header = rows_file.open(encoding="utf-8").readline().strip().split(",")
    with psycopg.connect(url) as conn:
        cols = ", ".join(f'"{c}" text' for c in header)
        conn.execute(f"CREATE TABLE bare_copy ({cols})")
        conn.commit()
        bare_pid = conn.info.backend_pid
        bare_cpu0 = _cpu_seconds({bare_pid})
        t1 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
                "COPY bare_copy FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                rows_file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                copy.write(block)
        conn.commit()
        bare = time.perf_counter() - t1
        bare_cpu = _cpu_seconds({bare_pid}) - bare_cpu0
        conn.execute("DROP TABLE bare_copy")
        conn.commit()
    tables_time, tables_cpu = _copy_into_registry_tables(url, data)

    people = summary.people_created
    print()
    print(f"people imported        {people:>12,}  ({summary.rows_rejected:,} rejected)")
    print(f"import time            {elapsed:>12.1f} s")
    print(f"people per second      {people / elapsed:>12,.0f}   (target >= 50,000)")
    print(f"bare COPY time         {bare:>12.1f} s   ({summary.rows_read / bare:,.0f} rows/s)")
    print(f"ratio import/COPY      {elapsed / bare:>12.1f} x   (target <= 4x)")
    print(f"peak memory (ru_maxrss){peak_mb:>12.0f} MB  (before import: {rss_before / 1024:.0f} MB;"
          f" chunk {settings.import_chunk_rows:,} rows)")
    per = 1e6 / max(people, 1)
    print(f"CPU per person         client {client_cpu * per:.0f} us, "
          f"database {server_cpu * per:.0f} us   (bare COPY: database "
          f"{bare_cpu * 1e6 / max(summary.rows_read, 1):.0f} us per row)")
    print(f"CPU ratio import/COPY  {(client_cpu + server_cpu) / max(bare_cpu, 1e-9):>12.1f} x"
          f"   (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"COPY of the stored rows into copies of the registry tables (same indexes and "
          f"foreign keys): {tables_time:.1f} s, database CPU {tables_cpu * per:.0f} us per "
          f"person; import/that = {elapsed / tables_time:.1f} x")


def _copy_into_registry_tables(url: str, data: Path) -> tuple[float, float]:
    """The floor for writing what the import wrote: the stored household, person, identifier
    and change-log rows, dumped and loaded again by COPY into empty copies of the tables with
    the same indexes and foreign keys, in one transaction."""
    order = ("household", "person", "person_identifier", "change_log")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS ref CASCADE")
        conn.execute("CREATE SCHEMA ref")
        for t in order:
            conn.execute(f"CREATE TABLE ref.{t} (LIKE public.{t} INCLUDING ALL)")
            with conn.cursor().copy(f"COPY public.{t} TO STDOUT") as copy, \
                    (data / f"{t}.dump").open("wb") as fh:
                for block in copy:
                    fh.write(block)
        conn.execute("ALTER TABLE ref.person ADD FOREIGN KEY (household_id) "
                     "REFERENCES ref.household(id), ADD FOREIGN KEY (enterprise_id) "
                     "REFERENCES public.enterprise(id), ADD FOREIGN KEY (merged_into_id) "
                     "REFERENCES ref.person(id)")
        conn.execute("ALTER TABLE ref.person_identifier ADD FOREIGN KEY (person_id) "
                     "REFERENCES ref.person(id)")
        pid = conn.info.backend_pid
        cpu0 = _cpu_seconds({pid})
        t0 = time.perf_counter()
        with conn.transaction():
            for t in order:
                with conn.cursor().copy(f"COPY ref.{t} FROM STDIN") as copy, \
                        (data / f"{t}.dump").open("rb") as fh:
                    for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                        copy.write(block)
        elapsed = time.perf_counter() - t0
        cpu = _cpu_seconds({pid}) - cpu0
        conn.execute("DROP SCHEMA ref CASCADE")
    return elapsed, cpu


if __name__ == "__main__":
    main()
