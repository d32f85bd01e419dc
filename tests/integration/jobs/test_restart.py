"""Acceptance (issue 11, background jobs): a large import started from the web page survives
``kill -9`` of the worker and the server in the middle.

Real processes: a uvicorn server and an ``spmis worker`` on a fresh database of each engine.
A registrar signs in and uploads a ~40,000-row households file on the import page; when the job
has read at least a tenth of it, the worker and the server are killed with SIGKILL. Then:

- right after the kill, every household of the file is in the registry with all its members, or
  not at all (each chunk of households is one transaction);
- started again, the job is resumed and succeeds (or, if it could not, it is failed with the
  reason: never left "running"), its page says where it had stopped;
- the registry then holds every household of the file that was not rejected, each whole;
- the reject report is on the job's page and downloads; the upload is gone.

The full 1,000,000-row version is ``bench/import_job_restart.py`` (run by hand)."""

from __future__ import annotations

import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import polars as pl
import pytest
from sqlalchemy import func, select

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.config import Settings
from spmis.context import AppContext
from spmis.jobs import store as job_store
from spmis.jobs.model import JobState
from spmis.registry.store import household, person
from spmis.synth.generator import generate

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

HOUSEHOLDS = 9_500  # about 40,000 rows
PASSWORD = "correct horse battery staple"
SPMIS = Path(sys.executable).with_name("spmis")
ROOT = Path(__file__).resolve().parents[3]


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Installation:
    """An SPMIS installation on ``db_url``: settings for the test process and the environment
    of its server and worker processes."""

    def __init__(self, db_url: str, tmp: Path) -> None:
        self.tmp = tmp
        self.env = {
            **os.environ, "SPMIS_ENV": "test", "SPMIS_DATABASE_URL": db_url,
            "SPMIS_VAR_DIR": str(tmp / "var"),
            "SPMIS_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
            "SPMIS_ENCRYPTION_KEYS": f"r1:{_key()}", "SPMIS_BLIND_INDEX_KEY": _key(),
            "SPMIS_IMPORT_CHUNK_ROWS": "500", "SPMIS_JOBS_HEARTBEAT_SECONDS": "0.2",
            "SPMIS_JOBS_LEASE_SECONDS": "5",
        }
        self.settings = Settings(
            env="test", database_url=db_url, var_dir=tmp / "var",
            secret_key=self.env["SPMIS_SECRET_KEY"],
            encryption_keys=self.env["SPMIS_ENCRYPTION_KEYS"],
            blind_index_key=self.env["SPMIS_BLIND_INDEX_KEY"])
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.log = (tmp / "processes.log").open("ab")

    def start(self) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
        """Start the server and the worker; return when the server answers."""
        log = self.log
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "spmis.main:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        worker = subprocess.Popen([str(SPMIS), "worker"], env=self.env, cwd=ROOT, stdout=log,
                                  stderr=subprocess.STDOUT)
        self.procs += [server, worker]
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return server, worker
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail((self.tmp / "processes.log").read_text())
            time.sleep(0.2)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        self.log.close()


@pytest.fixture
def installation(db_url: str, tmp_path: Path) -> Iterator[Installation]:
    inst = Installation(db_url, tmp_path)
    try:
        yield inst
    finally:
        inst.stop_all()


def sign_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, headers={"Accept": "text/html"}, timeout=120)
    page = client.get("/login").text
    token = re.search(r'name="login_token" value="([^"]+)"', page)
    assert token
    r = client.post("/login", data={"username": username, "password": PASSWORD,
                                    "next": "/office", "login_token": token.group(1)})
    assert r.status_code in (200, 303), r.text
    return client


def whole_households(ctx: AppContext, expected: dict[str, int]) -> tuple[int, int]:
    """(households stored, people stored) after checking that every stored household of the file
    has exactly its members from the file."""
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(household.c.external_key, func.count(person.c.id))
            .select_from(household.outerjoin(person, person.c.household_id == household.c.id))
            .group_by(household.c.external_key)).all()
    stored = {key: int(n) for key, n in rows}
    half = {k: (n, expected.get(k)) for k, n in stored.items() if n != expected.get(k)}
    assert not half, f"households not whole (stored, in file): {list(half.items())[:5]}"
    return len(stored), sum(stored.values())


def test_import_survives_kill_9_of_worker_and_server(installation: Installation,
                                                     engine_kind: str) -> None:
    inst = installation
    data = inst.tmp / "synth"
    generate(households=HOUSEHOLDS, seed=11, out_dir=data, duplicate_share=0.0)
    source = data / "households.csv"
    text = source.read_text()
    # a household with a bad row at the end: rejected whole, listed in the reject report
    bad = {"household_key": "ZZ-BAD", "village_code": "12010101", "person_key": "ZZ-P1",
           "relationship": "head", "family_name_latin": "Sok", "given_name_latin": "Dara",
           "sex": "X", "date_of_birth": "1980-01-01"}
    header = text.split("\n", 1)[0].split(",")
    source.write_text(text + ",".join(bad.get(c, "") for c in header) + "\n")
    frame = pl.read_csv(source, infer_schema=False)
    expected = dict(frame.group_by("household_key").len().iter_rows())
    total_rows = frame.height
    ctx = AppContext.create(inst.settings)
    try:
        AccountService(ctx).create_user("reg-import", "registrar", "", SYSTEM,
                                        password=PASSWORD)
        server, worker = inst.start()
        browser = sign_in(inst.base, "reg-import")
        form = browser.get("/office/imports").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        with source.open("rb") as fh:
            r = browser.post("/office/imports", data={"csrf_token": token.group(1)},
                             files={"file": ("households.csv", fh, "text/csv")})
        assert r.status_code == 303, r.text
        job_url = r.headers["location"]
        job_id = int(job_url.rsplit("/", 1)[1])

        # --- wait until the worker is a tenth of the way, then kill -9 both processes
        deadline = time.monotonic() + 120
        while True:
            with ctx.engine.connect() as conn:
                job = job_store.to_job(job_store.get(conn, job_id))  # type: ignore[arg-type]
            if job.state == JobState.RUNNING and job.progress_done >= total_rows // 10:
                break
            assert job.state in (JobState.QUEUED, JobState.RUNNING), (job.state, job.error)
            assert time.monotonic() < deadline, "the import did not start"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        os.kill(server.pid, signal.SIGKILL)
        worker.wait()
        server.wait()
        browser.close()

        with ctx.engine.connect() as conn:
            at_kill = job_store.to_job(job_store.get(conn, job_id))  # type: ignore[arg-type]
        assert at_kill.state == JobState.RUNNING, "killed before the job ended"
        assert at_kill.progress_done < total_rows
        stored_at_kill, _ = whole_households(ctx, expected)  # none half-written

        # --- start both again: the job is taken over, resumed and finished
        inst.start()
        deadline = time.monotonic() + 180
        while True:
            with ctx.engine.connect() as conn:
                job = job_store.to_job(job_store.get(conn, job_id))  # type: ignore[arg-type]
            if job.is_final:
                break
            assert time.monotonic() < deadline, f"job still {job.state} after the restart"
            time.sleep(0.2)
        stopped = [n["en"] for n in job.notes
                   if n["en"].startswith("the worker stopped while the job was running (at ")]
        assert stopped, job.notes
        if job.state == JobState.FAILED:  # allowed, but only with its reason
            assert job.error_code == "worker_lost" and job.error
        else:
            assert job.state == JobState.SUCCEEDED, (job.state, job.error)
            assert job.attempts == 2
            assert job.result is not None
            assert job.result["rows_read"] == total_rows
            assert job.result["rows_rejected"] >= 1
            assert job.result["rows_unchanged"] >= stored_at_kill  # the first attempt's rows
        households, people = whole_households(ctx, expected)
        if job.state == JobState.SUCCEEDED:
            assert job.result is not None
            assert people == total_rows - job.result["rows_rejected"]
            assert households > stored_at_kill

        # --- the job page (new server) tells the story and offers the reject report
        browser = sign_in(inst.base, "reg-import")
        page = browser.get(job_url + "?lang=en").text
        assert "the worker stopped while the job was running (at " in page
        link = re.search(r'href="(/office/jobs/\d+/reports/rejects.csv)"', page)
        assert link, "the reject report is on the job's page"
        report = browser.get(link.group(1))
        assert report.status_code == 200 and "ZZ-BAD" in report.text
        browser.close()
        assert list((inst.tmp / "var" / "jobs" / "uploads").iterdir()) == []
        assert engine_kind in ("sqlite", "postgres")
    finally:
        ctx.engine.dispose()
