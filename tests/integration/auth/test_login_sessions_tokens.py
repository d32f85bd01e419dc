"""Login sessions with CSRF, throttled failures, TOTP, client tokens and token expiry."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from spmis.auth import tokens
from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.auth.store import login_attempt, staff_user
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.errors import NotAuthenticated

PASSWORD = "correct horse battery staple"


def login(client: TestClient, username: str, password: str = PASSWORD,
          totp: str | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    body = {"username": username, "password": password}
    if totp:
        body["totp"] = totp
    r = client.post("/api/v1/auth/login", json=body)
    return r.status_code, r.json()


def test_unauthenticated_gets_401_in_english_and_khmer_and_no_data(client: TestClient) -> None:
    r = client.get("/api/v1/households")
    assert r.status_code == 401
    body = r.json()
    assert set(body) == {"detail", "detail_km"}
    assert "log in" in body["detail"] and body["detail_km"]
    assert r.headers["www-authenticate"] == "Bearer"


def test_session_login_cookie_csrf_and_logout(app, make_user) -> None:  # type: ignore[no-untyped-def]
    name = make_user("registrar", "120101")
    client = TestClient(app, base_url="https://testserver")  # the cookie is Secure
    r = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    csrf = r.json()["csrf_token"]
    assert r.json()["scope"] == "120101"
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["username"] == name
    # an unsafe request by cookie needs the CSRF token
    body = {"village_code": "12010101", "members": []}
    no_csrf = client.post("/api/v1/households", json=body)
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["detail"]
    wrong = client.post("/api/v1/households", json=body, headers={"X-CSRF-Token": "x" * 64})
    assert wrong.status_code == 403
    with_csrf = client.post("/api/v1/households", json=body, headers={"X-CSRF-Token": csrf})
    assert with_csrf.status_code == 422  # past authentication and CSRF: the body is judged
    out = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    client.cookies.clear()
    stolen = TestClient(app, base_url="https://testserver",
                        cookies={"spmis_session": r.cookies["spmis_session"]})
    assert stolen.get("/api/v1/auth/me").status_code == 401  # revoked on the server


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    name = make_user("auditor")
    s1, b1 = login(client, name, "not the password at all")
    s2, b2 = login(client, "nobody-here", "not the password at all")
    assert s1 == s2 == 401 and b1 == b2


def _from(app, address: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, client=(address, 50000))


def test_a_throttled_account_answers_like_an_unknown_name(app, ctx: AppContext, make_user,  # type: ignore[no-untyped-def]
                                                         admin: TestClient) -> None:
    """Issue 12 #8: a locked real account answered "account locked", an unknown name "wrong
    user name or password": that told a stranger which names exist."""
    name = make_user("registrar")
    here = _from(app, "198.51.100.7")
    for _ in range(ctx.settings.lockout_threshold):
        assert login(here, name, "wrong password guess")[0] == 401
    locked = login(here, name)  # the right password, but this address must wait
    unknown = login(here, "nobody-here", "wrong password guess")
    assert locked[0] == unknown[0] == 401 and locked[1] == unknown[1]
    assert locked[1]["detail_km"]
    with ctx.engine.connect() as conn:
        outcomes = [r.outcome for r in conn.execute(
            select(login_attempt.c.outcome).where(login_attempt.c.principal == name))]
        uid = conn.execute(select(staff_user.c.id).where(staff_user.c.username == name)).scalar()
    assert outcomes.count("bad_password") == ctx.settings.lockout_threshold
    assert outcomes[-1] == "throttled"  # recorded for the audit trail, not counted
    assert admin.patch(f"/api/v1/users/{uid}", json={"unlock": True}).status_code == 200
    assert login(here, name)[0] == 200


def test_a_stranger_cannot_lock_a_colleague_or_a_partner_out(app, ctx: AppContext,  # type: ignore[no-untyped-def]
                                                             make_user) -> None:
    """Issue 12 #8: five bad secrets from anywhere locked a DCI client (and a staff account)
    out for 15 minutes. Failures now count per account *and* address."""
    name = make_user("registrar")
    cid, secret = AccountService(ctx).create_client("DCI partner", "programme_officer", "",
                                                    SYSTEM)
    stranger, partner = _from(app, "203.0.113.66"), _from(app, "192.0.2.10")
    for _ in range(ctx.settings.lockout_threshold + 2):
        assert login(stranger, name, "wrong password guess")[0] == 401
        assert stranger.post("/api/v1/auth/token", data={
            "grant_type": "client_credentials", "client_id": cid,
            "client_secret": "guess"}).status_code == 401
    # the stranger now waits, even with the right secrets ...
    assert login(stranger, name)[0] == 401
    assert stranger.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": cid,
        "client_secret": secret}).status_code == 401
    # ... but the account holder and the partner, elsewhere, do not
    assert login(partner, name)[0] == 200
    token = partner.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": cid, "client_secret": secret})
    assert token.status_code == 200, token.text


def test_one_address_guessing_many_accounts_is_throttled(app, ctx: AppContext,  # type: ignore[no-untyped-def]
                                                         make_user) -> None:
    ctx.settings.lockout_address_threshold = 6
    name = make_user("registrar")
    guesser = _from(app, "203.0.113.99")
    for i in range(6):
        assert login(guesser, f"someone-{i}", "wrong password guess")[0] == 401
    assert login(guesser, name)[0] == 401  # a good login from that address waits too
    assert login(_from(app, "192.0.2.11"), name)[0] == 200


def test_throttling_is_shared_by_every_server_process(ctx: AppContext, make_user) -> None:
    """The counts live in the database: a second process (its own AppContext and connection
    pool, as another uvicorn worker has) sees the failures the first one recorded."""
    name = make_user("registrar")
    first = AccountService(ctx)
    other_ctx = AppContext.create(ctx.settings)
    try:
        second = AccountService(other_ctx)
        for _ in range(ctx.settings.lockout_threshold):
            with pytest.raises(NotAuthenticated):
                first.login(name, "wrong password guess", address="198.51.100.8")
        with pytest.raises(NotAuthenticated):
            second.login(name, PASSWORD, address="198.51.100.8")
        assert second.login(name, PASSWORD, address="198.51.100.9").username == name
    finally:
        other_ctx.engine.dispose()


def test_totp_second_factor(client: TestClient, ctx: AppContext, make_user) -> None:  # type: ignore[no-untyped-def]
    name = make_user("approver")
    uri = AccountService(ctx).enable_totp(name)
    secret = pyotp.parse_uri(uri).secret
    status, body = login(client, name)
    assert status == 401 and "one-time code" in body["detail"]
    assert login(client, name, totp="000000" if pyotp.TOTP(secret).now() != "000000"
                 else "111111")[0] == 401
    assert login(client, name, totp=pyotp.TOTP(secret).now())[0] == 200
    with ctx.engine.connect() as conn:
        stored = conn.execute(select(staff_user.c.totp_secret_enc).where(
            staff_user.c.username == name)).scalar_one()
    assert secret.encode() not in bytes(stored)


def test_client_credentials_token(client: TestClient, ctx: AppContext) -> None:
    cid, secret = AccountService(ctx).create_client("Ministry registry", "auditor", "", SYSTEM)
    r = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                "client_id": cid, "client_secret": secret})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 60 * ctx.settings.token_minutes
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"username": f"client:{cid}", "roles": ["auditor"], "scope": ""}
    basic = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials"},
                        auth=(cid, secret))
    assert basic.status_code == 200
    bad = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials",
                                                  "client_id": cid, "client_secret": "nope"})
    assert bad.status_code == 401
    grant = client.post("/api/v1/auth/token", data={"grant_type": "password"})
    assert grant.status_code == 422
    # an auditor client may read but not write
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/v1/households", headers=headers).status_code == 200
    assert client.post("/api/v1/households", json={}, headers=headers).status_code == 403


def test_expired_forged_and_deactivated_tokens_refused(client: TestClient, ctx: AppContext,  # type: ignore[no-untyped-def]
                                                       make_user, admin: TestClient) -> None:
    name = make_user("registrar")
    key = ctx.settings.secret_key
    expired = tokens.issue(key, f"user:{name}", 1, now=utcnow() - timedelta(minutes=2)).token
    r = client.get("/api/v1/households", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"] and r.json()["detail_km"]
    forged = tokens.issue("another key of at least thirty-two bytes!", f"user:{name}", 5).token
    r = client.get("/api/v1/households", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and "not valid" in r.json()["detail"]
    good = AccountService(ctx).user_token(name).token
    headers = {"Authorization": f"Bearer {good}"}
    assert client.get("/api/v1/households", headers=headers).status_code == 200
    uid = next(u["id"] for u in admin.get("/api/v1/users").json() if u["username"] == name)
    assert admin.patch(f"/api/v1/users/{uid}", json={"is_active": False}).status_code == 200
    assert client.get("/api/v1/households", headers=headers).status_code == 401


def test_admin_manages_users_within_scope(auth_client, ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    province_admin = auth_client("admin", "12")
    r = province_admin.post("/api/v1/users", json={"username": "fin-pp",
                                                   "roles": ["auditor"],
                                                   "scope": "120101"})
    assert r.status_code == 201, r.text
    assert "password" not in r.json() and r.json()["activation"]["activation_path"]
    outside = province_admin.post("/api/v1/users", json={"username": "reg-bm",
                                                         "roles": ["registrar"], "scope": "01"})
    assert outside.status_code == 403
    wider = province_admin.post("/api/v1/users", json={"username": "reg-kh",
                                                       "roles": ["registrar"], "scope": ""})
    assert wider.status_code == 403
    # an administrator never chooses a password for someone else (issue 12 #4)
    chosen = province_admin.post("/api/v1/users", json={"username": "weak", "roles": ["auditor"],
                                                        "scope": "12", "password": "short"})
    assert chosen.status_code == 422 and chosen.json()["detail"][0]["loc"][-1] == "password"
    dup = province_admin.post("/api/v1/users", json={"username": "fin-pp",
                                                     "roles": ["auditor"], "scope": "120101"})
    assert dup.status_code == 409
    bad_role = province_admin.post("/api/v1/users", json={"username": "x1", "roles": ["king"]})
    assert bad_role.status_code == 422


def test_no_secret_reaches_the_logs(client: TestClient, ctx: AppContext, make_user,  # type: ignore[no-untyped-def]
                                    caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    name = make_user("registrar")
    login(client, name, "a wrong password typed here")
    login(client, name)
    cid, secret = AccountService(ctx).create_client("Peer registry", "auditor", "", SYSTEM)
    token = client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": cid, "client_secret": secret,
    }).json()["access_token"]
    client.get("/api/v1/persons", params={"identifier_type": "national_id",
                                          "identifier": "100200300"},
               headers={"Authorization": f"Bearer {token}"})
    for value in (PASSWORD, "a wrong password typed here", secret, token, "100200300"):
        assert value not in caplog.text


def test_account_changes_are_audited_and_not_self_granted(auth_client, ctx: AppContext,  # type: ignore[no-untyped-def]
                                                          make_user) -> None:
    boss_name = make_user("admin")
    boss = auth_client(username=boss_name)
    created = boss.post("/api/v1/users", json={"username": "clerk", "roles": ["auditor"],
                                               "scope": "120101"}).json()
    uid = created["id"]
    assert boss.patch(f"/api/v1/users/{uid}", json={"roles": ["auditor", "metrics"]}
                      ).status_code == 200
    # approving needs a second administrator (tests/integration/auth/test_staff_accounts.py)
    assert boss.patch(f"/api/v1/users/{uid}", json={"roles": ["auditor", "approver"]}
                      ).status_code == 202
    me = next(u for u in boss.get("/api/v1/users").json() if u["username"] == boss_name)
    own = boss.patch(f"/api/v1/users/{me['id']}", json={"roles": ["admin", "approver"]})
    assert own.status_code == 403 and "another administrator" in own.json()["detail"]
    history = auth_client("auditor").get(f"/api/v1/users/{uid}/history").json()
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["changes"] == {"roles": ["auditor", "auditor,metrics"]}
    assert history[1]["changed_by"] == boss_name
    assert "password" not in str(history)


def test_garbage_credentials_never_500(client: TestClient) -> None:
    import base64

    weird = ["Bearer", "Bearer ", "Bearer a.b.c", "Bearer " + "x" * 5000, "Basic !!!",
             "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyOmFkbWluIn0.", "Token abc", "",
             "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()]
    for header in weird:
        r = client.get("/api/v1/households", headers={"Authorization": header})
        assert r.status_code == 401, (header[:40], r.status_code)
        t = client.post("/api/v1/auth/token", data={"grant_type": "client_credentials"},
                        headers={"Authorization": header})
        assert t.status_code in (401, 422), (header[:40], t.status_code)
    odd = TestClient(client.app, cookies={"spmis_session": "%00" * 10})
    assert odd.get("/api/v1/households").status_code == 401
    bad_login = client.post("/api/v1/auth/login", json={"username": "a", "password": "b",
                                                        "totp": "12ab56"})
    assert bad_login.status_code == 422
