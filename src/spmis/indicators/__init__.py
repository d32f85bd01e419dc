"""Indicators of the programmes, computed set-based and refreshed as a background job: the public
dashboard, open data with small cells suppressed, and staff reports at the user's scope."""

__all__ = ["suppression"]
