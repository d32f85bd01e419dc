"""What the serving path keeps in a process (menus by role set, route index, built statements)
holds nothing a user's rights depend on: a sign-out or a change of roles made through one worker
takes effect on the next request to another, whose menus were already built."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from spmis.app import create_app
from spmis.auth.accounts import AccountService
from spmis.auth.model import SYSTEM
from spmis.auth.staff import StaffService
from spmis.auth.store import staff_user
from spmis.context import AppContext


def test_sign_out_and_role_change_reach_every_worker(ctx: AppContext, make_user) -> None:  # type: ignore[no-untyped-def]
    other_ctx = AppContext.create(ctx.settings)  # another worker: its own pool and caches
    try:
        first = TestClient(create_app(ctx=ctx))
        second_accounts = AccountService(other_ctx)
        name = make_user("registrar")
        session = AccountService(ctx).open_session(name)
        first.cookies.set("spmis_session", session.token)
        page = first.get("/office/households")
        assert page.status_code == 200 and 'href="/office/households/new"' in page.text

        second_accounts.close_session(session.token)  # signed out through the other worker
        gone = first.get("/office/households", follow_redirects=False)
        assert gone.status_code == 401

        with ctx.engine.connect() as conn:
            uid = conn.execute(select(staff_user.c.id).where(staff_user.c.username == name)
                               ).scalar_one()
        again = second_accounts.open_session(name)
        first.cookies.set("spmis_session", again.token)
        assert 'href="/office/households/new"' in first.get("/office/households").text
        StaffService(other_ctx).change(uid, SYSTEM, roles=["auditor"], reason="moved to audit")
        ended = first.get("/office/households", follow_redirects=False)
        assert ended.status_code == 401  # a change of roles ends the sessions

        auditor = second_accounts.open_session(name)
        first.cookies.set("spmis_session", auditor.token)
        seen = first.get("/office/households")
        assert 'href="/office/households/new"' not in seen.text  # the auditor's own menu
    finally:
        other_ctx.engine.dispose()
