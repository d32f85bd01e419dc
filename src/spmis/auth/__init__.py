"""Access control: actors, roles, geographic scopes, field encryption.

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py);
the others, the tables (``store``) above all, are this package's own.
"""

__all__ = [
    "access",
    "accounts",
    "approvals",
    "capability",
    "crypto",
    "deps",
    "messages",
    "model",
    "policy",
    "role_sets",
    "roles",
    "schemas",
    "scope",
]
