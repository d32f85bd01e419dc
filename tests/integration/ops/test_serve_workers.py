"""Issue 18: ``spmis serve --workers N`` - a real server with several worker processes on one
database: the public rate limit holds across the workers, the metrics add up every worker's
requests, every response carries a request id, and the log is JSON lines."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.config import Settings
from spmis.context import AppContext
from tests.integration.ops.server import running_server

# real processes on a shared machine: more than the suite's 300 s when it is busy
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

MAX_ROUNDS = 25


def test_several_workers_share_limits_and_metrics(settings: Settings, ctx: AppContext,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path, make_user) -> None:
    accounts = AccountService(ctx)
    cid, secret = accounts.create_client("prometheus", "metrics", "", SYSTEM)
    staff = {"Authorization": f"Bearer {accounts.user_token(make_user('auditor')).token}"}
    limited = settings.model_copy(update={"public_rate_per_minute": 1, "public_rate_burst": 6})
    log = tmp_path / "server.log"
    fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection, any worker, each time
    with running_server(limited, log, workers=2) as base, \
            httpx.Client(base_url=base, limits=fresh) as http:
        token = http.post("/api/v1/auth/token", data={"grant_type": "client_credentials"},
                          auth=(cid, secret))
        assert token.status_code == 200, token.text
        # the public limit: a burst of 6 for this address, whichever worker answers (the
        # liveness check and the token took two)
        codes = [http.get("/api/v1/reference/provinces").status_code for _ in range(12)]
        assert codes == [200] * 4 + [429] * 8, codes
        # staff requests are not limited; several at a time until both workers answered
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        seen: dict[str, int] = {}
        with ThreadPoolExecutor(8) as pool:
            for _ in range(MAX_ROUNDS):
                for r in pool.map(lambda _i: http.get("/api/v1/auth/me", headers=staff),
                                  range(16)):
                    assert r.status_code == 200
                    seen[r.headers["x-request-id"]] = 1
                if len(_processes(log, seen)) >= 2:
                    break
        assert len(_processes(log, seen)) == 2, "both workers answered"
        # the metrics, whichever worker answers the scrape, add up both workers' answers (a
        # request is counted just after its answer is sent: allow a moment)
        counted = 0.0
        for _ in range(50):
            counted = _count(http.get("/metrics", headers=bearer).text)
            if counted >= len(seen):
                break
            time.sleep(0.2)
        assert counted == len(seen)


def _count(metrics_text: str) -> float:
    line = next(ln for ln in metrics_text.splitlines() if ln.startswith(
        'spmis_http_requests_total{method="GET",route="/api/v1/auth/me",status="200"}'))
    return float(line.split()[-1])


def _processes(log: Path, request_ids: dict[str, int]) -> set[int]:
    """The worker processes that logged an access line for one of ``request_ids``."""
    entries = [json.loads(ln) for ln in log.read_text().splitlines() if ln.startswith("{")]
    return {e["process"] for e in entries
            if e["logger"] == "spmis.access" and e["request_id"] in request_ids}
