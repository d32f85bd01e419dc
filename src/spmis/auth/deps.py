"""FastAPI dependencies that say who is calling and whether they may.

``authorize`` runs before every API route (``install_security`` puts it on the application
router): it looks the route up in the one authorisation table (``spmis.auth.policy``), rate limits
public routes per client address, authenticates everyone else (a bearer token, or a page session
cookie plus a CSRF token on unsafe methods) and checks the caller's roles. The authenticated
``Actor`` (with its geographic scope) is what services receive through ``CurrentActor``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from spmis.auth import messages, policy
from spmis.auth.accounts import AccountService, csrf_for
from spmis.auth.model import Actor
from spmis.auth.ratelimit import RateLimiter, retry_after_seconds
from spmis.auth.roles import PUBLIC
from spmis.context import AppContext
from spmis.errors import RateLimited
from spmis.http import BASIC_AUTH_PREFIX

SESSION_COOKIE = "spmis_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: routes that stream a large upload to disk and check the form's CSRF field themselves, before
#: keeping any byte of the file (spmis.web.imports): parsing the form here would first spool
#: the whole upload, whatever its size
STREAMED_UPLOADS = frozenset({("POST", "/office/imports")})


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def route_path(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path_format", None) or getattr(route, "path", request.url.path))


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """User name and password of an HTTP Basic ``Authorization`` header, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise messages.bad_credentials() from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise messages.bad_credentials()
    return username, password


async def _check_csrf(request: Request, session_token: str) -> None:
    expected = csrf_for(get_ctx(request).settings.secret_key, session_token)
    given = request.headers.get(CSRF_HEADER)
    if not given and request.headers.get("content-type", "").startswith(FORM_TYPES):
        if (request.method.upper(), route_path(request)) in STREAMED_UPLOADS:
            return
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given, expected):
        raise messages.csrf_failed()


async def authenticate(request: Request) -> Actor:
    """The caller: by bearer token, else by session cookie (CSRF-checked when unsafe); on the
    routes of ODK Collect (``BASIC_AUTH_PREFIX``) also by HTTP Basic, a staff user's name and
    password checked as a login is (failures throttled and recorded)."""
    accounts = AccountService(get_ctx(request))
    token = bearer_token(request)
    if token is not None:
        return await run_in_threadpool(accounts.token_actor, token)
    if request.url.path.startswith(BASIC_AUTH_PREFIX):
        credentials = basic_credentials(request)
        if credentials is not None:
            return await run_in_threadpool(accounts.login, credentials[0], credentials[1],
                                           None, client_address(request))
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        actor = await run_in_threadpool(accounts.session_actor, session)
        if request.method.upper() not in SAFE_METHODS:
            await _check_csrf(request, session)
        return actor
    raise messages.login_required()


async def authorize(request: Request) -> None:
    """Enforce the authorisation table on this request (see module docstring)."""
    rule = policy.decide(request.method, route_path(request))
    if rule is None:
        raise messages.no_decision()
    if rule == PUBLIC:
        limiter: RateLimiter = request.app.state.rate_limiter
        key = client_address(request)
        wait = limiter.take_local(key)  # a leased token: no thread, no database
        if wait is None:
            wait = await run_in_threadpool(limiter.take, key)
        if wait > 0:
            raise RateLimited(retry_after=retry_after_seconds(wait))
        return
    actor = await authenticate(request)
    if not policy.allows(rule, actor.roles):
        raise messages.role_not_allowed(rule if isinstance(rule, frozenset) else None,
                                        actor.roles)
    fields = policy.restricted_fields(request.method, route_path(request))
    if fields:
        await _check_restricted_fields(request, fields, actor)
    request.state.actor = actor


async def _check_restricted_fields(request: Request, fields: dict[str, policy.Rule],
                                   actor: Actor) -> None:
    """403 naming the first field of ``fields`` that the JSON body sets and ``actor`` may not
    (a body that is not a JSON object is left to the route's own validation)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):
        return
    if not isinstance(body, dict):
        return
    for name, rule in fields.items():
        if body.get(name) is not None and not policy.allows(rule, actor.roles):
            raise messages.field_not_allowed(name)


def current_actor(request: Request) -> Actor:
    """The authenticated caller (set by ``authorize``); public routes have none."""
    actor = getattr(request.state, "actor", None)
    if not isinstance(actor, Actor):
        raise messages.login_required()
    return actor


async def _ctx_dependency(request: Request) -> AppContext:
    # async: FastAPI runs a plain ``def`` dependency on the thread pool, a hop per request
    return get_ctx(request)


async def _actor_dependency(request: Request) -> Actor:
    return current_actor(request)


Ctx = Annotated[AppContext, Depends(_ctx_dependency)]
CurrentActor = Annotated[Actor, Depends(_actor_dependency)]
