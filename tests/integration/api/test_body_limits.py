"""Every route has a body-size limit, enforced before the body is parsed (issue 12, finding 5):
an anonymous 400 MB JSON body to the screener used to be parsed whole (16 s, 1.5 GB). A body
over the limit gets 413 with an English and a Khmer message: declared by Content-Length
(refused unread) or streamed without one (counted, refused once past the limit)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from spmis.app import create_app
from spmis.context import AppContext

SCREENER = "/api/v1/screener"
GOOD = {"period": "2026-11", "idpoor_level": 2, "commune_code": "010201",
        "members": [{"age": 30, "sex": "female"}, {"age": 1}]}


def padded(size: int) -> bytes:
    """A JSON object of about ``size`` bytes (valid, so only its size can refuse it)."""
    return b'{"period": "2026-11", "members": [], "pad": "' + b"a" * size + b'"}'


def assert_413(r: Any, limit_text: str) -> None:
    assert r.status_code == 413, r.text[:300]
    body = r.json()
    assert limit_text in body["detail"] and body["detail_km"]
    assert r.headers["x-content-type-options"] == "nosniff"  # the usual headers still apply


def test_public_route_refuses_a_big_body_before_parsing(client: TestClient) -> None:
    assert client.post(SCREENER, json=GOOD).status_code == 200
    big = client.post(SCREENER, content=padded(200_000),
                      headers={"content-type": "application/json"})
    assert_413(big, "64 KiB")
    # not parsed: a broken JSON body of that size gets the same 413, not 422
    broken = client.post(SCREENER, content=b"{" * 200_000,
                         headers={"content-type": "application/json"})
    assert_413(broken, "64 KiB")
    # an unknown address gets the public limit
    assert_413(client.post("/api/v1/nowhere", content=padded(100_000)), "64 KiB")


def test_staff_route_has_a_larger_limit(auth_client: Any) -> None:
    clerk = auth_client("registrar")
    mid = clerk.post("/api/v1/households", content=padded(200_000),
                     headers={"content-type": "application/json"})
    assert mid.status_code == 422  # 200 KB is read and validated on a staff route
    big = clerk.post("/api/v1/households", content=padded(5 * 1024**2),
                     headers={"content-type": "application/json"})
    assert_413(big, "4.0 MiB")


def test_body_without_content_length_is_counted(client: TestClient) -> None:
    def chunks(n: int) -> Iterator[bytes]:
        yield b'{"pad": "'
        for _ in range(n):
            yield b"a" * 16_384
        yield b'"}'

    r = client.post(SCREENER, content=chunks(8), headers={"content-type": "application/json"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert_413(r, "64 KiB")


def test_limits_are_settings(ctx: AppContext) -> None:
    small = ctx.settings.model_copy(update={"max_body_public_bytes": 2048})
    app = create_app(ctx=AppContext(small, ctx.engine, ctx.gazetteer, ctx.cipher))
    with TestClient(app) as c:
        assert_413(c.post(SCREENER, content=padded(3000),
                          headers={"content-type": "application/json"}), "2 KiB")
        assert c.post(SCREENER, json=GOOD).status_code == 200


class _Server:
    def __init__(self, app: FastAPI) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_chunked_stream_to_a_real_server_is_cut_at_the_limit(app: FastAPI) -> None:
    """Through uvicorn the body arrives in many pieces; the server answers 413 after about the
    limit and stops reading, long before the 8 MiB the client means to send."""
    with _Server(app) as srv, socket.create_connection(("127.0.0.1", srv.port), 10) as sock:
        sock.sendall(b"POST /api/v1/screener HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        sent = 0
        piece = b"a" * 8192
        try:
            while sent < 8 * 1024**2:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
        except OSError:
            pass  # the server closed the connection after answering
        sock.settimeout(10)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b"64 KiB" in body
    assert sent < 8 * 1024**2  # refused while the client was still sending


def test_every_route_has_a_limit_by_its_access_rule() -> None:
    import re as _re

    from spmis.auth.policy import ROUTE_POLICY
    from spmis.auth.roles import PUBLIC
    from spmis.body_limit import UPLOAD_ROUTES, BodyLimit

    limiter = BodyLimit(None, public_bytes=1, staff_bytes=2)  # type: ignore[arg-type]
    for (method, path), rule in ROUTE_POLICY.items():
        if method == "MOUNT":
            continue
        scope = {"type": "http", "method": method, "path": _re.sub(r"\{[^}]+\}", "1", path),
                 "headers": [(b"content-type", b"multipart/form-data; boundary=x")]}
        expected = None if (method, path) in UPLOAD_ROUTES else (1 if rule == PUBLIC else 2)
        assert limiter.limit_for(scope) == expected, f"{method} {path}"
        scope["headers"] = [(b"content-type", b"application/json")]
        assert limiter.limit_for(scope) == (1 if rule == PUBLIC else 2), f"{method} {path}"
    assert set(ROUTE_POLICY) >= UPLOAD_ROUTES
