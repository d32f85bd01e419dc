"""Every capability's tables on the shared ``metadata`` (for Alembic and tests): the platform's
own and the modules each manifest lists in ``Capability.tables``."""

from spmis.db import chain, history  # noqa: F401  (change_log, audit_entry: the platform's own)
from spmis.db.base import metadata
from spmis.manifest import each, resolve

for _cap, _module in each("tables"):
    resolve(_module)

__all__ = ["metadata"]
