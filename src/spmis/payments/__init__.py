"""Social assistance delivery: programmes as data, enrolment from a pinned evaluation run,
payment cycles whose entitlements have one unique key per beneficiary, programme, period and
component, a ledger per programme and month, exits and shock response (docs/payments.md).

Public: ``orders``, the payment orders other capabilities place (the fund's approved claims)."""

from __future__ import annotations

__all__ = ["orders", "queries"]
