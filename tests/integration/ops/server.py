"""Real server processes for the operations tests: ``spmis serve`` started on a free loopback
port with test settings, waited for, and stopped (its whole process group) afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from spmis.config import Settings

SPMIS = str(Path(sys.executable).parent / "spmis")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives a child process ``settings`` (and ``extra`` SPMIS_ values)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SPMIS_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({
        "SPMIS_ENV": settings.env.value, "SPMIS_DATABASE_URL": settings.database_url,
        "SPMIS_VAR_DIR": str(settings.var_dir), "SPMIS_SECRET_KEY": settings.secret_key,
        "SPMIS_ENCRYPTION_KEYS": settings.encryption_keys,
        "SPMIS_BLIND_INDEX_KEY": settings.blind_index_key,
        "SPMIS_PUBLIC_RATE_PER_MINUTE": str(settings.public_rate_per_minute),
        "SPMIS_PUBLIC_RATE_BURST": str(settings.public_rate_burst),
    })
    env.update({f"SPMIS_{k.upper()}": v for k, v in extra.items()})
    return env


@contextmanager
def running_server(settings: Settings, log: Path, workers: int = 1,
                   **extra: str) -> Iterator[str]:
    """``spmis serve`` with ``settings`` on a free port; yields its base URL."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [SPMIS, "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)],
            env=settings_env(settings, **extra), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_alive(base, proc, log)
            yield base
        finally:
            stop(proc)


def wait_until_alive(base: str, proc: subprocess.Popen[bytes], log: Path,
                     timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server did not answer in {timeout} s: {log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
