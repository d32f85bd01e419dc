"""Social assistance delivery: programmes as data, enrolment from a pinned evaluation run,
payment cycles whose entitlements have one unique key per beneficiary, programme, period and
component, a ledger per programme and month, exits and shock response (docs/payments.md)."""

from __future__ import annotations

__all__: list[str] = []
