"""Identifying poor households (IDPoor): assessment rounds, the household questionnaire as an
XLSForm collected offline in ODK Collect and received over OpenRosa, and its scoring as rules
(docs/targeting.md). The community review, posting lists and equity cards build on the tables
and queries here.

Other packages import only the modules in ``__all__`` (checked by tests/unit/test_boundaries.py).
"""

__all__ = ["capability", "cards", "model", "queries", "review", "review_model", "service"]
