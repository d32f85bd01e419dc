"""The social security fund (NSSF): employers and their staff accounts, affiliations of workers
and voluntary members, monthly declarations, contributions computed by the rules engine,
invoices with KHQR, payments received and their allocation, arrears and reminders (issue 15).

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py);
they read the fund through ``spmis.fund.queries``.
"""

from __future__ import annotations

__all__ = ["capability", "model", "queries"]
