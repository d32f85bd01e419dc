"""What an administrator can and cannot do to staff accounts (issue 12 #4, issue 13 #19), on
SQLite and PostgreSQL: no password ever reaches an administrator (one-time activation links,
stored hashed, expiring, single use); rights to administer, approve or see identifiers need a
second administrator; nobody grants themselves anything; edit, disable, enable and reset are
recorded in the account's history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from spmis.auth.store import account_activation, staff_user
from spmis.context import AppContext
from spmis.db.base import utcnow

GOOD = "a long walk by the Mekong"
OLD = "correct horse battery staple"  # conftest.TEST_PASSWORD, the fixtures' accounts


def _token(link: dict[str, Any]) -> str:
    return parse_qs(urlparse(link["activation_path"]).query)["token"][0]


def _login(client: TestClient, name: str, password: str) -> int:
    r = client.post("/api/v1/auth/login", json={"username": name, "password": password})
    return r.status_code


def _uid(admin: TestClient, name: str) -> int:
    return next(int(u["id"]) for u in admin.get("/api/v1/users").json() if u["username"] == name)


def test_a_new_account_gets_a_one_time_link_never_a_password(
        client: TestClient, auth_client: Any, ctx: AppContext) -> None:
    """Before: the answer held the account's password, so its administrator could sign in as
    it."""
    admin = auth_client("admin")
    r = admin.post("/api/v1/users", json={"username": "dara.aud", "roles": ["auditor"],
                                          "scope": "12", "full_name": "Dara"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert "password" not in body and body["awaiting_activation"] is True
    link = body["activation"]
    assert link["activation_url"].endswith(link["activation_path"])
    token = _token(link)
    with ctx.engine.connect() as conn:
        stored = conn.execute(select(account_activation.c.token_hash)).scalars().all()
        hash_ = conn.execute(select(staff_user.c.password_hash).where(
            staff_user.c.username == "dara.aud")).scalar_one()
    assert token not in str(stored) and len(stored) == 1  # kept only as a SHA-256
    assert not hash_.startswith("$argon2")  # no password at all yet
    assert _login(client, "dara.aud", "") == 422
    # a weak password is refused and the link still works
    weak = client.post("/api/v1/auth/activate", json={"token": token, "password": "short"})
    assert weak.status_code == 422 and weak.json()["detail"][0]["loc"] == ["password"]
    ok = client.post("/api/v1/auth/activate", json={"token": token, "password": GOOD})
    assert ok.status_code == 200 and ok.json()["username"] == "dara.aud"
    assert _login(client, "dara.aud", GOOD) == 200
    again = client.post("/api/v1/auth/activate", json={"token": token, "password": GOOD + "!"})
    assert again.status_code == 422 and again.json()["detail"][0]["type"] == "invalid_link"
    assert again.json()["detail"][0]["msg_km"]
    history = auth_client("auditor").get(f"/api/v1/users/{body['id']}/history").json()
    assert [h["action"] for h in history] == ["create", "password_set"]
    assert history[1]["changed_by"] == "dara.aud"
    assert token not in str(history) and GOOD not in str(history)


def test_an_expired_or_replaced_link_does_not_work(client: TestClient, auth_client: Any,
                                                   ctx: AppContext) -> None:
    admin = auth_client("admin")
    first = admin.post("/api/v1/users", json={"username": "vanna", "roles": ["auditor"]}).json()
    uid = first["id"]
    second = admin.post(f"/api/v1/users/{uid}/reset-password", json={})
    assert second.status_code == 200, second.text
    replaced = client.post("/api/v1/auth/activate",
                           json={"token": _token(first["activation"]), "password": GOOD})
    assert replaced.status_code == 422
    with ctx.engine.begin() as conn:
        conn.execute(update(account_activation).where(account_activation.c.user_id == uid)
                     .values(expires_at=utcnow() - timedelta(minutes=1)))
    expired = client.post("/api/v1/auth/activate",
                          json={"token": _token(second.json()), "password": GOOD})
    assert expired.status_code == 422 and expired.json()["detail"][0]["type"] == "invalid_link"


def test_rights_to_approve_or_reveal_wait_for_a_second_administrator(
        client: TestClient, auth_client: Any, make_user: Any, ctx: AppContext) -> None:
    """Before: one administrator created an approver and registrar, received its password,
    signed in as it and revealed identifiers."""
    maker_name = make_user("admin")
    maker = auth_client(username=maker_name)
    r = maker.post("/api/v1/users", json={"username": "sneaky", "roles": ["approver",
                                                                          "registrar"],
                                          "reason": "new district office"})
    assert r.status_code == 202, r.text
    request = r.json()
    assert request["kind"] == "staff_account_create" and "token" not in r.text
    assert "sneaky" not in [u["username"] for u in maker.get("/api/v1/users").json()]
    own = maker.post(f"/api/v1/approvals/{request['id']}/approve", json={"reason": "checked"})
    assert own.status_code == 403
    approver = auth_client("approver")
    not_admin = approver.post(f"/api/v1/approvals/{request['id']}/approve",
                              json={"reason": "checked"})
    assert not_admin.status_code == 403 and "administrator" in not_admin.json()["detail"]
    checker_name = make_user("admin")
    checker = auth_client(username=checker_name)
    done = checker.post(f"/api/v1/approvals/{request['id']}/approve",
                        json={"reason": "the director asked for it"})
    assert done.status_code == 200, done.text
    once = done.json()["once"]
    assert once["username"] == "sneaky"
    stored = checker.get(f"/api/v1/approvals/{request['id']}").json()
    assert stored["once"] is None and _token(once) not in str(stored)
    assert client.post("/api/v1/auth/activate",
                       json={"token": _token(once), "password": GOOD}).status_code == 200
    uid = _uid(checker, "sneaky")
    history = auth_client("auditor").get(f"/api/v1/users/{uid}/history").json()
    assert history[0]["changed_by"] == checker_name
    assert history[0]["changes"]["requested_by"] == maker_name
    # an administrator account is one too: else a second account of the same person would
    # approve its maker's requests
    assert maker.post("/api/v1/users", json={"username": "admin2", "roles": ["admin"]}
                      ).status_code == 202
    # and a finance officer: a second one held by the maker would approve the maker's payment
    # cycles (payments: another finance officer approves)
    assert maker.post("/api/v1/users", json={"username": "fin2", "roles": ["finance_officer"]}
                      ).status_code == 202
    # a request of another kind stays with approvers
    assert checker.post("/api/v1/approvals/999999/approve",
                        json={"reason": "checked"}).status_code == 404


def test_gaining_rights_is_a_request_losing_them_is_at_once(
        client: TestClient, auth_client: Any, make_user: Any) -> None:
    """Before: an administrator gave an existing account the approver role in one PATCH."""
    maker = auth_client("admin")
    clerk = make_user("auditor", "1201")
    uid = _uid(maker, clerk)
    gain = maker.patch(f"/api/v1/users/{uid}", json={"roles": ["auditor", "registrar"],
                                                     "full_name": "Sok Clerk"})
    assert gain.status_code == 202, gain.text
    now = maker.get(f"/api/v1/users/{uid}").json()
    assert now["roles"] == ["auditor"] and now["full_name"] == "Sok Clerk"
    checker = auth_client("admin")
    done = checker.post(f"/api/v1/approvals/{gain.json()['id']}/approve",
                        json={"reason": "checked"})
    assert done.status_code == 200, done.text
    assert checker.get(f"/api/v1/users/{uid}").json()["roles"] == ["auditor",
                                                                    "registrar"]
    # its first such right: whoever knew the old password (its administrator, perhaps) does not
    # keep it; the person gets a new link through the second administrator
    assert _login(client, clerk, OLD) == 401
    assert done.json()["once"]["purpose"] == "reset"
    # a registrar moved to a wider area: a request; to a narrower one, or fewer roles: at once
    reg = make_user("registrar", "1201")
    rid = _uid(maker, reg)
    assert maker.patch(f"/api/v1/users/{rid}", json={"scope": "12"}).status_code == 202
    assert maker.patch(f"/api/v1/users/{rid}", json={"scope": "1202"}).status_code == 202
    narrower = maker.patch(f"/api/v1/users/{rid}", json={"scope": "120101"})
    assert narrower.status_code == 200 and narrower.json()["scope"] == "120101"
    fewer = maker.patch(f"/api/v1/users/{rid}", json={"roles": ["auditor"]})
    assert fewer.status_code == 200 and fewer.json()["roles"] == ["auditor"]


def test_nobody_grants_themselves_anything(auth_client: Any, make_user: Any) -> None:
    a_name, b_name = make_user("admin"), make_user("admin")
    a, b = auth_client(username=a_name), auth_client(username=b_name)
    a_id = _uid(a, a_name)
    own = a.patch(f"/api/v1/users/{a_id}", json={"roles": ["admin", "approver"]})
    assert own.status_code == 403 and "another administrator" in own.json()["detail"]
    assert a.post(f"/api/v1/users/{a_id}/reset-password", json={}).status_code == 403
    filed = b.patch(f"/api/v1/users/{a_id}", json={"roles": ["admin", "approver"]})
    assert filed.status_code == 202
    # A may not approve a request about A's own account, though B made it
    about_me = a.post(f"/api/v1/approvals/{filed.json()['id']}/approve", json={"reason": "checked"})
    assert about_me.status_code == 403 and "own account" in about_me.json()["detail"]
    assert a.get(f"/api/v1/users/{a_id}").json()["roles"] == ["admin"]


def test_disable_enable_and_reset(client: TestClient, auth_client: Any, make_user: Any,
                                  ctx: AppContext) -> None:
    admin = auth_client("admin")
    name = make_user("auditor")
    uid = _uid(admin, name)
    session = TestClient(client.app, base_url="https://testserver")  # secure cookie
    assert session.post("/api/v1/auth/login", json={"username": name, "password": OLD}
                        ).status_code == 200
    assert session.get("/api/v1/auth/me").status_code == 200
    reset = admin.post(f"/api/v1/users/{uid}/reset-password", json={"reason": "forgotten"})
    assert reset.status_code == 200 and reset.json()["purpose"] == "reset"
    assert session.get("/api/v1/auth/me").status_code == 401  # its sessions ended
    assert _login(client, name, OLD) == 401
    off = admin.patch(f"/api/v1/users/{uid}", json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    dead = client.post("/api/v1/auth/activate", json={"token": _token(reset.json()),
                                                      "password": GOOD})
    assert dead.status_code == 422  # a disabled account's links end with it
    assert admin.post(f"/api/v1/users/{uid}/reset-password").status_code == 409
    on = admin.patch(f"/api/v1/users/{uid}", json={"is_active": True})
    assert on.status_code == 200 and on.json()["is_active"] is True
    fresh = admin.post(f"/api/v1/users/{uid}/reset-password").json()
    assert client.post("/api/v1/auth/activate", json={"token": _token(fresh),
                                                      "password": GOOD}).status_code == 200
    assert _login(client, name, GOOD) == 200
    actions = [h["action"] for h in
               auth_client("auditor").get(f"/api/v1/users/{uid}/history").json()]
    assert actions == ["create", "password_reset", "update", "update", "password_reset",
                       "password_set"]
    # the password of an account that may see identifiers: a second administrator's decision
    reg = _uid(admin, make_user("registrar", "12"))
    assert admin.post(f"/api/v1/users/{reg}/reset-password").status_code == 202
