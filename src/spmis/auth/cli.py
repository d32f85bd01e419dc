"""Access-control commands: ``spmis user ...``, ``spmis client ...``, ``spmis keys ...``.

The command line runs as the operator of the server (the system actor), who holds the database
and its keys: its account changes are made at once, without a second administrator, and are
recorded in each account's history as made by "system". Secrets it creates (activation links,
client secrets, TOTP URIs) are printed once and never logged.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from spmis.config import get_settings, new_key_b64

if TYPE_CHECKING:
    from spmis.context import AppContext

user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
client_app = typer.Typer(help="API clients (OAuth2 client credentials).", no_args_is_help=True)
keys_app = typer.Typer(help="Field-encryption keys.", no_args_is_help=True)
console = Console(soft_wrap=True)

RolesOpt = Annotated[str, typer.Option("--roles", "--role", help="comma-separated roles")]
ScopeOpt = Annotated[str, typer.Option(help="'' (country) or a province/district/commune code")]


@contextmanager
def _ctx() -> Iterator[AppContext]:
    """The application context for one command; its connections are closed afterwards."""
    from spmis.context import AppContext

    ctx = AppContext.create(get_settings())
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


def _fail(exc: Exception) -> None:
    from spmis.errors import InvalidInput

    text = "; ".join(f"{e.field}: {e.msg}" for e in exc.errors) if isinstance(
        exc, InvalidInput) else str(exc)
    console.print(f"[red]{text}[/red]")
    raise typer.Exit(1)


def _print_link(link: object) -> None:
    from spmis.auth.activation import ActivationLink

    assert isinstance(link, ActivationLink)
    console.print(f"activation link for {link.username} (shown once; hand it to the person, who "
                  f"chooses their password with it; valid until {link.expires_at:%Y-%m-%d %H:%M} "
                  f"UTC): <this server's address>{link.path}")


@user_app.command("create")
def user_create(
    username: str, roles: RolesOpt, scope: ScopeOpt = "",
    full_name: Annotated[str | None, typer.Option(help="the person's name")] = None,
    prompt_password: Annotated[bool, typer.Option(
        "--prompt-password", help="type the password (the person at the keyboard) instead of "
        "issuing an activation link")] = False,
) -> None:
    """Create a staff user, as the operator of the server. Without --prompt-password the account
    gets a one-time activation link (printed once) with which its person chooses a password."""
    from spmis.auth.accounts import AccountService
    from spmis.auth.model import SYSTEM
    from spmis.auth.staff import StaffService
    from spmis.errors import SpmisError

    password = typer.prompt("password", hide_input=True,
                            confirmation_prompt=True) if prompt_password else None
    try:
        with _ctx() as ctx:
            if password is not None:
                user = AccountService(ctx).create_user(username, roles, scope, SYSTEM,
                                                       password=password, full_name=full_name)
                link = None
            else:
                outcome = StaffService(ctx).create(username, roles, scope, SYSTEM,
                                                   full_name=full_name, direct=True)
                assert outcome.user is not None
                user, link = outcome.user, outcome.link
    except SpmisError as exc:
        _fail(exc)
        return
    console.print(f"created user {user.username} roles={','.join(user.roles)} "
                  f"scope={user.scope or 'country'}")
    if link is not None:
        _print_link(link)


@user_app.command("list")
def user_list() -> None:
    """Every staff account: roles, area, state."""
    from spmis.auth.accounts import AccountService
    from spmis.auth.model import SYSTEM

    with _ctx() as ctx:
        users = AccountService(ctx).list_users(SYSTEM)
    for u in users:
        state = ("disabled" if not u.is_active else
                 "awaiting activation" if u.awaiting_activation else "active")
        console.print(f"{u.username}  {','.join(u.roles)}  {u.scope or 'country'}  {state}")


def _change(username: str, **changes: object) -> None:
    from spmis.auth.model import SYSTEM
    from spmis.auth.staff import StaffService
    from spmis.errors import SpmisError

    try:
        with _ctx() as ctx:
            svc = StaffService(ctx)
            outcome = svc.change(svc.user_id(username), SYSTEM, direct=True,
                                 **changes)  # type: ignore[arg-type]
    except SpmisError as exc:
        _fail(exc)
        return
    u = outcome.user
    assert u is not None
    console.print(f"{u.username} roles={','.join(u.roles)} scope={u.scope or 'country'} "
                  f"{'active' if u.is_active else 'disabled'}")


@user_app.command("edit")
def user_edit(
    username: str,
    roles: Annotated[str | None, typer.Option("--roles", "--role",
                                              help="comma-separated roles")] = None,
    scope: Annotated[str | None, typer.Option(help="'' (country) or an area code")] = None,
    full_name: Annotated[str | None, typer.Option(help="the person's name")] = None,
) -> None:
    """Change an account's roles, area or name (as the operator: at once, recorded in its
    history). Its sessions end when its roles or area change."""
    _change(username, roles=roles, scope=scope, full_name=full_name)


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable an account: it cannot sign in; its sessions and activation links end."""
    _change(username, is_active=False)


@user_app.command("enable")
def user_enable(username: str) -> None:
    """Enable a disabled account again."""
    _change(username, is_active=True)


@user_app.command("reset-password")
def user_reset_password(username: str) -> None:
    """End an account's password and sessions; print a new one-time activation link (once)."""
    from spmis.auth.model import SYSTEM
    from spmis.auth.staff import StaffService
    from spmis.errors import SpmisError

    try:
        with _ctx() as ctx:
            svc = StaffService(ctx)
            outcome = svc.reset_password(svc.user_id(username), SYSTEM, direct=True)
    except SpmisError as exc:
        _fail(exc)
        return
    _print_link(outcome.link)


@user_app.command("enable-totp")
def enable_totp(username: str) -> None:
    """Require a one-time code at login; prints the otpauth:// URI to scan, once."""
    from spmis.auth.accounts import AccountService
    from spmis.errors import SpmisError

    try:
        with _ctx() as ctx:
            uri = AccountService(ctx).enable_totp(username)
    except SpmisError as exc:
        _fail(exc)
        return
    console.print(f"scan this in an authenticator app (shown once): {uri}")


@user_app.command("unlock")
def unlock(username: str) -> None:
    """Clear a lockout after repeated failed logins."""
    from spmis.auth.accounts import AccountService
    from spmis.errors import SpmisError

    try:
        with _ctx() as ctx:
            AccountService(ctx).unlock(username)
    except SpmisError as exc:
        _fail(exc)
        return
    console.print(f"unlocked {username}")


@client_app.command("create")
def client_create(name: str, roles: RolesOpt, scope: ScopeOpt = "") -> None:
    """Register a machine client; prints its client id and secret (the secret once)."""
    from spmis.auth.accounts import AccountService
    from spmis.auth.model import SYSTEM
    from spmis.errors import SpmisError

    try:
        with _ctx() as ctx:
            client_id, secret = AccountService(ctx).create_client(name, roles, scope, SYSTEM)
    except SpmisError as exc:
        _fail(exc)
        return
    console.print(f"client_id: {client_id}")
    console.print(f"client_secret (shown once): {secret}")
    console.print("get a token: POST /api/v1/auth/token grant_type=client_credentials")


@keys_app.command("rotate")
def keys_rotate(
    chunk_rows: Annotated[int, typer.Option(min=100, max=1_000_000)] = 5000,
) -> None:
    """Re-encrypt every encrypted value with the first key of SPMIS_ENCRYPTION_KEYS."""
    from spmis.auth.keys import count_by_key, rotate, rotate_files

    with _ctx() as ctx:
        done = rotate(ctx, chunk_rows)
        for table, n in done.items():
            console.print(f"{table}: {n} values re-encrypted with key '{ctx.cipher.primary}'")
        files, per_key = rotate_files(ctx)
        console.print(f"files on disk (job reports): {files} re-encrypted with key "
                      f"'{ctx.cipher.primary}'")
        for table, counts in count_by_key(ctx).items():
            console.print(f"{table}: values per key {counts or '{}'}")
        console.print(f"files on disk (job reports): files per key {per_key or '{}'}")


@keys_app.command("new")
def keys_new(key_id: Annotated[str, typer.Option(help="id of the new key")] = "k2") -> None:
    """Print a fresh random key entry to put first in SPMIS_ENCRYPTION_KEYS."""
    console.print(f"{key_id}:{new_key_b64()}")
