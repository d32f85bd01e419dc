"""DCI social registry interoperability: search, subscriptions and notifications between
registries, signed with Ed25519 and authorised with OAuth2 client tokens.

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py);
the others, the tables (``store``) above all, are this package's own.
"""

__all__ = [
    "capability",
    "client",
    "model",
    "service",
]
