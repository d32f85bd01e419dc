"""Issue 18, fault: PostgreSQL restarts while the server is serving. Requests that meet the
outage (in flight when the database stops, or arriving while it is down) get a clear 503 with
Retry-After and an English and Khmer message - never a 500 - and the same server processes
answer 200 again by themselves once the database is back, without being restarted.

The test starts its OWN PostgreSQL server (``own_postgres``): the machine's shared one is never
stopped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.db.migrate import upgrade
from tests.conftest import TEST_PASSWORD, make_settings
from tests.integration.ops.own_postgres import own_postgres
from tests.integration.ops.server import running_server

# real processes on a shared machine: more than the suite's 300 s when it is busy
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(900)]

CLIENTS = 4


class Traffic:
    """``CLIENTS`` threads sending ``request`` until stopped, recording every answer."""

    def __init__(self, request: Callable[[httpx.Client], httpx.Response]) -> None:
        self.request = request
        self.answers: list[tuple[float, int, httpx.Response | None]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(CLIENTS)

    def __enter__(self) -> Traffic:
        for _ in range(CLIENTS):
            self._pool.submit(self._loop)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True)

    def _loop(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self._stop.is_set():
                try:
                    r: httpx.Response | None = self.request(http)
                    status = r.status_code if r is not None else 0
                except httpx.HTTPError:
                    r, status = None, -1  # the server itself did not answer
                with self._lock:
                    self.answers.append((time.monotonic(), status, r))
                time.sleep(0.02)

    def since(self, moment: float) -> list[int]:
        with self._lock:
            return [status for at, status, _r in self.answers if at >= moment]


def test_postgres_restart_gives_503_then_recovers_without_a_restart(tmp_path: Path) -> None:
    with own_postgres() as pg:
        upgrade(pg.url)
        settings = make_settings(pg.url, tmp_path / "var")
        ctx = AppContext.create(settings)
        try:
            accounts = AccountService(ctx)
            accounts.create_user("auditor1", "auditor", "", SYSTEM, password=TEST_PASSWORD)
            token = accounts.user_token("auditor1").token
        finally:
            ctx.engine.dispose()
        log = tmp_path / "server.log"
        with running_server(settings, log, workers=2) as base:
            headers = {"Authorization": f"Bearer {token}"}

            def search(http: httpx.Client) -> httpx.Response:
                return http.get(f"{base}/api/v1/households", headers=headers)

            with Traffic(search) as traffic:
                time.sleep(3)
                before = traffic.since(0)
                assert before and set(before) == {200}, before
                pg.stop("fast")  # ends the sessions of the requests in flight
                stopped = time.monotonic()  # the server is down from here
                time.sleep(3)
                assert httpx.get(f"{base}/health").status_code == 200  # alive
                ready = httpx.get(f"{base}/health/ready")
                assert ready.status_code == 503
                assert ready.json()["status"] == "database unreachable"
                down_until = time.monotonic()
                pg.start()
                restarted = time.monotonic()
                deadline = restarted + 60
                while time.monotonic() < deadline and 200 not in traffic.since(restarted):
                    time.sleep(0.2)
                recovered = time.monotonic()
                time.sleep(3)
            during = [s for at, s, _r in traffic.answers if stopped + 0.5 <= at < down_until]
            after = traffic.since(recovered + 1)
            recovery_seconds = recovered - restarted
            assert httpx.get(f"{base}/health/ready").status_code == 200
        refusals = [r for _at, s, r in traffic.answers if s == 503]
    statuses = {s for _at, s, _r in traffic.answers}
    assert statuses <= {200, 503}, f"only 200 and 503, never a 500 or no answer: {statuses}"
    assert during and set(during) == {503}, during
    assert after and set(after) == {200}, "the server recovered by itself"
    assert recovery_seconds < 30
    for r in refusals:
        assert r is not None and int(r.headers["retry-after"]) >= 1
        assert r.json()["detail"] and r.json()["detail_km"]
    server_log = log.read_text()
    assert "died" not in server_log and "Traceback" not in server_log
