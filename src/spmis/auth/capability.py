"""Manifest of the access-control capability: accounts, sign-in, maker-checker approvals,
personal-data reads (reveal, consent, access log) and key rotation."""

from spmis.auth.role_sets import (
    ANY_STAFF,
    API,
    DECIDE,
    READ_AUDIT,
    READ_REGISTRY,
    REVEAL,
    WRITE_CONSENT,
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
        "spmis.auth.personal_api:router",
    ),
    commands=(
        Command("spmis.auth.cli:user_app", "user"),
        Command("spmis.auth.cli:client_app", "client"),
        Command("spmis.auth.cli:keys_app", "keys"),
    ),
    tables=("spmis.auth.store",),
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
        ("GET", f"{API}/users/{{user_id}}/history"): READ_AUDIT,
        ("GET", f"{API}/login-attempts"): READ_AUDIT,
        # personal data: reveal, consent, the access log
        ("POST", f"{API}/persons/{{person_id}}/reveal"): REVEAL,
        ("GET", f"{API}/persons/{{person_id}}/consents"): READ_REGISTRY,
        ("POST", f"{API}/persons/{{person_id}}/consents"): WRITE_CONSENT,
        ("GET", f"{API}/access-log"): READ_AUDIT,
        # maker-checker
        ("GET", f"{API}/approvals"): ANY_STAFF,
        ("GET", f"{API}/approvals/{{request_id}}"): ANY_STAFF,
        ("POST", f"{API}/approvals/{{request_id}}/approve"): DECIDE,
        ("POST", f"{API}/approvals/{{request_id}}/reject"): DECIDE,
        ("POST", f"{API}/approvals/{{request_id}}/cancel"): ANY_STAFF,
    },
)
