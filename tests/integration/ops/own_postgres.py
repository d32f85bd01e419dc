"""A throwaway PostgreSQL server of the test's own (``initdb`` and ``pg_ctl`` from
/usr/lib/postgresql/*/bin, in a temporary folder, on a free loopback port), so a test may stop and
restart it without touching the machine's shared server. Run as the ``postgres`` user when the
test runs as root (``initdb`` refuses root)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.ops.server import free_port


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not found:
        pytest.fail("PostgreSQL's initdb is not installed (apt-get install postgresql)")
    return found[-1].parent


@dataclass
class OwnPostgres:
    bin_dir: Path
    data: Path
    port: int
    user: str | None  # the system user the server runs as (None: this one)

    @property
    def url(self) -> str:
        return f"postgresql://spmis@127.0.0.1:{self.port}/spmis"

    def run(self, tool: str, *args: str, timeout: float = 120) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=60")
        self.run("pg_ctl", "-D", str(self.data / "db"), "-o", options,
                 "-l", str(self.data / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data / "db"), "-m", mode, "-w", "-t", "60", "stop")


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A new PostgreSQL server with a superuser ``spmis`` (trust on the loopback) and an empty
    database ``spmis``; stopped and removed afterwards."""
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="spmis-own-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = OwnPostgres(_bin_dir(), folder, free_port(), user)
    try:
        server.run("initdb", "-D", str(folder / "db"), "-U", "spmis", "-A", "trust",
                   "--no-sync", "-E", "UTF8")
        server.start()
        server.run("createdb", "-h", "127.0.0.1", "-p", str(server.port), "-U", "spmis", "spmis")
        yield server
    finally:
        with suppress(RuntimeError, subprocess.TimeoutExpired):
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
