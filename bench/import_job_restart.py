"""Benchmark (run by hand, once): a 1,000,000-row import started from the web page, the worker
and the server killed with SIGKILL in the middle, both started again; prints what it measured.

    .venv/bin/python bench/import_job_restart.py                   # PostgreSQL, 1,000,000 rows
    .venv/bin/python bench/import_job_restart.py --sqlite          # the embedded set-up
    .venv/bin/python bench/import_job_restart.py --file households.csv --kill-at 0.4

1. ``spmis synth`` writes the population (unless ``--file``); a fresh database (``--database``
   on the server of ``--url``, or a SQLite file) is migrated; the enterprises file is imported
   (so formal workers find their employer) and a registrar is created.
2. A uvicorn server and ``spmis worker`` start as ``make run`` starts them. The registrar signs
   in and uploads the households file on the import page (streamed; timed).
3. When the job has read ``--kill-at`` of the rows, the worker and the server get SIGKILL.
   Every household of the file is then checked: stored with all its members, or absent.
4. Both start again. Timed: until the job is taken over (resumed or failed), and until it ends.
   The check runs again; the reject report is downloaded from the job's page.

There is no hand-written reference here: the import itself is measured against a bare COPY by
``bench/import.py``; this script measures what a stop costs.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import polars as pl
import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SPMIS = Path(sys.executable).with_name("spmis")
DEFAULT_URL = os.environ.get("SPMIS_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")
PASSWORD = "correct horse battery staple"
PEOPLE_PER_HOUSEHOLD = 4.22


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Processes:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log.open("ab")
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        t0 = time.perf_counter()
        self.server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "spmis.main:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.worker = subprocess.Popen([str(SPMIS), "worker"], env=self.env, cwd=ROOT,
                                       stdout=self.log, stderr=subprocess.STDOUT)
        while True:
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            if self.server.poll() is not None:
                raise SystemExit("the server did not start; see the process log")
            time.sleep(0.2)

    def kill(self) -> None:
        for proc in (self.worker, self.server):
            if proc is not None and proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop(self) -> None:
        for proc in (self.worker, self.server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=90)
        self.log.close()


def sign_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, headers={"Accept": "text/html"}, timeout=600)
    token = re.search(r'name="login_token" value="([^"]+)"', client.get("/login").text)
    assert token
    client.post("/login", data={"username": "bench-registrar", "password": PASSWORD,
                                "next": "/office", "login_token": token.group(1)})
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--file", type=Path, help="a households file (its enterprises.csv "
                                                   "beside it is imported first when present)")
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL server (admin database)")
    parser.add_argument("--database", default="spmis_bench_jobs")
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead")
    parser.add_argument("--kill-at", type=float, default=0.4, help="share of rows read")
    parser.add_argument("--bad-rows", type=int, default=3,
                        help="households with a bad row appended (rejected: a reject report)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spmis-bench-jobs-") as tmp:
        work = Path(tmp)
        source = args.file
        if source is None:
            households = max(1, round(args.people / PEOPLE_PER_HOUSEHOLD))
            t0 = time.perf_counter()
            subprocess.run([str(SPMIS), "synth", "--households", str(households), "--seed",
                            str(args.seed), "--out", str(work / "synth"), "--duplicates", "0"],
                           check=True, cwd=ROOT)
            print(f"synth: {households:,} households in {time.perf_counter() - t0:.1f}s")
            source = work / "synth" / "households.csv"
        if args.bad_rows:
            source = _with_bad_rows(source, work / "households.csv", args.bad_rows)
        if args.sqlite:
            _run(args, f"sqlite:///{work / 'spmis.db'}", work, source)
            return
        admin = psycopg.connect(make_url(args.url).set(drivername="postgresql")
                                .render_as_string(hide_password=False), autocommit=True)
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.database}"')
        try:
            _run(args, make_url(args.url).set(drivername="postgresql", database=args.database)
                 .render_as_string(hide_password=False), work, source)
        finally:
            if not args.keep:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            admin.close()


def _with_bad_rows(source: Path, target: Path, count: int) -> Path:
    """A copy of ``source`` (and its enterprises file) with ``count`` bad households at the end
    (sex "X"), so the job leaves a reject report."""
    import shutil

    header = source.open().readline().rstrip("\n").split(",")
    shutil.copyfile(source, target)
    if source.with_name("enterprises.csv").exists():
        shutil.copyfile(source.with_name("enterprises.csv"), target.with_name("enterprises.csv"))
    with target.open("a") as out:
        for i in range(count):
            row = {"household_key": f"BAD-{i}", "village_code": "12010101",
                   "person_key": f"BAD-{i}-1", "relationship": "head", "sex": "X",
                   "family_name_latin": "Sok", "given_name_latin": "Dara",
                   "date_of_birth": "1980-01-01"}
            out.write(",".join(row.get(c, "") for c in header) + "\n")
    return target


def _whole(ctx: object, expected: dict[str, int]) -> tuple[int, int, float]:
    """(households, people) stored; fails when a stored household of the file is not whole."""
    from spmis.registry.store import household, person

    t0 = time.perf_counter()
    with ctx.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            select(household.c.external_key, func.count(person.c.id))
            .select_from(household.outerjoin(person, person.c.household_id == household.c.id))
            .group_by(household.c.external_key)).all()
    half = [(k, n, expected.get(k)) for k, n in rows if n != expected.get(k)]
    if half:
        raise SystemExit(f"FAIL: {len(half):,} households not whole, e.g. {half[:3]}")
    return len(rows), sum(int(n) for _, n in rows), time.perf_counter() - t0


def _job(ctx: object, job_id: int) -> object:
    from spmis.jobs import store

    with ctx.engine.connect() as conn:  # type: ignore[attr-defined]
        return store.to_job(store.get(conn, job_id))  # type: ignore[arg-type]


def _run(args: argparse.Namespace, url: str, work: Path, source: Path) -> None:
    from spmis.auth.accounts import AccountService
    from spmis.auth.model import SYSTEM
    from spmis.config import Settings
    from spmis.context import AppContext
    from spmis.db.migrate import upgrade
    from spmis.registry.importer import import_enterprises

    upgrade(url)
    env = {**os.environ, "SPMIS_ENV": "test", "SPMIS_DATABASE_URL": url,
           "SPMIS_VAR_DIR": str(work / "var"),
           "SPMIS_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
           "SPMIS_ENCRYPTION_KEYS": f"bench:{_key()}", "SPMIS_BLIND_INDEX_KEY": _key()}
    settings = Settings(env="test", database_url=url, var_dir=work / "var",
                        secret_key=env["SPMIS_SECRET_KEY"],
                        encryption_keys=env["SPMIS_ENCRYPTION_KEYS"],
                        blind_index_key=env["SPMIS_BLIND_INDEX_KEY"])
    ctx = AppContext.create(settings)
    enterprises = source.with_name("enterprises.csv")
    if enterprises.exists():
        import_enterprises(ctx, enterprises, SYSTEM, reject_path=work / "ent-rejects.csv",
                           progress=False)
    AccountService(ctx).create_user("bench-registrar", "registrar", "", SYSTEM,
                                    password=PASSWORD)
    frame = pl.read_csv(source, columns=["household_key"], infer_schema=False)
    expected = dict(frame.group_by("household_key").len().iter_rows())
    rows, size_mb = frame.height, source.stat().st_size / 1e6
    print(f"file: {rows:,} rows, {len(expected):,} households, {size_mb:,.1f} MB; "
          f"engine: {'sqlite' if args.sqlite else 'postgresql'}; "
          f"chunk {settings.import_chunk_rows:,} rows, upload limit "
          f"{settings.import_max_upload_mb:,} MB")

    procs = Processes(env, work / "processes.log")
    try:
        print(f"server and worker up in {procs.start():.1f}s")
        browser = sign_in(procs.base)
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          browser.get("/office/imports").text)
        assert token
        t0 = time.perf_counter()
        with source.open("rb") as fh:
            r = browser.post("/office/imports", data={"csrf_token": token.group(1)},
                             files={"file": (source.name, fh, "text/csv")})
        upload_s = time.perf_counter() - t0
        if r.status_code != 303:
            raise SystemExit(f"upload refused: {r.status_code} {r.text[:300]}")
        job_id = int(r.headers["location"].rsplit("/", 1)[1])
        print(f"upload: {upload_s:.1f}s ({size_mb / upload_s:,.0f} MB/s), job {job_id}")

        while True:
            job = _job(ctx, job_id)
            if job.is_final:  # type: ignore[attr-defined]
                raise SystemExit(f"the job ended before the kill: {job}")
            if job.progress_done >= rows * args.kill_at:  # type: ignore[attr-defined]
                break
            time.sleep(0.1)
        first_s = time.perf_counter() - t0
        procs.kill()
        killed = _job(ctx, job_id)
        print(f"SIGKILL of worker and server {first_s:.1f}s after the upload started, job "
              f"{killed.state.value} at {killed.progress_done:,} of "  # type: ignore[attr-defined]
              f"{killed.progress_total or 0:,} rows ({killed.percent}%)")  # type: ignore[attr-defined]
        households, people, check_s = _whole(ctx, expected)
        print(f"after the kill: {households:,} households, {people:,} people stored, every one "
              f"whole (checked in {check_s:.1f}s)")

        t1 = time.perf_counter()
        up_s = procs.start()
        while _job(ctx, job_id).state.value == "running" and \
                _job(ctx, job_id).worker == killed.worker:  # type: ignore[attr-defined]
            time.sleep(0.1)
        taken_s = time.perf_counter() - t1
        print(f"restart: server and worker up in {up_s:.1f}s; job taken over "
              f"{taken_s:.1f}s after the restart began")
        while not (job := _job(ctx, job_id)).is_final:  # type: ignore[attr-defined]
            time.sleep(0.5)
        second_s = time.perf_counter() - t1
        result = job.result or {}  # type: ignore[attr-defined]
        print(f"job {job.state.value} after {second_s:.1f}s more "  # type: ignore[attr-defined]
              f"(attempts {job.attempts}); "  # type: ignore[attr-defined]
              f"{result.get('rows_read', 0):,} rows read, "
              f"{result.get('households_created', 0):,} households and "
              f"{result.get('people_created', 0):,} people created by the resumed attempt, "
              f"{result.get('rows_unchanged', 0):,} already there, "
              f"{result.get('rows_rejected', 0):,} rejected; the attempt's own time "
              f"{result.get('seconds', 0):.1f}s")
        for note in job.notes:  # type: ignore[attr-defined]
            print(f"  note: {note['en']}")
        households, people, check_s = _whole(ctx, expected)
        print(f"after the restart: {households:,} households, {people:,} people stored, every "
              f"one whole (checked in {check_s:.1f}s)")
        browser = sign_in(procs.base)
        page = browser.get(f"/office/jobs/{job_id}?lang=en").text
        link = re.search(r'href="(/office/jobs/\d+/reports/rejects.csv)"', page)
        report = browser.get(link.group(1)) if link else None
        print(f"reject report on the job page: {'yes' if link else 'NO'}"
              + (f", {len(report.content) / 1e6:,.1f} MB downloaded" if report else ""))
        left = list((work / "var" / "jobs" / "uploads").iterdir())
        print(f"uploads left on disk: {len(left)}")
    finally:
        procs.stop()
        ctx.engine.dispose()


if __name__ == "__main__":
    main()
