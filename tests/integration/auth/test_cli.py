"""``spmis user``, ``spmis client`` and ``spmis keys`` on the command line; the demo admin is
created once, in development only, and its password printed once."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from spmis.app import create_app
from spmis.cli import app as cli
from spmis.config import get_settings
from spmis.context import AppContext


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPMIS_ENV", "development")
    monkeypatch.setenv("SPMIS_DATABASE_URL", db_url)
    monkeypatch.setenv("SPMIS_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_admin_then_users_and_clients(cli_env) -> None:  # type: ignore[no-untyped-def]
    first = run("user", "ensure-demo-admin")
    password = re.search(r"password \(shown once\): (\S+)", first)
    assert password, first
    assert "no demo administrator created" in run("user", "ensure-demo-admin")
    out = run("user", "create", "reg.pp", "--role", "registrar", "--scope", "120101")
    assert "scope=120101" in out and "password (shown once)" in out
    bad = CliRunner().invoke(cli, ["user", "create", "x", "--role", "king"])
    assert bad.exit_code == 1 and "unknown role" in bad.output
    client_out = run("client", "create", "Health ministry", "--roles", "auditor")
    cid = re.search(r"client_id: (\S+)", client_out)
    secret = re.search(r"client_secret \(shown once\): (\S+)", client_out)
    assert cid and secret
    ctx = AppContext.create(get_settings())
    try:
        with TestClient(create_app(ctx=ctx)) as http:
            login = http.post("/api/v1/auth/login",
                              json={"username": "admin", "password": password.group(1)})
            assert login.status_code == 200, login.text
            tok = http.post("/api/v1/auth/token", data={
                "grant_type": "client_credentials", "client_id": cid.group(1),
                "client_secret": secret.group(1)})
            assert tok.status_code == 200
    finally:
        ctx.engine.dispose()
    assert "re-encrypted" in run("keys", "rotate")
    assert re.fullmatch(r"k9:[A-Za-z0-9+/=]{44}\n", run("keys", "new", "--key-id", "k9"))


def test_no_demo_admin_outside_development(cli_env) -> None:  # type: ignore[no-untyped-def]
    cli_env.setenv("SPMIS_ENV", "production")
    cli_env.setenv("SPMIS_SECRET_KEY", base64.b64encode(os.urandom(48)).decode())
    cli_env.setenv("SPMIS_ENCRYPTION_KEYS", "p1:" + base64.b64encode(os.urandom(32)).decode())
    cli_env.setenv("SPMIS_BLIND_INDEX_KEY", base64.b64encode(os.urandom(32)).decode())
    get_settings.cache_clear()
    assert "no demo administrator is created" in run("user", "ensure-demo-admin")
