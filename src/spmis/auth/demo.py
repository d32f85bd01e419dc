"""Demo staff accounts, one per role (two administrators and two finance officers, for the
work another of the same role must approve), so that a newcomer can try every workflow after
`make run` (issue 13, item 21). Development only: outside ``SPMIS_ENV=development`` nothing is
created and nothing is listed. The accounts share one password, random, made once per machine
and kept in ``var/dev-secrets.json`` with the development keys (no password ships with the
code); the sign-in page lists the accounts and that password."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.auth.passwords import verify_secret
from spmis.auth.roles import Role
from spmis.auth.store import staff_user
from spmis.config import dev_secret
from spmis.context import AppContext

#: the name of the demo password in var/dev-secrets.json (the password itself is random)
PASSWORD_SECRET = "demo_password"  # noqa: S105


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    full_name: str
    #: scoped to the demo district (casework is done in an area); else the whole country
    in_district: bool = False


DEMO_ACCOUNTS = (
    DemoAccount("demo.admin", Role.ADMIN, "Demo administrator"),
    # a second administrator decides what the first asks about sensitive accounts
    DemoAccount("demo.admin2", Role.ADMIN, "Second demo administrator"),
    DemoAccount("demo.registrar", Role.REGISTRAR, "Demo registrar", in_district=True),
    DemoAccount("demo.approver", Role.APPROVER, "Demo approver"),
    DemoAccount("demo.programme", Role.PROGRAMME_OFFICER, "Demo programme and policy officer"),
    DemoAccount("demo.finance", Role.FINANCE_OFFICER, "Demo finance officer"),
    # a second finance officer approves the payroll of a cycle the first one ran
    DemoAccount("demo.finance2", Role.FINANCE_OFFICER, "Second demo finance officer"),
    DemoAccount("demo.fund", Role.FUND_OFFICER, "Demo social security fund officer"),
    DemoAccount("demo.grievance", Role.GRIEVANCE_OFFICER, "Demo grievance officer"),
    DemoAccount("demo.auditor", Role.AUDITOR, "Demo auditor"),
)
DEMO_NAMES = tuple(a.username for a in DEMO_ACCOUNTS)


@dataclass(frozen=True)
class ListedAccount:
    """A demo account as the sign-in page lists it."""

    username: str
    roles: list[str]
    scope: str


def ensure_demo_accounts(ctx: AppContext, district: str) -> tuple[str, list[str]] | None:
    """Create the missing demo accounts (the registrar scoped to ``district``) and give every
    demo account the demo password again; returns (password, names created), or None outside
    development."""
    password = dev_secret(ctx.settings, PASSWORD_SECRET)
    if password is None:
        return None
    accounts = AccountService(ctx)
    with ctx.engine.connect() as conn:
        existing = {r.username: r.password_hash for r in conn.execute(
            select(staff_user.c.username, staff_user.c.password_hash).where(
                staff_user.c.username.in_(DEMO_NAMES)))}
    created = []
    for account in DEMO_ACCOUNTS:
        if account.username not in existing:
            accounts.create_user(account.username, [account.role.value],
                                 district if account.in_district else "", SYSTEM,
                                 password=password, full_name=account.full_name)
            created.append(account.username)
        elif not verify_secret(existing[account.username], password):
            accounts.set_password(account.username, password)
    return password, created


def listed_demo_accounts(ctx: AppContext) -> tuple[str, list[ListedAccount]] | None:
    """The demo password and the active demo accounts, in the order above; None outside
    development or before ``ensure_demo_accounts`` ran."""
    password = dev_secret(ctx.settings, PASSWORD_SECRET, create=False)
    if password is None:
        return None
    with ctx.engine.connect() as conn:
        rows = {r.username: r for r in conn.execute(
            select(staff_user.c.username, staff_user.c.roles, staff_user.c.scope).where(
                staff_user.c.username.in_(DEMO_NAMES), staff_user.c.is_active.is_(True)))}
    found = [ListedAccount(n, sorted(rows[n].roles.split(",")), rows[n].scope)
             for n in DEMO_NAMES if n in rows]
    return (password, found) if found else None
