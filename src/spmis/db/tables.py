"""Every capability's tables, imported so that ``metadata`` is complete (for Alembic and tests)."""

from spmis.auth import store as _auth_store  # noqa: F401
from spmis.db.base import metadata
from spmis.interop import store as _interop_store  # noqa: F401
from spmis.linkage import store as _linkage_store  # noqa: F401
from spmis.registry import store as _registry_store  # noqa: F401
from spmis.rules import store as _rules_store  # noqa: F401

__all__ = ["metadata"]
