"""Grievance redress and appeals: intake by the public (ticket and PIN) and by staff, routing to
the commune, district or province in charge, deadlines per category with escalation, resolution
with the complainant's satisfaction, appeals before a second reviewer, an outbox of messages to
complainants (docs/accountability.md).

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py).
"""

__all__ = ["capability", "model", "parameters", "queries", "service"]
