"""What an administrator does to staff accounts, and how a person activates theirs (issue 12 #4,
issue 13 #19). The rules (docs/security.md, "What an administrator can and cannot do"):

- an administrator never sees or chooses a password: a new account, or one whose password is
  reset, gets an activation link (``spmis.auth.activation``) shown once to the administrator who
  issued it, to hand to the person; the person chooses the password;
- creating an account that holds a right of ``SECOND_ADMIN`` (administer, approve, reveal
  identifiers), giving an account such a right or a wider area while it holds one, and resetting
  the password of such an account are maker-checker requests that another administrator decides
  (kinds below); the activation link then goes to that checker, never to the maker;
- nobody changes their own roles, area or active state, resets their own password here, or
  decides a request about their own account;
- taking rights away (fewer roles, a narrower area, disabling) is done at once;
- every change is in the account's history (``spmis.db.history``).

The operator of the server (``spmis user ...``, the system actor) is outside these rules: whoever
runs commands on the server holds the database and its keys already.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.engine import RowMapping

from spmis.auth import activation
from spmis.auth.accounts import USER_ENTITY, AccountService, UserView, actor_of
from spmis.auth.activation import ACTIVATE, RESET, UNUSABLE_PASSWORD, ActivationLink
from spmis.auth.approvals import (
    ONCE,
    ApprovalKind,
    ApprovalRecord,
    file_request,
    filed_request,
    register_kind,
)
from spmis.auth.model import Actor
from spmis.auth.passwords import hash_secret, password_problem
from spmis.auth.role_sets import SECOND_ADMIN
from spmis.auth.roles import Role, format_roles
from spmis.auth.schemas import ApprovalOut
from spmis.auth.scope import covers
from spmis.auth.store import staff_user
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.errors import Conflict, Forbidden, InvalidInput, NotFound

KIND_CREATE = "staff_account_create"
KIND_CHANGE = "staff_account_change"
KIND_RESET = "staff_account_reset"
ADMINS = frozenset({Role.ADMIN.value})


@dataclass(frozen=True)
class StaffOutcome:
    """What an administrator's action did: the account as it is now, the request filed for a
    second administrator, and the activation link to hand to the person (shown once)."""

    user: UserView | None = None
    request: ApprovalOut | None = None
    link: ActivationLink | None = None


@dataclass(frozen=True)
class StaffRequestView:
    """A staff-account request as the deciding administrator sees it."""

    username: str
    full_name: str | None
    roles_before: list[str]
    roles: list[str]
    scope_before: str | None
    scope: str


def gains_second_admin_rights(before_roles: frozenset[str] | None, before_scope: str,
                              after_roles: frozenset[str], after_scope: str) -> bool:
    """Whether an account (``before_roles`` None: a new one) ends up holding a right of
    ``SECOND_ADMIN`` it did not hold, or holding one over an area it did not cover."""
    held = after_roles & SECOND_ADMIN
    if not held:
        return False
    if before_roles is None:
        return True
    return bool(held - before_roles) or not covers(before_scope, after_scope)


def _common_area(a: str, b: str) -> str:
    """The smallest area covering both scopes (who may decide a change between them)."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n - n % 2]


def link_dict(link: ActivationLink) -> dict[str, Any]:
    return {"username": link.username, "activation_path": link.path,
            "purpose": link.purpose, "expires_at": link.expires_at.isoformat()}


def _not_self(row: RowMapping, actor: Actor) -> None:
    if row["username"] == actor.username:
        raise Forbidden("you cannot decide or make this change to your own account; ask another "
                        "administrator",
                        "អ្នកមិនអាចធ្វើ ឬសម្រេចការផ្លាស់ប្តូរនេះលើគណនីរបស់ខ្លួនឯងបានទេ "
                        "សូមសុំអ្នកគ្រប់គ្រងម្នាក់ទៀត")


class StaffService(AccountService):
    """An administrator's use cases on staff accounts, and activation by the person."""

    def _row(self, conn: Connection, uid: int, by: Actor) -> RowMapping:
        row = conn.execute(select(staff_user).where(staff_user.c.id == uid)
                           .with_for_update()).mappings().first()
        if row is None or not covers(by.scope, row["scope"]):
            raise NotFound(f"user {uid} not found", f"រកមិនឃើញអ្នកប្រើលេខ {uid}")
        return row

    def _issue(self, conn: Connection, uid: int, username: str, purpose: str,
               by: Actor) -> ActivationLink:
        return activation.issue(conn, uid, username, purpose, by.username,
                                self.settings.activation_hours)

    def _reset(self, conn: Connection, row: RowMapping, by: Actor,
               extra: dict[str, Any] | None = None) -> ActivationLink:
        """No password works any more, sessions end, a new link is issued."""
        conn.execute(update(staff_user).where(staff_user.c.id == row["id"]).values(
            password_hash=UNUSABLE_PASSWORD, password_changed_at=utcnow()))
        self._revoke_sessions(conn, row["id"])
        self._audit(conn, USER_ENTITY, row["id"], "password_reset", by, extra or {})
        return self._issue(conn, row["id"], row["username"], RESET, by)

    # ------------------------------------------------------------ create
    def create(self, username: str, roles: Any, scope: str, by: Actor,
               full_name: str | None = None, reason: str | None = None,
               direct: bool = False) -> StaffOutcome:
        """A new account waiting for its person; or, with rights of ``SECOND_ADMIN``, a
        request that another administrator approves (``direct``: the operator's command line,
        no request)."""
        username, role_set, scope = self._new_user(username, roles, scope, by)
        with self._uow() as uow:
            conn = uow.conn
            self._name_free(conn, username)
            if not direct and gains_second_admin_rights(None, "", role_set, scope):
                rid = file_request(
                    self.ctx, conn, kind=KIND_CREATE, maker=by,
                    reason=reason or f"new staff account {username}",
                    payload={"username": username, "full_name": full_name,
                             "roles": format_roles(role_set), "scope": scope},
                    entity_type=USER_ENTITY, area_code=scope)
                uow.commit()
                return StaffOutcome(request=filed_request(conn, rid))
            uid = self._insert_user(conn, username, role_set, scope, full_name,
                                    UNUSABLE_PASSWORD, by)
            link = self._issue(conn, uid, username, ACTIVATE, by)
            uow.commit()
            return StaffOutcome(user=self._user(conn, uid, by), link=link)

    # ------------------------------------------------------------ change
    def change(self, uid: int, by: Actor, *, roles: Any = None, scope: str | None = None,
               is_active: bool | None = None, full_name: str | None = None,
               unlock: bool = False, reason: str | None = None,
               direct: bool = False) -> StaffOutcome:
        """Change name, roles, area or active state, or unlock. Gaining rights of
        ``SECOND_ADMIN`` (or a wider area with them) becomes a request (unless ``direct``);
        the rest is at once."""
        new_roles = self._roles(roles) if roles is not None else None
        new_scope = self._check_scope_value(scope, by) if scope is not None else None
        with self._uow() as uow:
            conn = uow.conn
            row = self._row(conn, uid, by)
            if new_roles is not None or new_scope is not None or is_active is not None:
                _not_self(row, by)
            old_roles = frozenset(row["roles"].split(","))
            after_roles = old_roles if new_roles is None else new_roles
            after_scope = row["scope"] if new_scope is None else new_scope
            filed = None
            if not direct and (after_roles, after_scope) != (old_roles, row["scope"]) and \
                    gains_second_admin_rights(old_roles, row["scope"], after_roles, after_scope):
                rid = file_request(
                    self.ctx, conn, kind=KIND_CHANGE, maker=by,
                    reason=reason or f"new rights for {row['username']}",
                    payload={"username": row["username"], "roles_before": row["roles"],
                             "scope_before": row["scope"], "roles": format_roles(after_roles),
                             "scope": after_scope},
                    entity_type=USER_ENTITY, entity_id=uid,
                    area_code=_common_area(row["scope"], after_scope))
                filed = filed_request(conn, rid)
                new_roles = new_scope = None
            values: dict[str, Any] = {}
            if new_roles is not None:
                values["roles"] = format_roles(new_roles)
            if new_scope is not None:
                values["scope"] = new_scope
            if is_active is not None:
                values["is_active"] = is_active
            if full_name is not None:
                values["full_name"] = full_name
            self._apply(conn, row, values, by, unlock=unlock)
            uow.commit()
            return StaffOutcome(user=self._user(conn, uid, by), request=filed)

    def _apply(self, conn: Connection, row: RowMapping, values: dict[str, Any], by: Actor,
               unlock: bool = False, extra: dict[str, Any] | None = None) -> None:
        """Write ``values`` on the account and its history entry; rights or state changed: its
        sessions end (and, disabled, its unused activation links)."""
        values = {k: v for k, v in values.items() if row[k] != v}
        if unlock:
            from spmis.auth import throttle

            throttle.unlock(conn, row["username"], "password", utcnow())
            values.update(failed_logins=0, locked_until=None)
        if not values:
            return
        conn.execute(update(staff_user).where(staff_user.c.id == row["id"]).values(**values))
        if {"roles", "scope", "is_active"} & set(values):
            self._revoke_sessions(conn, row["id"])
        if values.get("is_active") is False:
            activation.revoke_all(conn, row["id"])
        changes: dict[str, Any] = {k: [row[k], values[k]] for k in
                                   ("roles", "scope", "is_active", "full_name") if k in values}
        if unlock:
            changes["unlocked"] = True
        self._audit(conn, USER_ENTITY, row["id"], "update", by, {**changes, **(extra or {})})

    # ------------------------------------------------------------ reset
    def reset_password(self, uid: int, by: Actor, reason: str | None = None,
                       direct: bool = False) -> StaffOutcome:
        """End the account's password and sessions and issue a new activation link; for an
        account with rights of ``SECOND_ADMIN``, a request another administrator approves."""
        with self._uow() as uow:
            conn = uow.conn
            row = self._row(conn, uid, by)
            _not_self(row, by)
            if not row["is_active"]:
                raise Conflict("this account is disabled: enable it first",
                               "គណនីនេះត្រូវបានបិទ៖ សូមបើកវាជាមុនសិន")
            if not direct and frozenset(row["roles"].split(",")) & SECOND_ADMIN:
                rid = file_request(self.ctx, conn, kind=KIND_RESET, maker=by,
                                   reason=reason or f"new password for {row['username']}",
                                   payload={"username": row["username"]},
                                   entity_type=USER_ENTITY, entity_id=uid,
                                   area_code=row["scope"])
                uow.commit()
                return StaffOutcome(user=UserView.of(row), request=filed_request(conn, rid))
            link = self._reset(conn, row, by)
            uow.commit()
            return StaffOutcome(user=self._user(conn, uid, by), link=link)

    # ------------------------------------------------------------ activation (the person)
    def user_id(self, username: str) -> int:
        """The id of an account by its name (the command line names accounts)."""
        with self._uow() as uow:
            return int(self._user_by_name(uow.conn, username)["id"])

    def link_user(self, token: str) -> str:
        """The user name a live link is for (``invalid_link`` otherwise)."""
        with self._uow() as uow:
            return str(activation.live_link(uow.conn, token)["username"])

    def activate(self, token: str, password: str) -> Actor:
        """The person sets their password through their link (once); returns who they are.
        Their earlier sessions end."""
        with self._uow() as uow:
            conn = uow.conn
            row = activation.live_link(conn, token)
            problem = password_problem(password or "", row["username"])
            if problem:
                raise InvalidInput.one(("password",), "weak_password", problem,
                                       "ពាក្យសម្ងាត់មិនរឹងមាំគ្រប់គ្រាន់")
            conn.execute(update(staff_user).where(staff_user.c.id == row["id"]).values(
                password_hash=hash_secret(password), password_changed_at=utcnow(),
                failed_logins=0))
            activation.use(conn, row["activation_id"])
            self._revoke_sessions(conn, row["id"])
            self._audit(conn, USER_ENTITY, row["id"], "password_set",
                        Actor(row["username"], frozenset(), ""), {"through": row["purpose"]})
            uow.commit()
            return actor_of(row)


# ---------------------------------------------------------------- maker-checker kinds
def _subject(conn: Connection, record: ApprovalRecord, checker: Actor) -> RowMapping:
    row = conn.execute(select(staff_user).where(staff_user.c.id == record.entity_id)
                       .with_for_update()).mappings().first()
    if row is None:
        raise NotFound("the account of this request no longer exists",
                       "គណនីនៃសំណើនេះលែងមានទៀតហើយ")
    _not_self(row, checker)
    return row


def _apply_create(ctx: AppContext, conn: Connection, record: ApprovalRecord,
                  _secret: dict[str, Any], checker: Actor) -> dict[str, Any]:
    svc, p = StaffService(ctx), record.payload
    uid = svc._insert_user(conn, p["username"], frozenset(p["roles"].split(",")), p["scope"],
                           p.get("full_name"), UNUSABLE_PASSWORD, checker,
                           {"requested_by": record.maker, "approval_request": record.id})
    link = svc._issue(conn, uid, p["username"], ACTIVATE, checker)
    return {"user_id": uid, ONCE: link_dict(link)}


def _apply_change(ctx: AppContext, conn: Connection, record: ApprovalRecord,
                  _secret: dict[str, Any], checker: Actor) -> dict[str, Any]:
    svc, p = StaffService(ctx), record.payload
    row = _subject(conn, record, checker)
    if (row["roles"], row["scope"]) != (p["roles_before"], p["scope_before"]):
        raise Conflict("the account's roles or area changed after this request was made; "
                       "reject it and file a new one if still needed",
                       "តួនាទី ឬតំបន់របស់គណនីបានផ្លាស់ប្តូរក្រោយពេលធ្វើសំណើ "
                       "សូមបដិសេធវា ហើយធ្វើសំណើថ្មីប្រសិនបើនៅត្រូវការ")
    extra = {"requested_by": record.maker, "approval_request": record.id}
    svc._apply(conn, row, {"roles": p["roles"], "scope": p["scope"]}, checker, extra=extra)
    result: dict[str, Any] = {"user_id": row["id"]}
    if not frozenset(p["roles_before"].split(",")) & SECOND_ADMIN:
        # its first such right: whoever set its password so far (perhaps an administrator,
        # through the link of an ordinary account) must not keep it
        result[ONCE] = link_dict(svc._reset(conn, row, checker, extra))
    return result


def _apply_reset(ctx: AppContext, conn: Connection, record: ApprovalRecord,
                 _secret: dict[str, Any], checker: Actor) -> dict[str, Any]:
    svc = StaffService(ctx)
    row = _subject(conn, record, checker)
    if not row["is_active"]:
        raise Conflict("this account is disabled: enable it first",
                       "គណនីនេះត្រូវបានបិទ៖ សូមបើកវាជាមុនសិន")
    link = svc._reset(conn, row, checker, {"requested_by": record.maker,
                                          "approval_request": record.id})
    return {"user_id": row["id"], ONCE: link_dict(link)}


def _describe(_ctx: AppContext, _conn: Connection, record: ApprovalRecord,
              _secret: dict[str, Any], _reader: Actor) -> StaffRequestView:
    p = record.payload
    after = p.get("roles") or p.get("roles_before") or ""
    return StaffRequestView(p["username"], p.get("full_name"),
                            sorted(filter(None, (p.get("roles_before") or "").split(","))),
                            sorted(after.split(",")) if record.kind != KIND_RESET else [],
                            p.get("scope_before"), p.get("scope", ""))


for _name, _handler, _text in (
        (KIND_CREATE, _apply_create, "a staff account with rights to administer, approve or "
                                     "see identifiers"),
        (KIND_CHANGE, _apply_change, "giving a staff account such rights, or a wider area"),
        (KIND_RESET, _apply_reset, "a new activation link for an account with such rights")):
    register_kind(ApprovalKind(_name, _handler, _text, describe=_describe, checkers=ADMINS))
