"""Access control: actors, roles, geographic scopes, accounts, approvals and the access log
(field encryption is the foundation ``spmis.crypto``).

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py);
the others, the tables (``store``) above all, are this package's own.
"""

__all__ = [
    "access",
    "accounts",
    "approvals",
    "capability",
    "demo",
    "deps",
    "messages",
    "model",
    "policy",
    "role_sets",
    "roles",
    "schemas",
    "scope",
    "staff",
    "throttle",
]
