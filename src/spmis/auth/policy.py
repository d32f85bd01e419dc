"""THE authorisation table: every route of the application (method, path) mapped to the roles that
may call it, or to ``PUBLIC``. One place to read, review and test.

- A route that is not in this table is closed to everyone (403 "no access rule"), and the
  authorisation-matrix test (tests/unit/auth/test_authorisation_matrix.py) fails until it is added.
- Roles decide *what* a caller may do; the service layer then limits *where* (the caller's
  geographic scope) and enforces maker-checker. Both are needed.

To add a capability's routes: add its lines below, with the narrowest set of roles that need them.
"""

from __future__ import annotations

from spmis.auth.roles import PUBLIC, Role

A = Role.ADMIN
REG = Role.REGISTRAR
PO = Role.PROGRAMME_OFFICER
APR = Role.APPROVER
FIN = Role.FINANCE_OFFICER
FUND = Role.FUND_OFFICER
GRV = Role.GRIEVANCE_OFFICER
AUD = Role.AUDITOR

Rule = frozenset[str] | str


def roles(*items: Role) -> frozenset[str]:
    return frozenset(r.value for r in items)


#: every staff role (any authenticated user or client)
ANY_STAFF = roles(*Role)
#: read the registry (masked identifiers): every staff role
READ_REGISTRY = ANY_STAFF
#: change households and people
WRITE_HOUSEHOLDS = roles(A, REG)
#: change enterprises (registrars and the social security fund)
WRITE_ENTERPRISES = roles(A, REG, FUND)
#: see identifiers in clear, with a reason, logged (not admin: administering is not casework)
REVEAL = roles(REG, PO, GRV, FUND)
#: record consent
WRITE_CONSENT = roles(A, REG, GRV)
#: read the access log of unmasked reads and the login history
READ_AUDIT = roles(A, AUD)
#: decide maker-checker requests (never admin: the checker must be a designated approver)
DECIDE = roles(APR)

API = "/api/v1"

ROUTE_POLICY: dict[tuple[str, str], Rule] = {
    # ------------------------------------------------------------ public
    ("GET", "/health"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", f"{API}/reference/provinces"): PUBLIC,
    ("GET", f"{API}/reference/provinces/{{code}}/districts"): PUBLIC,
    ("GET", f"{API}/reference/districts/{{code}}/communes"): PUBLIC,
    ("GET", f"{API}/reference/communes/{{code}}/villages"): PUBLIC,
    ("GET", f"{API}/reference/units/{{code}}"): PUBLIC,
    # ------------------------------------------------------------ rules (public screener)
    ("POST", f"{API}/screener"): PUBLIC,
    ("GET", f"{API}/parameters"): PUBLIC,
    ("GET", f"{API}/programmes"): PUBLIC,
    # ------------------------------------------------------------ authentication
    ("POST", f"{API}/auth/login"): PUBLIC,
    ("POST", f"{API}/auth/token"): PUBLIC,
    ("POST", f"{API}/auth/logout"): ANY_STAFF,
    ("GET", f"{API}/auth/me"): ANY_STAFF,
    ("GET", f"{API}/users"): roles(A),
    ("POST", f"{API}/users"): roles(A),
    ("GET", f"{API}/users/{{user_id}}"): roles(A),
    ("PATCH", f"{API}/users/{{user_id}}"): roles(A),
    ("GET", f"{API}/users/{{user_id}}/history"): READ_AUDIT,
    # ------------------------------------------------------------ registry: households
    ("POST", f"{API}/households"): WRITE_HOUSEHOLDS,
    ("GET", f"{API}/households"): READ_REGISTRY,
    ("GET", f"{API}/households/{{household_id}}"): READ_REGISTRY,
    ("PATCH", f"{API}/households/{{household_id}}"): WRITE_HOUSEHOLDS,
    ("POST", f"{API}/households/{{household_id}}/members"): WRITE_HOUSEHOLDS,
    ("POST", f"{API}/households/{{household_id}}/members/{{person_id}}/move"): WRITE_HOUSEHOLDS,
    ("POST", f"{API}/households/{{household_id}}/split"): WRITE_HOUSEHOLDS,
    ("POST", f"{API}/households/{{household_id}}/head"): WRITE_HOUSEHOLDS,
    ("GET", f"{API}/households/{{household_id}}/history"): READ_REGISTRY,
    # ------------------------------------------------------------ registry: people
    ("GET", f"{API}/persons"): READ_REGISTRY,
    ("GET", f"{API}/persons/{{person_id}}"): READ_REGISTRY,
    ("PATCH", f"{API}/persons/{{person_id}}"): WRITE_HOUSEHOLDS,
    ("GET", f"{API}/persons/{{person_id}}/history"): READ_REGISTRY,
    ("POST", f"{API}/persons/{{person_id}}/reveal"): REVEAL,
    ("GET", f"{API}/persons/{{person_id}}/consents"): READ_REGISTRY,
    ("POST", f"{API}/persons/{{person_id}}/consents"): WRITE_CONSENT,
    # ------------------------------------------------------------ registry: enterprises
    ("POST", f"{API}/enterprises"): WRITE_ENTERPRISES,
    ("GET", f"{API}/enterprises"): READ_REGISTRY,
    ("GET", f"{API}/enterprises/{{enterprise_id}}"): READ_REGISTRY,
    ("PATCH", f"{API}/enterprises/{{enterprise_id}}"): WRITE_ENTERPRISES,
    ("GET", f"{API}/enterprises/{{enterprise_id}}/history"): READ_REGISTRY,
    # ------------------------------------------------------------ DCI (spmis.interop)
    # other registries' API clients (programme or fund systems); the signature and the sender's
    # registration are checked by the DCI service on top of the role
    ("GET", "/.well-known/jwks.json"): PUBLIC,
    **{("POST", f"/registry/{p}"): roles(PO, FUND) for p in (
        "sync/search", "search", "subscribe", "unsubscribe", "txn/status", "sync/txn/status",
        "on-search", "on-subscribe", "on-unsubscribe", "txn/on-status", "notify")},
    # ------------------------------------------------------------ maker-checker
    ("GET", f"{API}/approvals"): ANY_STAFF,
    ("GET", f"{API}/approvals/{{request_id}}"): ANY_STAFF,
    ("POST", f"{API}/approvals/{{request_id}}/approve"): DECIDE,
    ("POST", f"{API}/approvals/{{request_id}}/reject"): DECIDE,
    ("POST", f"{API}/approvals/{{request_id}}/cancel"): ANY_STAFF,
    # ------------------------------------------------------------ audit
    ("GET", f"{API}/access-log"): READ_AUDIT,
    ("GET", f"{API}/login-attempts"): READ_AUDIT,
    # ------------------------------------------------------------ linkage: dedupe and review
    ("GET", f"{API}/linkage/runs"): roles(A, REG, APR, AUD),
    ("POST", f"{API}/linkage/runs"): roles(A, REG),
    ("GET", f"{API}/linkage/reviews"): roles(REG, APR, AUD),
    ("GET", f"{API}/linkage/reviews/{{review_id}}"): roles(REG, APR, AUD),
    ("POST", f"{API}/linkage/reviews/{{review_id}}/accept"): roles(REG),
    ("POST", f"{API}/linkage/reviews/{{review_id}}/reject"): roles(REG),
    ("GET", f"{API}/linkage/merges"): roles(A, REG, APR, AUD),
    ("POST", f"{API}/linkage/merges/{{merge_id}}/undo"): roles(REG),
    # ------------------------------------------------------------ web pages (spmis.web)
    ("MOUNT", "/static"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/programmes"): PUBLIC,
    ("GET", "/programmes/{programme_id}"): PUBLIC,
    ("GET", "/eligibility"): PUBLIC,
    ("POST", "/eligibility"): PUBLIC,
    ("GET", "/areas/picker"): PUBLIC,
    ("GET", "/office/households/{household_id}/edit"): WRITE_HOUSEHOLDS,
    ("POST", "/office/households/{household_id}/edit"): WRITE_HOUSEHOLDS,
    ("GET", "/office/linkage"): roles(REG, APR, AUD),
    ("GET", "/office/linkage/{review_id}"): roles(REG, APR, AUD),
    ("POST", "/office/linkage/{review_id}/{decision}"): roles(REG),
    ("GET", "/office/imports"): WRITE_HOUSEHOLDS,
    ("POST", "/office/imports"): WRITE_HOUSEHOLDS,
    ("GET", "/office/imports/{import_id}/rejects"): WRITE_HOUSEHOLDS,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): ANY_STAFF,
    ("GET", "/office"): ANY_STAFF,
    ("GET", "/office/households"): READ_REGISTRY,
    ("GET", "/office/households/new"): WRITE_HOUSEHOLDS,
    ("POST", "/office/households/new"): WRITE_HOUSEHOLDS,
    ("GET", "/office/households/{household_id}"): READ_REGISTRY,
    ("GET", "/office/people"): READ_REGISTRY,
    ("GET", "/office/people/{person_id}"): READ_REGISTRY,
    ("POST", "/office/people/{person_id}/reveal"): REVEAL,
    ("GET", "/office/people/{person_id}/edit"): WRITE_HOUSEHOLDS,
    ("POST", "/office/people/{person_id}/edit"): WRITE_HOUSEHOLDS,
    ("GET", "/office/approvals"): ANY_STAFF,
    ("POST", "/office/approvals/{request_id}/{decision}"): DECIDE,
    ("GET", "/office/users"): roles(A),
    ("POST", "/office/users"): roles(A),
}


#: request fields that only some of a route's roles may set, per route: {field: rule}. A caller
#: allowed on the route but holding none of a field's roles who sends that field (with a value
#: other than null) gets 403 naming the field, before the route runs. Values are still checked
#: by the service (e.g. no automatic-merge threshold below the floor setting, for anyone).
FIELD_POLICY: dict[tuple[str, str], dict[str, Rule]] = {
    # raise the automatic-merge threshold of one run (lowering the floor is a setting)
    ("POST", f"{API}/linkage/runs"): {"auto_merge_threshold": roles(A)},
}


def restricted_fields(method: str, path: str) -> dict[str, Rule]:
    """The body fields of a route that only some roles may set (see ``FIELD_POLICY``)."""
    return FIELD_POLICY.get((method.upper(), path), {})


def decide(method: str, path: str) -> Rule | None:
    """The rule for a route, or None when the table has no decision (the route is then closed).
    HEAD is decided as GET."""
    method = "GET" if method.upper() == "HEAD" else method.upper()
    return ROUTE_POLICY.get((method, path))


def allows(rule: Rule | None, user_roles: frozenset[str] | None) -> bool:
    """Whether a caller holding ``user_roles`` (None: anonymous) may call a route with ``rule``."""
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    assert isinstance(rule, frozenset)
    return user_roles is not None and bool(rule & user_roles)
