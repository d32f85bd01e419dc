"""Staff accounts and API clients: creation, login with throttling and optional TOTP, page
sessions, client-credentials tokens, and the Actor each authenticated principal acts as.

Throttling: failed logins are counted per account and client address, and per address, in
``login_attempt`` (shared by every server process; ``spmis.auth.throttle``); every refusal gets
the same answer. Secrets are stored only as
Argon2 hashes (passwords, client secrets) or SHA-256 (session tokens); TOTP secrets are encrypted
with the field-encryption key ring.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.engine import RowMapping

from spmis.auth import messages, throttle, tokens
from spmis.auth.activation import UNUSABLE_PASSWORD
from spmis.auth.model import SYSTEM, Actor
from spmis.auth.passwords import (
    hash_secret,
    needs_rehash,
    password_problem,
    verify_secret,
)
from spmis.auth.roles import format_roles, parse_roles
from spmis.auth.scope import conditions as scope_conditions
from spmis.auth.scope import covers
from spmis.auth.store import TOTP_CONTEXT, api_client, auth_session, staff_user
from spmis.context import AppContext
from spmis.db import history
from spmis.db.base import utcnow
from spmis.db.uow import UnitOfWork
from spmis.errors import Conflict, InvalidInput, NotAuthenticated, NotFound

USER_PREFIX = "user:"
CLIENT_PREFIX = "client:"
USER_ENTITY = "staff_user"
CLIENT_ENTITY = "api_client"
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    full_name: str | None
    roles: list[str]
    scope: str
    is_active: bool
    totp_enabled: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    #: no password yet: the person has not opened their activation link
    awaiting_activation: bool = False

    @classmethod
    def of(cls, row: RowMapping) -> UserView:
        return cls(row["id"], row["username"], row["full_name"], sorted(row["roles"].split(",")),
                   row["scope"], row["is_active"], row["totp_secret_enc"] is not None,
                   row["locked_until"], row["last_login_at"],
                   row["password_hash"] == UNUSABLE_PASSWORD)


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: datetime


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_for(secret_key: str, session_token: str) -> str:
    """The CSRF token bound to a session (HMAC of the session token): nothing extra to store."""
    return hmac.new(secret_key.encode(), f"csrf\x1f{session_token}".encode(),
                    hashlib.sha256).hexdigest()


def actor_of(row: RowMapping, prefix: str = "") -> Actor:
    name = row["username"] if "username" in row else row["client_id"]
    return Actor(f"{prefix}{name}", frozenset(row["roles"].split(",")), row["scope"])


#: a session's expiry and revocation with its user's row, read for every page request (built
#: once: the statement costs more to build than to run)
_SESSION_USER = (
    select(auth_session.c.expires_at, auth_session.c.revoked_at, staff_user)
    .join(staff_user, staff_user.c.id == auth_session.c.user_id)
    .where(auth_session.c.token_hash == bindparam("token_hash"))
)


class AccountService:
    """Use cases of staff accounts, API clients, logins and sessions."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    # ------------------------------------------------------------ validation
    def _check_scope_value(self, scope: str, by: Actor) -> str:
        scope = (scope or "").strip()
        if scope and not (len(scope) in (2, 4, 6) and self.ctx.gazetteer.is_area(scope)):
            raise InvalidInput.one(("scope",), "unknown_area",
                                   "must be empty (whole country) or a province, district or "
                                   "commune code", "ត្រូវតែទទេ ឬជាលេខកូដខេត្ត ស្រុក ឬឃុំ")
        if not covers(by.scope, scope):
            raise messages.outside_scope()
        return scope

    @staticmethod
    def _roles(values: Any) -> frozenset[str]:
        try:
            return parse_roles(values)
        except ValueError as exc:
            raise InvalidInput.one(("roles",), "unknown_role", str(exc),
                                   "តួនាទីមិនត្រឹមត្រូវ") from exc

    @staticmethod
    def _audit(conn: Connection, entity_type: str, entity_id: int, action: str, by: Actor,
               changes: dict[str, Any]) -> None:
        """Record an account change in the change log (who, when, what; never a secret)."""
        history.log_change(conn, entity_type, entity_id,
                           history.next_version(conn, entity_type, entity_id), action,
                           by.username[:64], None, changes)

    def history(self, uid: int, by: Actor) -> list[dict[str, Any]]:
        """Every recorded change of a staff account, oldest first."""
        with self._uow() as uow:
            self._user(uow.conn, uid, by)
            rows = history.entries(uow.conn, USER_ENTITY, uid)
            return [{k: r[k] for k in ("version", "action", "changed_at", "changed_by",
                                       "changes")} for r in rows]

    # ------------------------------------------------------------ staff users
    def _new_user(self, username: str, roles: Any, scope: str, by: Actor,
                  ) -> tuple[str, frozenset[str], str]:
        """The checked (user name, roles, scope) of a new account."""
        username = (username or "").strip().lower()
        if not USERNAME_RE.fullmatch(username):
            raise InvalidInput.one(("username",), "invalid", "use 1-64 letters, digits, . _ -",
                                   "ប្រើអក្សរ លេខ . _ - ចំនួន ១ ដល់ ៦៤")
        return username, self._roles(roles), self._check_scope_value(scope, by)

    @staticmethod
    def _name_free(conn: Connection, username: str) -> None:
        if conn.execute(select(staff_user.c.id).where(
                staff_user.c.username == username)).scalar() is not None:
            raise Conflict(f"user {username} already exists", f"អ្នកប្រើ {username} មានរួចហើយ")

    def _insert_user(self, conn: Connection, username: str, role_set: frozenset[str],
                     scope: str, full_name: str | None, password_hash: str, by: Actor,
                     extra: dict[str, Any] | None = None) -> int:
        """Insert a checked account and its history entry; returns its id."""
        self._name_free(conn, username)
        now = utcnow()
        uid: int = conn.execute(insert(staff_user).values(
            username=username, full_name=full_name, password_hash=password_hash,
            roles=format_roles(role_set), scope=scope, is_active=True, failed_logins=0,
            password_changed_at=now, created_at=now, created_by=by.username[:64],
        ).returning(staff_user.c.id)).scalar_one()
        self._audit(conn, USER_ENTITY, uid, "create", by,
                    {"username": username, "roles": format_roles(role_set), "scope": scope,
                     **(extra or {})})
        return uid

    def create_user(self, username: str, roles: Any, scope: str, by: Actor,
                    password: str | None = None, full_name: str | None = None) -> UserView:
        """Create a staff user directly, as the operator of the server does (``spmis user
        create``, tests). Without ``password`` the account has none that works until its person
        sets one through an activation link. Administrators create accounts through
        ``spmis.auth.staff`` (activation links, and a second administrator for sensitive
        rights)."""
        username, role_set, scope = self._new_user(username, roles, scope, by)
        stored = UNUSABLE_PASSWORD
        if password is not None:
            problem = password_problem(password, username)
            if problem:
                raise InvalidInput.one(("password",), "weak_password", problem,
                                       "ពាក្យសម្ងាត់មិនរឹងមាំគ្រប់គ្រាន់")
            stored = hash_secret(password)
        with self._uow() as uow:
            uid = self._insert_user(uow.conn, username, role_set, scope, full_name, stored, by)
            uow.commit()
            return self._user(uow.conn, uid, by)

    def _user(self, conn: Connection, uid: int, by: Actor) -> UserView:
        row = conn.execute(select(staff_user).where(staff_user.c.id == uid)).mappings().first()
        if row is None or not covers(by.scope, row["scope"]):
            raise NotFound(f"user {uid} not found", f"រកមិនឃើញអ្នកប្រើលេខ {uid}")
        return UserView.of(row)

    def get_user(self, uid: int, by: Actor) -> UserView:
        with self._uow() as uow:
            return self._user(uow.conn, uid, by)

    def list_users(self, by: Actor) -> list[UserView]:
        with self._uow() as uow:
            query = select(staff_user).order_by(staff_user.c.username)
            query = query.where(*scope_conditions(by.scope, staff_user.c.scope))
            return [UserView.of(r) for r in uow.conn.execute(query).mappings()]

    def set_password(self, username: str, password: str) -> None:
        problem = password_problem(password, username)
        if problem:
            raise InvalidInput.one(("password",), "weak_password", problem,
                                   "ពាក្យសម្ងាត់មិនរឹងមាំគ្រប់គ្រាន់")
        with self._uow() as uow:
            row = self._user_by_name(uow.conn, username)
            uow.conn.execute(update(staff_user).where(staff_user.c.id == row["id"]).values(
                password_hash=hash_secret(password), password_changed_at=utcnow()))
            self._revoke_sessions(uow.conn, row["id"])
            self._audit(uow.conn, USER_ENTITY, row["id"], "password", SYSTEM, {})
            uow.commit()

    def unlock(self, username: str) -> None:
        """End the throttling of a user's logins, from every address."""
        with self._uow() as uow:
            row = self._user_by_name(uow.conn, username)
            throttle.unlock(uow.conn, row["username"], "password", utcnow())
            uow.conn.execute(update(staff_user).where(staff_user.c.id == row["id"]).values(
                failed_logins=0, locked_until=None))
            self._audit(uow.conn, USER_ENTITY, row["id"], "unlock", SYSTEM, {})
            uow.commit()

    def enable_totp(self, username: str) -> str:
        """Give ``username`` a new TOTP secret; returns the provisioning URI (shown once)."""
        secret = pyotp.random_base32()
        with self._uow() as uow:
            row = self._user_by_name(uow.conn, username)
            uow.conn.execute(update(staff_user).where(staff_user.c.id == row["id"]).values(
                totp_secret_enc=self.ctx.cipher.encrypt(secret, TOTP_CONTEXT)))
            self._audit(uow.conn, USER_ENTITY, row["id"], "totp_enabled", SYSTEM, {})
            uow.commit()
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="SPMIS")

    def _user_by_name(self, conn: Connection, username: str) -> RowMapping:
        row = conn.execute(select(staff_user).where(
            staff_user.c.username == username.strip().lower())).mappings().first()
        if row is None:
            raise NotFound(f"user {username} not found", f"រកមិនឃើញអ្នកប្រើ {username}")
        return row

    # ------------------------------------------------------------ login / throttling
    def _record(self, conn: Connection, principal: str, kind: str, ok: bool, outcome: str,
                address: str | None) -> None:
        throttle.record(conn, principal, kind, ok, outcome, address, utcnow())

    @staticmethod
    def _is_locked(row: RowMapping, now: datetime) -> bool:
        """An account an administrator locked (``locked_until``; logins no longer set it)."""
        return row["locked_until"] is not None and row["locked_until"] > now

    def _refuse(self, conn: Connection, uow: UnitOfWork, principal: str, kind: str,
                outcome: str, address: str | None) -> NotAuthenticated:
        self._record(conn, principal or "?", kind, False, outcome, address)
        uow.commit()
        return messages.bad_credentials()

    def login(self, username: str, password: str, totp: str | None = None,
              address: str | None = None) -> Actor:
        """Check a staff user's password (and TOTP code when enabled). Every refusal, for an
        unknown name, a wrong password, an inactive or locked account or a throttled address,
        is the same answer; failures are throttled per account and address (``throttle``)."""
        now = utcnow()
        name = (username or "").strip().lower()[:64]
        with self._uow() as uow:
            conn = uow.conn
            if throttle.throttled(conn, self.settings, name or "?", "password", address, now):
                raise self._refuse(conn, uow, name, "password", throttle.THROTTLED, address)
            row = conn.execute(select(staff_user).where(
                staff_user.c.username == name)).mappings().first()
            ok = verify_secret(row["password_hash"] if row else None, password or "")
            if row is None or not row["is_active"] or self._is_locked(row, now):
                raise self._refuse(conn, uow, name, "password", "unknown_or_inactive", address)
            if ok and row["totp_secret_enc"] is not None:
                if not totp:  # right password, code still to come: ask for it, not a failure
                    raise messages.totp_required()
                secret = self.ctx.cipher.decrypt(row["totp_secret_enc"], TOTP_CONTEXT)
                if not pyotp.TOTP(secret).verify(str(totp), valid_window=1):
                    self._record(conn, name, "password", False, "bad_totp", address)
                    uow.commit()
                    raise messages.totp_required()
            if not ok:
                raise self._refuse(conn, uow, name, "password", "bad_password", address)
            values: dict[str, Any] = {"failed_logins": 0, "last_login_at": now}
            if needs_rehash(row["password_hash"]):
                values["password_hash"] = hash_secret(password)
            conn.execute(update(staff_user).where(staff_user.c.id == row["id"]).values(**values))
            self._record(conn, name, "password", True, "ok", address)
            uow.commit()
            return actor_of(row)

    # ------------------------------------------------------------ sessions
    def open_session(self, username: str, address: str | None = None) -> NewSession:
        token = secrets.token_urlsafe(32)
        now = utcnow()
        expires = now + timedelta(hours=self.settings.session_hours)
        with self._uow() as uow:
            row = self._user_by_name(uow.conn, username)
            uow.conn.execute(insert(auth_session).values(
                token_hash=session_hash(token), user_id=row["id"], created_at=now,
                expires_at=expires, last_seen_at=now,
                client_address=(address or "")[:64] or None))
            uow.commit()
        return NewSession(token, csrf_for(self.settings.secret_key, token), expires)

    def session_actor(self, token: str) -> Actor:
        """The actor of a live session; raises NotAuthenticated when expired or revoked."""
        now = utcnow()
        with self._uow() as uow:
            row = uow.conn.execute(
                _SESSION_USER, {"token_hash": session_hash(token)}).mappings().first()
            if (row is None or row["revoked_at"] is not None or row["expires_at"] <= now
                    or not row["is_active"] or self._is_locked(row, now)):
                raise messages.session_expired()
            return actor_of(row)

    def close_session(self, token: str) -> None:
        with self._uow() as uow:
            uow.conn.execute(update(auth_session).where(
                auth_session.c.token_hash == session_hash(token),
                auth_session.c.revoked_at.is_(None)).values(revoked_at=utcnow()))
            uow.commit()

    @staticmethod
    def _revoke_sessions(conn: Connection, uid: int) -> None:
        conn.execute(update(auth_session).where(
            auth_session.c.user_id == uid, auth_session.c.revoked_at.is_(None)
        ).values(revoked_at=utcnow()))

    # ------------------------------------------------------------ API clients
    def create_client(self, name: str, roles: Any, scope: str, by: Actor) -> tuple[str, str]:
        """Register a machine client; returns (client_id, client_secret), the secret shown once."""
        if not name.strip() or len(name) > 200:
            raise InvalidInput.one(("name",), "invalid", "give a name of 1-200 characters",
                                   "សូមផ្តល់ឈ្មោះ")
        role_set = self._roles(roles)
        scope = self._check_scope_value(scope, by)
        client_id = "c_" + secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with self._uow() as uow:
            row_id = uow.conn.execute(insert(api_client).values(
                client_id=client_id, name=name.strip(), secret_hash=hash_secret(secret),
                roles=format_roles(role_set), scope=scope, is_active=True, failed_logins=0,
                created_at=utcnow(), created_by=by.username,
            ).returning(api_client.c.id)).scalar_one()
            self._audit(uow.conn, CLIENT_ENTITY, row_id, "create", by,
                        {"client_id": client_id, "name": name.strip(),
                         "roles": format_roles(role_set), "scope": scope})
            uow.commit()
        return client_id, secret

    def client_token(self, client_id: str, secret: str,
                     address: str | None = None) -> tokens.IssuedToken:
        """OAuth2 client-credentials grant: a short-lived bearer token for a machine client.
        Refusals are one answer and are throttled per client and address, like logins."""
        now = utcnow()
        cid = (client_id or "")[:64]
        with self._uow() as uow:
            conn = uow.conn
            if throttle.throttled(conn, self.settings, cid or "?", "client", address, now):
                raise self._refuse(conn, uow, cid, "client", throttle.THROTTLED, address)
            row = conn.execute(select(api_client).where(
                api_client.c.client_id == cid)).mappings().first()
            ok = verify_secret(row["secret_hash"] if row else None, secret or "")
            if row is None or not row["is_active"] or self._is_locked(row, now):
                raise self._refuse(conn, uow, cid, "client", "unknown_or_inactive", address)
            if not ok:
                raise self._refuse(conn, uow, cid, "client", "bad_secret", address)
            conn.execute(update(api_client).where(api_client.c.id == row["id"]).values(
                failed_logins=0, last_used_at=now))
            self._record(conn, cid, "client", True, "ok", address)
            uow.commit()
        return tokens.issue(self.settings.secret_key, CLIENT_PREFIX + cid,
                            self.settings.token_minutes)

    def user_token(self, username: str) -> tokens.IssuedToken:
        """A bearer token for a staff user (after ``login``; also used by tests and scripts)."""
        with self._uow() as uow:
            row = self._user_by_name(uow.conn, username)
        return tokens.issue(self.settings.secret_key, USER_PREFIX + row["username"],
                            self.settings.token_minutes)

    def token_actor(self, token: str) -> Actor:
        """The actor of a bearer token; raises NotAuthenticated (expired, forged, inactive)."""
        try:
            subject = tokens.subject_of(self.settings.secret_key, token)
        except tokens.TokenError as exc:
            raise (messages.token_expired() if exc.expired else messages.token_invalid()) from exc
        now = utcnow()
        with self._uow() as uow:
            if subject.startswith(USER_PREFIX):
                row = uow.conn.execute(select(staff_user).where(
                    staff_user.c.username == subject[len(USER_PREFIX):])).mappings().first()
                prefix = ""
            elif subject.startswith(CLIENT_PREFIX):
                row = uow.conn.execute(select(api_client).where(
                    api_client.c.client_id == subject[len(CLIENT_PREFIX):])).mappings().first()
                prefix = CLIENT_PREFIX
            else:
                row = None
                prefix = ""
            if row is None or not row["is_active"] or self._is_locked(row, now):
                raise messages.token_invalid()
            return actor_of(row, prefix)
