"""Manifest of the payments capability: programmes as data, enrolment, payment cycles and their
entitlements, the ledger, exits and shock response."""

from spmis.manifest import Capability

CAPABILITY = Capability(
    name="payments",
    tables=("spmis.payments.store", "spmis.payments.delivery_store"),
    approval_kinds=("spmis.payments.exits",),
    encrypted_columns=("spmis.payments.delivery_store:ENCRYPTED_COLUMNS",),
)
