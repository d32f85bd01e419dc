"""The authorisation matrix, generated from the one table in ``spmis.auth.policy``: for every route
of the application and every role (and anonymous), the expected allow or deny is asserted. A
route without a decision fails ``test_every_route_has_a_decision``. Request fields that only
some of a route's roles may set (``FIELD_POLICY``, e.g. the automatic-merge threshold) get the
same matrix, field by field, plus a value that no role may send."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from spmis.auth import messages
from spmis.auth.accounts import AccountService
from spmis.auth.policy import FIELD_POLICY, ROUTE_POLICY, allows, decide
from spmis.auth.ratelimit import TokenBucket
from spmis.auth.roles import ALL_ROLES, PUBLIC
from spmis.context import AppContext

ANONYMOUS = "anonymous"
PRINCIPALS = [ANONYMOUS, *sorted(ALL_ROLES)]


def app_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route of the application, mounts included (HEAD is GET's)."""
    for rc in iter_route_contexts(app.routes):
        methods = rc.methods
        if not methods:  # a mount (static files, sub-application) needs a decision too
            yield ("MOUNT", str(rc.path))
            continue
        for method in sorted(methods - {"HEAD"}):
            yield (method, str(rc.path))


def test_every_route_has_a_decision(app: FastAPI) -> None:
    missing = [f"{m} {p}" for m, p in app_routes(app) if decide(m, p) is None]
    assert not missing, (
        "routes without an access decision (declare them in the access of their capability's "
        "manifest, <package>/capability.py): "
        + ", ".join(missing)
    )


def test_table_names_only_existing_routes(app: FastAPI) -> None:
    existing = set(app_routes(app))
    stale = sorted(f"{m} {p}" for m, p in ROUTE_POLICY if (m, p) not in existing)
    assert not stale, f"ROUTE_POLICY names routes that do not exist: {stale}"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _denied(principal: str, status: int, body: object) -> bool:
    detail = body.get("detail") if isinstance(body, dict) else None
    if principal == ANONYMOUS:
        return status == 401 and detail == messages.login_required().msg
    # the refusal names the roles that would be allowed (after "...this action; it needs ...")
    return (status == 403 and isinstance(detail, str)
            and detail.startswith(messages.role_not_allowed().msg))


def test_authorisation_matrix(app: FastAPI, ctx: AppContext, make_user) -> None:  # type: ignore[no-untyped-def]
    app.state.rate_limiter = TokenBucket(per_minute=10**6, burst=10**6)
    accounts = AccountService(ctx)
    clients = {ANONYMOUS: TestClient(app)}
    for role in sorted(ALL_ROLES):
        token = accounts.user_token(make_user(role)).token
        clients[role] = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    wrong: list[str] = []
    checked = 0
    for method, path in sorted(set(app_routes(app))):
        if method == "MOUNT":
            continue
        rule = decide(method, path)
        for principal in PRINCIPALS:
            roles = None if principal == ANONYMOUS else frozenset({principal})
            expected_allowed = allows(rule, roles)
            r = clients[principal].request(method, _concrete(path), json={},
                                           follow_redirects=False)
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") \
                else None
            denied = _denied(principal, r.status_code, body)
            assert r.status_code != 500, f"{method} {path} as {principal}: 500"
            if denied == expected_allowed:
                wrong.append(f"{method} {path} as {principal}: expected "
                             f"{'allow' if expected_allowed else 'deny'}, got {r.status_code}")
            if denied:
                assert "detail_km" in body, "denials carry a Khmer message too"
            # issue 12 #12: nothing a login protects (and no API answer) is kept by a cache
            if (rule != PUBLIC or path.startswith("/api/")) and (
                    r.headers.get("cache-control") != "no-store"):
                wrong.append(f"{method} {path} as {principal}: Cache-Control "
                             f"{r.headers.get('cache-control')!r}, not no-store")
            checked += 1
    for c in clients.values():
        c.close()
    assert not wrong, "\n".join(wrong)
    assert checked >= 40 * len(PRINCIPALS)


#: for each field of ``FIELD_POLICY``: a value its roles may send, and one that nobody may send
#: (the service refuses it whatever the role)
FIELD_SAMPLES: dict[str, tuple[object, object]] = {
    "auto_merge_threshold": (0.999, 0.01),  # 0.01: below the floor setting
}


def _route_fields(app: FastAPI, method: str, path: str) -> set[str]:
    for rc in iter_route_contexts(app.routes):
        if str(rc.path) == path and method in (rc.methods or ()):
            body = getattr(rc.route, "body_field", None)
            annotation = getattr(getattr(body, "field_info", None), "annotation", None)
            return set(getattr(annotation, "model_fields", {}))
    return set()


def test_field_table_names_existing_fields(app: FastAPI) -> None:
    for (method, path), fields in FIELD_POLICY.items():
        assert decide(method, path) is not None, f"{method} {path}: not in ROUTE_POLICY"
        stale = set(fields) - _route_fields(app, method, path)
        assert not stale, f"{method} {path}: FIELD_POLICY names fields it has not: {stale}"
        assert set(fields) <= set(FIELD_SAMPLES), "give each restricted field sample values"


def test_restricted_fields_matrix(app: FastAPI, ctx: AppContext, make_user) -> None:  # type: ignore[no-untyped-def]
    app.state.rate_limiter = TokenBucket(per_minute=10**6, burst=10**6)
    accounts = AccountService(ctx)
    wrong: list[str] = []
    checked = 0
    for (method, path), fields in sorted(FIELD_POLICY.items()):
        route_rule = decide(method, path)
        for role in sorted(ALL_ROLES):
            held = frozenset({role})
            if not allows(route_rule, held):
                continue  # the route matrix above covers this role
            token = accounts.user_token(make_user(role)).token
            with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
                for name, rule in fields.items():
                    good, never = FIELD_SAMPLES[name]
                    r = c.request(method, _concrete(path), json={name: good})
                    denied = (r.status_code == 403 and r.json().get("detail")
                              == messages.field_not_allowed(name).msg)
                    if denied == allows(rule, held):
                        wrong.append(f"{method} {path} field {name} as {role}: expected "
                                     f"{'allow' if allows(rule, held) else 'deny'}, "
                                     f"got {r.status_code} {r.text[:200]}")
                    r = c.request(method, _concrete(path), json={name: never})
                    if r.status_code not in (403, 422):
                        wrong.append(f"{method} {path} field {name}={never!r} as {role}: "
                                     f"accepted ({r.status_code})")
                    checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked >= 1
