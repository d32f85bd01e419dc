"""Read-only queries of the grievances capability for other capabilities (the indicators).

The grievances capability owns its tables (``grievances.store``): others read them only through
the functions here. ``grievances()`` is a read-only view of the ``grievance`` table (an alias
with the table's own name) to compose into the caller's own set-based query: its columns
``area_code`` (the commune the complaint is about), ``status``, ``received_at``, ``deadline``
(the one in force: an escalation sets a new one), ``resolved_at`` (None while open). Contact
details are not for other capabilities and stay ciphertext.

This module is additive: a capability that needs more adds a function here.
"""

from __future__ import annotations

from sqlalchemy.sql.selectable import NamedFromClause

from spmis.grievances import store

__all__ = ["grievances"]

_GRIEVANCES = store.grievance.alias("grievance")


def grievances() -> NamedFromClause:
    """The ``grievance`` table, read-only."""
    return _GRIEVANCES
