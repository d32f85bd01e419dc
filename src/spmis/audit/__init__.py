"""The audit trail: the tamper-evident chain of every state change (``spmis.db.chain``, appended
by the history core), verified end to end, read by auditors and published as a daily root hash.

- ``AuditService``: ``verify`` (recompute the chain; name the first entry that does not match),
  ``daily_roots`` (public), ``entries`` (auditors).

Other packages import only the names and modules in ``__all__``.
"""

from spmis.audit.model import DailyRoot, Verdict
from spmis.audit.service import AuditService

__all__ = ["AuditService", "DailyRoot", "Verdict"]
