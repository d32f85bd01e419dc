"""Manifest of the access-control capability: accounts, sign-in, maker-checker approvals,
the access log and key rotation."""

from spmis.auth.role_sets import (
    ANY_STAFF,
    API,
    DECIDE,
    READ_AUDIT,
    A,
    roles,
)
from spmis.auth.roles import PUBLIC
from spmis.manifest import Capability, Command

CAPABILITY = Capability(
    name="auth",
    routers=(
        "spmis.auth.api:router",
        "spmis.auth.approvals_api:router",
        "spmis.auth.access_api:router",
    ),
    commands=(
        Command("spmis.auth.cli:user_app", "user"),
        Command("spmis.auth.cli:client_app", "client"),
        Command("spmis.auth.cli:keys_app", "keys"),
    ),
    tables=("spmis.auth.store",),
    approval_kinds=("spmis.auth.staff",),
    encrypted_columns=("spmis.auth.store:ENCRYPTED_COLUMNS",),
    access={
        # sign-in and accounts
        ("POST", f"{API}/auth/login"): PUBLIC,
        ("POST", f"{API}/auth/token"): PUBLIC,
        ("POST", f"{API}/auth/logout"): ANY_STAFF,
        ("GET", f"{API}/auth/me"): ANY_STAFF,
        ("GET", f"{API}/users"): roles(A),
        ("POST", f"{API}/users"): roles(A),
        ("GET", f"{API}/users/{{user_id}}"): roles(A),
        ("PATCH", f"{API}/users/{{user_id}}"): roles(A),
        ("POST", f"{API}/users/{{user_id}}/reset-password"): roles(A),
        ("POST", f"{API}/auth/activate"): PUBLIC,
        ("GET", f"{API}/users/{{user_id}}/history"): READ_AUDIT,
        ("GET", f"{API}/login-attempts"): READ_AUDIT,
        # the access log (reads of personal data)
        ("GET", f"{API}/access-log"): READ_AUDIT,
        # maker-checker
        ("GET", f"{API}/approvals"): ANY_STAFF,
        ("GET", f"{API}/approvals/{{request_id}}"): ANY_STAFF,
        # approvers decide casework requests, administrators staff-account requests (each
        # kind names its deciders: spmis.auth.approvals.ApprovalKind.checkers)
        ("POST", f"{API}/approvals/{{request_id}}/approve"): DECIDE | roles(A),
        ("POST", f"{API}/approvals/{{request_id}}/reject"): DECIDE | roles(A),
        ("POST", f"{API}/approvals/{{request_id}}/cancel"): ANY_STAFF,
    },
)
