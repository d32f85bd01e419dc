"""Access-control HTTP API: page login/logout (session cookie + CSRF token), OAuth2
client-credentials tokens for machine clients, who-am-I, staff user administration and the login
history. Which roles may call each route is decided in ``spmis.auth.policy``."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from spmis.auth import messages
from spmis.auth.accounts import AccountService, UserView
from spmis.auth.activation import ActivationLink
from spmis.auth.deps import SESSION_COOKIE, Ctx, CurrentActor, client_address
from spmis.auth.schemas import (
    AccountChangeOut,
    ActivateIn,
    ActivationOut,
    ApprovalOut,
    LoginAttemptOut,
    LoginIn,
    MeOut,
    ResetIn,
    SessionOut,
    TokenOut,
    UserCreate,
    UserCreated,
    UserOut,
    UserUpdate,
)
from spmis.auth.staff import StaffOutcome, StaffService
from spmis.auth.store import login_attempt
from spmis.config import Environment
from spmis.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["access control"])
UserId = Annotated[int, Path(ge=1, le=2**62)]


def _user_out(view: UserView) -> UserOut:
    return UserOut(**view.__dict__)


@router.post("/auth/login", response_model=SessionOut)
def login(body: LoginIn, request: Request, response: Response, ctx: Ctx) -> SessionOut:
    """Log a staff user in for the pages: sets an HttpOnly session cookie and returns the CSRF
    token to send back on every unsafe request. Locks the account after repeated failures."""
    accounts = AccountService(ctx)
    address = client_address(request)
    actor = accounts.login(body.username, body.password, body.totp, address)
    session = accounts.open_session(actor.username, address)
    response.set_cookie(
        SESSION_COOKIE, session.token, max_age=ctx.settings.session_hours * 3600,
        httponly=True, samesite="strict", path="/",
        secure=ctx.settings.env != Environment.DEVELOPMENT,
    )
    return SessionOut(username=actor.username, roles=sorted(actor.roles), scope=actor.scope,
                      csrf_token=session.csrf_token, expires_at=session.expires_at)


@router.post("/auth/logout", status_code=204)
def logout(request: Request, ctx: Ctx, _actor: CurrentActor) -> Response:
    """End the page session (the cookie is cleared and the session revoked on the server)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        AccountService(ctx).close_session(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        cid, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except ValueError as exc:
        raise messages.bad_credentials() from exc
    return (cid, secret) if sep else None


@router.post("/auth/token", response_model=TokenOut)
def token(
    request: Request, ctx: Ctx,
    grant_type: Annotated[str, Form(max_length=64)],
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=256)] = None,
) -> TokenOut:
    """OAuth2 client-credentials grant (RFC 6749 §4.4): credentials in HTTP Basic or in the form;
    returns a short-lived bearer token."""
    if grant_type != "client_credentials":
        raise InvalidInput.one(("grant_type",), "unsupported_grant_type",
                               "only client_credentials is supported",
                               "គាំទ្រតែ client_credentials ប៉ុណ្ណោះ")
    basic = _basic_credentials(request)
    cid, secret = basic if basic else (client_id, client_secret)
    if not cid or not secret:
        raise messages.bad_credentials()
    issued = AccountService(ctx).client_token(cid, secret, client_address(request))
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


@router.get("/auth/me", response_model=MeOut)
def me(actor: CurrentActor) -> MeOut:
    """Who the caller is: name, roles and geographic scope."""
    return MeOut(username=actor.username, roles=sorted(actor.roles), scope=actor.scope)


# ---------------------------------------------------------------- staff users (admin)
@router.get("/users", response_model=list[UserOut])
def list_users(ctx: Ctx, actor: CurrentActor) -> list[UserOut]:
    """Staff users inside the administrator's scope."""
    return [_user_out(u) for u in AccountService(ctx).list_users(actor)]


def _activation_out(link: ActivationLink, request: Request) -> ActivationOut:
    base = str(request.base_url).rstrip("/")
    return ActivationOut(username=link.username, activation_path=link.path,
                         activation_url=base + link.path, purpose=link.purpose,
                         expires_at=link.expires_at)


def _filed(outcome: StaffOutcome) -> JSONResponse:
    assert outcome.request is not None
    return JSONResponse(status_code=202, content=outcome.request.model_dump(mode="json"))


@router.post("/users", response_model=UserCreated, status_code=201,
             responses={202: {"model": ApprovalOut,
                              "description": "filed for a second administrator"}})
def create_user(body: UserCreate, request: Request, ctx: Ctx,
                actor: CurrentActor) -> UserCreated | JSONResponse:
    """A new staff account, with no password: the answer holds a one-time activation link,
    shown this once, to hand to the person, who chooses their password with it. An account with
    rights to administer, approve or see identifiers is a request (202) that another
    administrator approves; the link then goes to that administrator."""
    outcome = StaffService(ctx).create(body.username, [r.value for r in body.roles], body.scope,
                                       actor, full_name=body.full_name, reason=body.reason)
    if outcome.request is not None:
        return _filed(outcome)
    assert outcome.user is not None and outcome.link is not None
    return UserCreated(**outcome.user.__dict__, activation=_activation_out(outcome.link, request))


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: UserId, ctx: Ctx, actor: CurrentActor) -> UserOut:
    return _user_out(AccountService(ctx).get_user(user_id, actor))


@router.patch("/users/{user_id}", response_model=UserOut,
              responses={202: {"model": ApprovalOut,
                               "description": "new rights filed for a second administrator"}})
def update_user(user_id: UserId, body: UserUpdate, ctx: Ctx,
                actor: CurrentActor) -> UserOut | JSONResponse:
    """Change roles, scope, active flag or name; ``unlock`` ends the throttling of the account's
    failed logins. Changing roles, scope or deactivating ends the user's sessions. Giving rights
    to administer, approve or see identifiers (or a wider area with them) is a request (202)
    that another administrator approves; the other changes are made at once."""
    outcome = StaffService(ctx).change(
        user_id, actor, roles=[r.value for r in body.roles] if body.roles else None,
        scope=body.scope, is_active=body.is_active, full_name=body.full_name, unlock=body.unlock,
        reason=body.reason)
    if outcome.request is not None:
        return _filed(outcome)
    assert outcome.user is not None
    return _user_out(outcome.user)


@router.post("/users/{user_id}/reset-password", response_model=ActivationOut,
             responses={202: {"model": ApprovalOut,
                              "description": "filed for a second administrator"}})
def reset_password(user_id: UserId, request: Request, ctx: Ctx, actor: CurrentActor,
                   body: ResetIn | None = None) -> ActivationOut | JSONResponse:
    """End the account's password and sessions and issue a new one-time activation link
    (shown this once, to hand to the person). For an account with rights to administer,
    approve or see identifiers, a request (202) another administrator approves."""
    outcome = StaffService(ctx).reset_password(user_id, actor, body.reason if body else None)
    if outcome.request is not None:
        return _filed(outcome)
    assert outcome.link is not None
    return _activation_out(outcome.link, request)


@router.post("/auth/activate", response_model=MeOut)
def activate(body: ActivateIn, ctx: Ctx) -> MeOut:
    """The person chooses their password with their one-time link's token (a new account, or
    after a reset); then they log in as usual."""
    who = StaffService(ctx).activate(body.token, body.password)
    return MeOut(username=who.username, roles=sorted(who.roles), scope=who.scope)


@router.get("/users/{user_id}/history", response_model=list[AccountChangeOut])
def user_history(user_id: UserId, ctx: Ctx, actor: CurrentActor) -> list[AccountChangeOut]:
    """Every change of a staff account (created, roles, scope, unlocks...), oldest first."""
    return [AccountChangeOut(**e) for e in AccountService(ctx).history(user_id, actor)]


@router.get("/login-attempts", response_model=list[LoginAttemptOut])
def login_attempts(ctx: Ctx, _actor: CurrentActor,
                   principal: Annotated[str | None, Query(max_length=64)] = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[LoginAttemptOut]:
    """The most recent login and token attempts, newest first."""
    query = select(login_attempt).order_by(login_attempt.c.id.desc()).limit(limit)
    if principal:
        query = query.where(login_attempt.c.principal == principal.strip().lower())
    with ctx.engine.connect() as conn:
        return [LoginAttemptOut(**{k: r[k] for k in LoginAttemptOut.model_fields})
                for r in conn.execute(query).mappings()]
