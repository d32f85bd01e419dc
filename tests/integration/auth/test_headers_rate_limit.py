"""Security headers on every response; public endpoints rate limited per client address."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from spmis.app import create_app
from spmis.auth.ratelimit import SharedTokenBucket, TokenBucket
from spmis.config import Settings
from spmis.context import AppContext


def _assert_headers(r, hsts: bool) -> None:  # type: ignore[no-untyped-def]
    h = r.headers
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    assert ("strict-transport-security" in h) is hsts


def test_headers_on_every_kind_of_response(client: TestClient, auth_client) -> None:  # type: ignore[no-untyped-def]
    responses = [
        client.get("/health"),
        client.get("/api/v1/reference/provinces"),
        client.get("/api/v1/households"),  # 401
        client.get("/no/such/page"),  # 404
        client.get("/docs"),
        auth_client("auditor").post("/api/v1/households", json={}),  # 403
        auth_client("registrar").post("/api/v1/households", json={"bad": 1}),  # 422
    ]
    for r in responses:
        _assert_headers(r, hsts=True)  # env=test is not development
    assert responses[2].headers["cache-control"] == "no-store"


def test_no_hsts_in_development(tmp_path: Path, ctx: AppContext) -> None:
    dev = AppContext.create(Settings(env="development", var_dir=tmp_path,
                                     database_url=ctx.settings.database_url))
    try:
        with TestClient(create_app(ctx=dev)) as c:
            _assert_headers(c.get("/health"), hsts=False)
    finally:
        dev.engine.dispose()


def test_public_endpoints_rate_limited_per_address(app: FastAPI, auth_client) -> None:  # type: ignore[no-untyped-def]
    app.state.rate_limiter = TokenBucket(per_minute=60, burst=3)
    anonymous = TestClient(app)
    codes = [anonymous.get("/api/v1/reference/provinces").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = anonymous.get("/health")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["detail_km"]
    # another address has its own bucket; staff routes are not counted
    other = TestClient(app, client=("203.0.113.9", 50000))
    assert other.get("/api/v1/reference/provinces").status_code == 200
    staff = auth_client("auditor")
    assert all(staff.get("/api/v1/households").status_code == 200 for _ in range(5))


def test_api_docs_are_served_from_spmis_itself(client: TestClient) -> None:
    """Issue 12 #12: /docs loaded an unpinned Swagger UI from a public CDN (and broke on an
    offline network). Every file it needs now comes from SPMIS; no script is inline."""
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "http://" not in page.text and "https://" not in page.text
    assert "<script>" not in page.text  # only <script src=...>: the CSP allows no inline script
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "http" not in csp
    sources = [s for s in re.findall(r'(?:src|href)="([^"]+)"', page.text) if s != "data:,"]
    assert sources and all(s.startswith("/static/") for s in sources), sources
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["cache-control"].startswith("public")
    assert client.get("/static/vendor/swagger-ui.LICENSE.txt").status_code == 200
    assert client.get("/redoc").status_code == 404  # removed rather than left on a CDN
    assert client.get("/openapi.json").status_code == 200


def test_public_limit_holds_across_two_app_instances(settings: Settings) -> None:
    """Issue 18: the buckets were kept in each process's memory, so N workers (or servers) let
    an address through N times the limit. Two applications with their own engines on one
    database - as two workers or two servers - now share one bucket per address."""
    limited = settings.model_copy(update={"public_rate_per_minute": 1, "public_rate_burst": 3})
    ctx_a, ctx_b = AppContext.create(limited), AppContext.create(limited)
    try:
        a = TestClient(create_app(ctx=ctx_a))
        b = TestClient(create_app(ctx=ctx_b))
        codes = [c.get("/api/v1/reference/provinces").status_code for c in (a, b, a, b, a)]
        assert codes == [200, 200, 200, 429, 429]
        assert int(b.get("/health").headers["retry-after"]) >= 1
        other = TestClient(create_app(ctx=ctx_b), client=("203.0.113.9", 50000))
        assert other.get("/api/v1/reference/provinces").status_code == 200
    finally:
        ctx_a.engine.dispose()
        ctx_b.engine.dispose()


def test_shared_bucket_refills_with_time(ctx: AppContext) -> None:
    now = [1_000_000.0]
    bucket = SharedTokenBucket(ctx.engine, per_minute=60, burst=2, clock=lambda: now[0])
    assert bucket.take("a") == 0 and bucket.take("a") == 0
    assert bucket.take("a") == pytest.approx(1.0)
    assert bucket.take("b") == 0
    now[0] += 1.0
    assert bucket.take("a") == 0
    assert bucket.take("a") == pytest.approx(1.0)
    now[0] += 3600  # a long pause refills to the burst, never beyond it
    assert [bucket.take("a") for _ in range(3)][:2] == [0, 0]
    assert bucket.take("a") > 0


def test_a_busy_address_takes_tokens_a_lease_at_a_time(ctx: AppContext) -> None:
    """Under load from one address every public request wrote the same row, so all workers
    queued on its lock. A busy address now takes a lease of tokens per write; across two
    processes the limit still holds, and no more tokens are ever handed out than the bucket had."""
    now = [2_000_000.0]
    a = SharedTokenBucket(ctx.engine, per_minute=60, burst=200, clock=lambda: now[0])
    b = SharedTokenBucket(ctx.engine, per_minute=60, burst=200, clock=lambda: now[0])
    assert a.lease == 20
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "public_rate_bucket" in statement:
            statements.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        allowed = sum(1 for i in range(400) if (a if i % 2 else b).take("198.51.100.7") == 0)
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)
    assert 200 - 2 * a.lease <= allowed <= 200
    assert len(statements) < 60, len(statements)  # not one write per request
    # a lease unspent for longer than LEASE_SECONDS is dropped; the bucket refills with time
    now[0] += 30
    assert a.take("198.51.100.7") == 0
    assert sum(1 for _ in range(100) if a.take("198.51.100.7") == 0) <= 30


def test_requests_arriving_together_ask_the_database_once(ctx: AppContext) -> None:
    """When a lease runs out while many requests of one address arrive together, one thread of
    the process asks the database and the others spend its lease: no write each, no queue on
    the row's lock. The answer from memory (``take_local``) needs no database at all."""
    now = [3_000_000.0]
    bucket = SharedTokenBucket(ctx.engine, per_minute=60, burst=500, clock=lambda: now[0])
    assert bucket.lease == 50
    assert bucket.take_local("198.51.100.8") is None  # nothing known here yet: ask
    assert bucket.take("198.51.100.8") == 0  # a quiet address: one token
    writes: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO PUBLIC_RATE_BUCKET"):
            writes.append(statement)
            time.sleep(0.05)  # a slow database: the other threads arrive meanwhile

    event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            waits = list(pool.map(bucket.take, ["198.51.100.8"] * 40))
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)
    assert waits == [0.0] * 40
    assert len(writes) == 1, writes  # 40 requests, one lease of 50 (without one asker: 20+)
    assert bucket.take_local("198.51.100.8") == 0.0  # the lease's 10th token, from memory
