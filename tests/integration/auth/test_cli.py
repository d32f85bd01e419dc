"""``spmis user``, ``spmis client`` and ``spmis keys`` on the command line; ``spmis
demo-accounts`` makes one demo account per role, in development only, and the sign-in page lists
them there and nowhere else (issue 13, item 21)."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from spmis.app import create_app
from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.cli import app as cli
from spmis.config import get_settings
from spmis.context import AppContext
from spmis.ops_cli import busiest_district


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


def _login(http: TestClient, username: str, password: str) -> int:
    return http.post("/api/v1/auth/login",
                     json={"username": username, "password": password}).status_code


def test_demo_accounts_one_per_role_listed_on_the_sign_in_page(cli_env) -> None:  # type: ignore[no-untyped-def]
    from spmis.auth.demo import DEMO_ACCOUNTS
    from spmis.ops_cli import load_demo

    ctx = AppContext.create(get_settings())
    try:
        load_demo(ctx, False, 40, 7)
        district = busiest_district(ctx)
    finally:
        ctx.engine.dispose()
    first = run("demo-accounts")
    found = re.search(r"\((\d+) created\).*\npassword of each: (\S+)", first)
    assert found and found.group(1) == str(len(DEMO_ACCOUNTS)), first
    password = found.group(2)
    again = run("demo-accounts")  # nothing new, the same password
    assert "(0 created)" in again and password in again
    ctx = AppContext.create(get_settings())
    try:
        users = {u.username: u for u in AccountService(ctx).list_users(SYSTEM)}
        roles = {tuple(u.roles) for n, u in users.items() if n.startswith("demo.")}
        assert roles == {(a.role.value,) for a in DEMO_ACCOUNTS}  # one account per role
        assert users["demo.registrar"].scope == district and len(district) == 4
        assert users["demo.approver"].scope == ""
        AccountService(ctx).set_password("demo.approver", "somebody changed it")
        assert "(0 created)" in run("demo-accounts")  # ...and make run gives it back
        with TestClient(create_app(ctx=ctx)) as http:
            for account in DEMO_ACCOUNTS:
                assert _login(http, account.username, password) == 200, account.username
            http.cookies.set("spmis_lang", "en")
            page = http.get("/login").text
            assert "Demo accounts (development only)" in page and password in page
            for account in DEMO_ACCOUNTS:
                assert f'data-demo="{account.username}"' in page
            assert ctx.gazetteer.get(district).name_en in page  # the registrar's district
            http.cookies.set("spmis_lang", "km")
            khmer = http.get("/login").text
            assert "គណនីសាកល្បង" in khmer and password in khmer
    finally:
        ctx.engine.dispose()


def test_users_and_clients(cli_env) -> None:  # type: ignore[no-untyped-def]
    out = run("user", "create", "reg.pp", "--role", "registrar", "--scope", "120101")
    assert "scope=120101" in out and "password (shown once)" not in out
    link = re.search(r"activation link for reg\.pp .*: <this server's address>(/activate\?token="
                     r"\S+)", out)
    assert link, out
    assert re.search(r"reg\.pp\s+registrar\s+120101\s+awaiting activation", run("user", "list"))
    assert "roles=approver,registrar scope=1201" in run(
        "user", "edit", "reg.pp", "--roles", "registrar,approver", "--scope", "1201")
    assert "disabled" in run("user", "disable", "reg.pp")
    assert "active" in run("user", "enable", "reg.pp")
    reset = run("user", "reset-password", "reg.pp")
    new_link = re.search(r"(/activate\?token=\S+)", reset)
    assert new_link and new_link.group(1) != link.group(1)
    bad = CliRunner().invoke(cli, ["user", "create", "x", "--role", "king"])
    assert bad.exit_code == 1 and "unknown role" in bad.output
    client_out = run("client", "create", "Health ministry", "--roles", "auditor")
    cid = re.search(r"client_id: (\S+)", client_out)
    secret = re.search(r"client_secret \(shown once\): (\S+)", client_out)
    assert cid and secret
    ctx = AppContext.create(get_settings())
    try:
        with TestClient(create_app(ctx=ctx)) as http:
            token = new_link.group(1).split("=", 1)[1]
            assert http.post("/api/v1/auth/activate", json={
                "token": token, "password": "rice fields at dawn"}).status_code == 200
            assert _login(http, "reg.pp", "rice fields at dawn") == 200
            accounts = AccountService(ctx)
            uid = next(u.id for u in accounts.list_users(SYSTEM) if u.username == "reg.pp")
            assert [h["action"] for h in accounts.history(uid, SYSTEM)] == [
                "create", "update", "update", "update", "password_reset", "password_set"]
            tok = http.post("/api/v1/auth/token", data={
                "grant_type": "client_credentials", "client_id": cid.group(1),
                "client_secret": secret.group(1)})
            assert tok.status_code == 200
    finally:
        ctx.engine.dispose()
    assert "re-encrypted" in run("keys", "rotate")
    assert re.fullmatch(r"k9:[A-Za-z0-9+/=]{44}\n", run("keys", "new", "--key-id", "k9"))


@pytest.mark.parametrize("env", ["production", "test"])
def test_no_demo_account_outside_development(cli_env, env: str) -> None:  # type: ignore[no-untyped-def]
    """Outside development the command creates nothing and the sign-in page lists nothing, even
    with a demo password left in var/dev-secrets.json and accounts named demo.*."""
    run("demo-accounts")  # development first: accounts and a kept password exist
    cli_env.setenv("SPMIS_ENV", env)
    cli_env.setenv("SPMIS_SECRET_KEY", base64.b64encode(os.urandom(48)).decode())
    cli_env.setenv("SPMIS_ENCRYPTION_KEYS", "p1:" + base64.b64encode(os.urandom(32)).decode())
    cli_env.setenv("SPMIS_BLIND_INDEX_KEY", base64.b64encode(os.urandom(32)).decode())
    get_settings.cache_clear()
    assert "not in development: no demo account is created" in run("demo-accounts")
    ctx = AppContext.create(get_settings())
    try:
        with TestClient(create_app(ctx=ctx)) as http:
            page = http.get("/login").text
        assert "demo." not in page and "Demo accounts" not in page
        assert "spmis-" not in page  # the demo password is not shown
    finally:
        ctx.engine.dispose()


def test_keys_rotate_seals_the_job_reports_again(cli_env, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """``spmis keys rotate`` re-encrypted the database but not the import reports kept
    encrypted on disk (var/jobs/<id>/rejects.csv.enc): an old key could not be removed until
    they expired. Now they are sealed again with the new key, block by block, and read back
    with the new key alone."""
    from spmis.jobs import files as job_files
    from spmis.jobs.files import JobFiles

    monkeypatch.setattr(job_files, "BLOCK", 64)  # several blocks, the last one short
    old = "old:" + base64.b64encode(os.urandom(32)).decode()
    new = "new:" + base64.b64encode(os.urandom(32)).decode()
    cli_env.setenv("SPMIS_ENCRYPTION_KEYS", old)
    get_settings.cache_clear()
    text = b"".join(f"row {i},918273645,Sophea\n".encode() for i in range(40))
    files = JobFiles(get_settings())
    ctx = AppContext.create(get_settings())
    try:
        for job_id in (5, 6):
            files.job_dir(job_id).joinpath("rejects.csv").write_bytes(text)
            assert files.seal(ctx.cipher, job_id) == ["rejects.csv"]
    finally:
        ctx.engine.dispose()
    sealed = files.root / "5" / "rejects.csv.enc"
    assert os.stat(sealed).st_mode & 0o777 == 0o600
    cli_env.setenv("SPMIS_ENCRYPTION_KEYS", f"{new},{old}")
    get_settings.cache_clear()
    out = run("keys", "rotate")
    assert "job reports): 2 re-encrypted with key 'new'" in out, out
    assert "files per key {'new': 2}" in out, out
    assert "job reports): 0 re-encrypted" in run("keys", "rotate")  # nothing left to do
    cli_env.setenv("SPMIS_ENCRYPTION_KEYS", new)  # the old key removed from the ring
    get_settings.cache_clear()
    ctx = AppContext.create(get_settings())
    try:
        for job_id in (5, 6):
            assert files.key_ids(ctx.cipher, files.root / str(job_id) / "rejects.csv.enc") \
                == {"new"}
            assert b"".join(files.read_report(ctx.cipher, job_id, "rejects.csv")) == text
    finally:
        ctx.engine.dispose()
    assert os.stat(sealed).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in sealed.parent.iterdir()) == ["rejects.csv.enc"]
