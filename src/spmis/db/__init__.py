"""Database: engine, unit of work, shared metadata and Alembic migrations.

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py);
the others, the tables (``store``) above all, are this package's own.
"""

__all__ = [
    "base",
    "chain",
    "encrypted",
    "engine",
    "history",
    "migrate",
    "tables",
    "uow",
]
