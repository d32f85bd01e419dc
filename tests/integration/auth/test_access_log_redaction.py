"""The access log of a real uvicorn server, end to end: secrets in a URL are redacted and the
access entry is still written (issue 12 #10: redaction set ``args=None``, uvicorn's access
formatter failed on it, printed a traceback and the entry was lost)."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from spmis.db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[3]
STARTUP_SECONDS = 120
SECRETS = {"phone": "012345678", "token": "s3cr3t-t0ken-value", "identifier": "100200300"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _wait_for(path: Path, needle: str, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    while True:
        text = path.read_text("utf-8", errors="replace")
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


@pytest.fixture
def engine_kind() -> str:
    """The log does not depend on the database engine: SQLite only."""
    return "sqlite"


def test_redacted_requests_keep_their_access_log_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'spmis.db'}"
    upgrade(db)
    env = {**os.environ, "SPMIS_ENV": "test", "SPMIS_DATABASE_URL": db,
           "SPMIS_VAR_DIR": str(tmp_path / "var"),
           "SPMIS_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
           "SPMIS_ENCRYPTION_KEYS": f"t1:{_key()}", "SPMIS_BLIND_INDEX_KEY": _key()}
    port = _free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        # uvicorn's own default logging configuration, access log on, as `spmis serve` runs it
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "spmis.main:app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "info"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                try:
                    _get(f"{base}/health")
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(log_path.read_text("utf-8", errors="replace"))
                    time.sleep(0.25)
            query = "&".join(f"{k}={v}" for k, v in SECRETS.items())
            assert _get(f"{base}/health?{query}&area=12") == 200
            assert _get(f"{base}/api/v1/persons?identifier_type=national_id&"
                        f"identifier={SECRETS['identifier']}") == 401
            text = _wait_for(log_path, '/api/v1/persons?identifier_type=national_id&identifier=***')
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = log_path.read_text("utf-8", errors="replace")
    assert "Traceback" not in text and "Logging error" not in text, text
    for secret in SECRETS.values():
        assert secret not in text, text
    access = [line for line in text.splitlines() if '"GET /health?' in line]
    assert access, text
    assert "phone=***&token=***&identifier=***&area=12 HTTP/1.1\" 200" in access[0], access
    assert "127.0.0.1:" in access[0]  # the client address argument survived redaction
    assert any('identifier_type=national_id&identifier=*** HTTP/1.1" 401' in line
               for line in text.splitlines()), text
