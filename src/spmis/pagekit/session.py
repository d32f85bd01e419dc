"""Who is looking at a page. Staff sign in through the access-control capability
(``spmis.auth.accounts``): a session cookie, and a CSRF token derived from it that every form
posts back. When ``spmis.auth.web.authorize`` already ran for the request it set
``request.state.actor``; otherwise the page checks the session itself, so a page is never more
open than the authorisation table says."""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.datastructures import FormData

from spmis.auth import messages, policy
from spmis.auth.accounts import AccountService, csrf_for
from spmis.auth.deps import CSRF_FIELD, SESSION_COOKIE, bearer_token, route_path
from spmis.auth.model import Actor
from spmis.auth.roles import PUBLIC
from spmis.context import AppContext
from spmis.errors import Forbidden, SpmisError


def app_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def known_actor(request: Request) -> Actor | None:
    """The signed-in staff user, or None (public reader, expired session)."""
    actor = getattr(request.state, "actor", None)
    if isinstance(actor, Actor):
        return actor
    if getattr(request.state, "session_checked", False):
        return None
    request.state.session_checked = True
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        actor = AccountService(app_ctx(request)).session_actor(token)
    except SpmisError:
        return None
    request.state.actor = actor
    return actor


def require_actor(request: Request) -> Actor:
    """The signed-in user, allowed by the authorisation table (``spmis.auth.policy``) to use
    this page; raises ``NotAuthenticated`` or ``Forbidden`` otherwise."""
    actor = known_actor(request)
    if actor is None:
        raise messages.login_required()
    rule = policy.decide(request.method, route_path(request))
    if rule != PUBLIC and not policy.allows(rule, actor.roles):
        raise messages.role_not_allowed(rule if isinstance(rule, frozenset) else None,
                                        actor.roles)
    return actor


def may(actor: Actor | None, method: str, path: str) -> bool:
    """Whether ``actor`` may use the page ``method path`` (a route path with ``{params}``):
    pages show a link or a button only to those who may follow it."""
    rule = policy.decide(method, path)
    return rule == PUBLIC or (actor is not None and policy.allows(rule, actor.roles))


def csrf_token(request: Request) -> str | None:
    """The CSRF token forms must post back (None when nobody is signed in)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return csrf_for(app_ctx(request).settings.secret_key, token)


def check_csrf(request: Request, form: FormData) -> None:
    """Refuse a form post whose CSRF token does not match the session's (callers with a bearer
    token carry no cookie, so no cross-site request can borrow their credentials)."""
    if bearer_token(request) is not None:
        return
    expected = csrf_token(request)
    given = form.get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise Forbidden(
            "the form expired; reload the page and try again",
            "ទម្រង់បែបបទផុតកំណត់ សូមផ្ទុកទំព័រឡើងវិញ ហើយព្យាយាមម្តងទៀត",
        )
