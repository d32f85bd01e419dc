"""Manifest of the social security fund capability: employers, affiliations, monthly
declarations, contributions, invoices, payments received and reminders (issue 15)."""

from spmis.manifest import Capability

CAPABILITY = Capability(
    name="fund",
    tables=("spmis.fund.store",),
)
