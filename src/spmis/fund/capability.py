"""Manifest of the social security fund capability: employers, affiliations, monthly
declarations, contributions, invoices, payments received and reminders (issue 15); claims,
member statements, coverage and the coverage gap (``claims_access``)."""

from spmis.fund.claims_access import CLAIMS_ACCESS, CLAIMS_MENU
from spmis.manifest import Capability

CAPABILITY = Capability(
    name="fund",
    routers=("spmis.fund.claims_api:router",),
    pages=("spmis.fund.claims_pages",),
    menu=CLAIMS_MENU,
    tables=("spmis.fund.store", "spmis.fund.claims_store"),
    encrypted_columns=("spmis.fund.claims_store:ENCRYPTED_COLUMNS",),
    access=CLAIMS_ACCESS,
)
