"""Issue 18: liveness and readiness, Prometheus metrics for a monitoring client only, a request id
on every request and its log lines, and no query string (personal data) in the access log."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spmis.app import create_app
from spmis.auth import tokens
from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.context import AppContext
from spmis.db.migrate import head_revision
from spmis.jobs import JobKind, JobService, JobWork, register
from spmis.jobs.worker import JobWorker
from spmis.logs import JsonFormatter
from tests.conftest import make_settings


def test_liveness_and_readiness(client: TestClient) -> None:
    alive = client.get("/health")
    assert alive.status_code == 200 and alive.json()["status"] == "alive"
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert body["schema_version"] == body["schema_head"] == head_revision()


def test_not_ready_before_migrations(empty_db_url: str, tmp_path: Path) -> None:
    ctx = AppContext.create(make_settings(empty_db_url, tmp_path / "var"))
    try:
        with TestClient(create_app(ctx=ctx)) as c:
            assert c.get("/health").status_code == 200  # alive all the same
            r = c.get("/health/ready")
            assert r.status_code == 503
            assert r.json()["status"] == "migration needed"
            assert "spmis db upgrade" in r.json()["reason"] and r.json()["reason_km"]
    finally:
        ctx.engine.dispose()


def test_not_ready_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # port 9 (discard) on the loopback: nothing listens, the connection is refused at once
    ctx = AppContext.create(make_settings("postgresql://root@127.0.0.1:9/none", tmp_path / "v"))
    try:
        with TestClient(create_app(ctx=ctx)) as c:
            assert c.get("/health").status_code == 200
            r = c.get("/health/ready")
            assert r.status_code == 503 and r.json()["status"] == "database unreachable"
            # a route that needs the database: a clear 503 with Retry-After, never a 500
            token = tokens.issue(ctx.settings.secret_key, "user:someone", 5).token
            r = c.get("/api/v1/households", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 503, r.text
            assert int(r.headers["retry-after"]) >= 1
            assert r.json()["detail"] and r.json()["detail_km"]
    finally:
        ctx.engine.dispose()


def _metrics_client(ctx: AppContext, app) -> TestClient:  # type: ignore[no-untyped-def]
    accounts = AccountService(ctx)
    cid, secret = accounts.create_client("prometheus", "metrics", "", SYSTEM)
    token = accounts.client_token(cid, secret).token
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def test_metrics_only_for_a_monitoring_client(app, ctx: AppContext, client: TestClient,  # type: ignore[no-untyped-def]
                                              auth_client) -> None:
    client.get("/api/v1/reference/provinces")
    assert client.get("/metrics").status_code == 401
    assert auth_client("registrar").get("/metrics").status_code == 403
    assert auth_client("auditor").get("/metrics").status_code == 403
    with _metrics_client(ctx, app) as prometheus:
        r = prometheus.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        text = r.text
        assert "# TYPE spmis_http_requests_total counter" in text
        assert ('spmis_http_requests_total{method="GET",route="/api/v1/reference/provinces",'
                'status="200"}') in text
        assert "spmis_http_request_duration_seconds_bucket" in text
        assert "spmis_database_up 1.0" in text
        # the monitoring client reads metrics and nothing else
        assert prometheus.get("/api/v1/households").status_code == 403
        assert prometheus.get("/api/v1/auth/me").status_code == 403


def test_metrics_count_by_route_template(app, ctx: AppContext, auth_client) -> None:  # type: ignore[no-untyped-def]
    staff = auth_client("registrar")
    for hid in (987654, 987655, 987656):
        assert staff.get(f"/api/v1/households/{hid}").status_code == 404
    staff.get("/no/such/address")
    with _metrics_client(ctx, app) as prometheus:
        text = prometheus.get("/metrics").text
    assert 'route="/api/v1/households/{household_id}",status="404"' in text
    assert "987654" not in text
    assert 'route="<unmatched>"' in text and "/no/such/address" not in text


def test_request_id_in_and_out(client: TestClient) -> None:
    given = client.get("/health", headers={"X-Request-ID": "lb-42.a:b"})
    assert given.headers["x-request-id"] == "lb-42.a:b"
    made = client.get("/health").headers["x-request-id"]
    assert len(made) == 32 and made != client.get("/health").headers["x-request-id"]
    # a header that could forge log lines is replaced, not echoed
    bad = client.get("/health", headers={"X-Request-ID": "x\" \"level\":\"ERROR"})
    assert bad.headers["x-request-id"] != "x\" \"level\":\"ERROR"
    assert client.get("/no/such/page").headers["x-request-id"]  # 404s too


def test_access_log_is_json_with_request_id_and_no_query(auth_client,  # type: ignore[no-untyped-def]
                                                         caplog: pytest.LogCaptureFixture) -> None:
    staff = auth_client("registrar")
    with caplog.at_level(logging.INFO, logger="spmis.access"):
        r = staff.get("/api/v1/households", params={"name": "Sok Dara", "national_id": "1002003"},
                      headers={"X-Request-ID": "req-123"})
    assert r.status_code == 200
    lines = [JsonFormatter().format(rec) for rec in caplog.records if rec.name == "spmis.access"]
    assert lines
    entry = json.loads(lines[-1])
    assert entry["request_id"] == "req-123"
    assert entry["route"] == "/api/v1/households" and entry["status"] == 200
    assert entry["method"] == "GET" and entry["duration_ms"] >= 0
    assert "Sok" not in lines[-1] and "1002003" not in lines[-1]
    assert "Bearer" not in lines[-1]


def _ops_metrics_job(work: JobWork) -> dict[str, Any]:
    return {"done": True}


register(JobKind("test.ops_metrics", "Metrics test", "សាកល្បងរង្វាស់", run=_ops_metrics_job))


def test_metrics_count_jobs_by_state(app, ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    service = JobService(ctx)
    for _ in range(3):
        service.submit(SYSTEM, "test.ops_metrics", {}, check_roles=False)
    with _metrics_client(ctx, app) as prometheus:
        text = prometheus.get("/metrics").text
        assert 'spmis_jobs{kind="test.ops_metrics",state="queued"} 3.0' in text
        assert 'spmis_jobs{kind="test.ops_metrics",state="succeeded"} 0.0' in text
        waited = next(ln for ln in text.splitlines()
                      if ln.startswith("spmis_jobs_oldest_queued_seconds "))
        assert 0.0 < float(waited.split()[-1]) < 600
        JobWorker(ctx).drain()
        text = prometheus.get("/metrics").text
    assert 'spmis_jobs{kind="test.ops_metrics",state="succeeded"} 3.0' in text
    assert 'spmis_jobs{kind="test.ops_metrics",state="queued"} 0.0' in text
    assert "spmis_jobs_oldest_queued_seconds 0.0" in text


def test_metrics_say_how_old_the_indicators_are(app, ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    """A capability's own gauge (its manifest's ``gauges``): no sample before the first refresh,
    then the seconds since the newest one."""
    from spmis.indicators.service import IndicatorService

    with _metrics_client(ctx, app) as prometheus:
        text = prometheus.get("/metrics").text
        assert "# TYPE spmis_indicators_refresh_age_seconds gauge" in text
        assert not [ln for ln in text.splitlines()
                    if ln.startswith("spmis_indicators_refresh_age_seconds ")]
        IndicatorService(ctx).refresh("tester")
        text = prometheus.get("/metrics").text
    age = next(ln for ln in text.splitlines()
               if ln.startswith("spmis_indicators_refresh_age_seconds "))
    assert 0.0 <= float(age.split()[-1]) < 600
