"""THE authorisation table: every route of the application (method, path) mapped to the roles that
may call it, or to ``PUBLIC``. Each capability declares the rules of its own routes in its manifest
(``Capability.access`` in ``<package>/capability.py``); this module joins them with the platform's
own routes into ``ROUTE_POLICY``, one table to read, review and test.

- A route that is not in the table is closed to everyone (403 "no access rule"), and the
  authorisation-matrix test (tests/integration/auth/test_authorisation_matrix.py) fails until its
  capability declares it.
- Roles decide *what* a caller may do; the service layer then limits *where* (the caller's
  geographic scope) and enforces maker-checker. Both are needed.
- The named sets of roles the rules are written with live in ``spmis.auth.role_sets``.
"""

from __future__ import annotations

from spmis.auth.role_sets import ANY_STAFF, DECIDE, READ_AUDIT, READ_METRICS, REVEAL
from spmis.auth.roles import PUBLIC
from spmis.manifest import Rule, access_rules, field_access_rules

__all__ = ["ANY_STAFF", "DECIDE", "FIELD_POLICY", "PLATFORM_POLICY", "READ_AUDIT", "REVEAL",
           "ROUTE_POLICY", "Rule", "allows", "decide", "restricted_fields"]

#: the platform's own routes (not a capability's): liveness, readiness, metrics and the API's
#: description
PLATFORM_POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/health/ready"): PUBLIC,
    ("GET", "/metrics"): READ_METRICS,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
}

ROUTE_POLICY: dict[tuple[str, str], Rule] = {**PLATFORM_POLICY, **access_rules()}


#: request fields that only some of a route's roles may set, per route: {field: rule}. A caller
#: allowed on the route but holding none of a field's roles who sends that field (with a value
#: other than null) gets 403 naming the field, before the route runs. Values are still checked
#: by the service (e.g. no automatic-merge threshold below the floor setting, for anyone).
#: Each capability declares them in its manifest (``Capability.field_access``).
FIELD_POLICY: dict[tuple[str, str], dict[str, Rule]] = field_access_rules()


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
