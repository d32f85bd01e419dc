"""Manifest of the social security fund capability: employers, affiliations, monthly
declarations, contributions, invoices, payments received and reminders (issue 15); claims,
member statements, coverage and the coverage gap (``claims_access``)."""

from spmis.auth.role_sets import API, AUD, EMP, FUND, A, roles
from spmis.fund.claims_access import CLAIMS_ACCESS, CLAIMS_MENU
from spmis.manifest import Capability, Command, MenuItem
from spmis.pagekit.texts import N_

#: fund staff who read
READ = roles(A, FUND, AUD)
#: fund staff who change
WRITE = roles(A, FUND)
#: fund staff and an employer (the use cases keep an employer to its own enterprise)
READ_OWN = READ | roles(EMP)
WRITE_OWN = WRITE | roles(EMP)
P = f"{API}/fund"
OFFICE = "/office/fund"
EMPLOYER_PAGE = "/employer"

CAPABILITY = Capability(
    name="fund",
    routers=("spmis.fund.api:router", "spmis.fund.claims_api:router"),
    pages=("spmis.fund.pages", "spmis.fund.claims_pages"),
    menu=(MenuItem(45, "office", OFFICE, N_("Social security fund"), roles=READ),
          MenuItem(48, "office", EMPLOYER_PAGE, N_("My enterprise at the fund"),
                   roles=roles(EMP)), *CLAIMS_MENU),
    commands=(Command("spmis.fund.cli:app", "fund"),
              Command("spmis.fund.claims_cli:app", "fund-claims")),
    tables=("spmis.fund.store", "spmis.fund.claims_store"),
    encrypted_columns=("spmis.fund.claims_store:ENCRYPTED_COLUMNS",),
    access={
        ("GET", f"{P}/employers"): READ_OWN,
        ("POST", f"{P}/employers"): WRITE,
        ("GET", f"{P}/employers/{{employer_id}}"): READ_OWN,
        ("POST", f"{P}/employers/{{employer_id}}/users"): WRITE,
        ("GET", f"{P}/employers/{{employer_id}}/workers"): READ_OWN,
        ("POST", f"{P}/affiliations"): WRITE_OWN,
        ("POST", f"{P}/affiliations/{{affiliation_id}}/end"): WRITE_OWN,
        ("GET", f"{P}/rates"): READ_OWN,
        ("PUT", f"{P}/rates/{{period}}"): WRITE,
        ("GET", f"{P}/employers/{{employer_id}}/declarations"): READ_OWN,
        ("POST", f"{P}/employers/{{employer_id}}/declarations"): WRITE_OWN,
        ("POST", f"{P}/employers/{{employer_id}}/declarations/upload"): WRITE_OWN,
        ("GET", f"{P}/declarations/{{declaration_id}}"): READ_OWN,
        ("POST", f"{P}/declarations/{{declaration_id}}/submit"): WRITE_OWN,
        ("GET", f"{P}/runs"): READ,
        ("POST", f"{P}/runs"): WRITE,
        ("GET", f"{P}/employers/{{employer_id}}/invoices"): READ_OWN,
        ("GET", f"{P}/invoices/{{invoice_id}}"): READ_OWN,
        ("GET", f"{P}/employers/{{employer_id}}/payments"): READ_OWN,
        ("POST", f"{P}/employers/{{employer_id}}/payments"): WRITE,
        ("GET", f"{P}/arrears"): READ_OWN,
        ("GET", OFFICE): READ,
        ("GET", f"{OFFICE}/employers/{{employer_id}}"): READ,
        ("POST", f"{OFFICE}/runs"): WRITE,
        ("POST", f"{OFFICE}/employers/{{employer_id}}/payments"): WRITE,
        ("GET", EMPLOYER_PAGE): roles(EMP),
        ("POST", f"{EMPLOYER_PAGE}/declare"): roles(EMP),
        ("POST", f"{EMPLOYER_PAGE}/upload"): roles(EMP),
        ("POST", f"{EMPLOYER_PAGE}/declarations/{{declaration_id}}/submit"): roles(EMP),
        ("GET", f"{EMPLOYER_PAGE}/invoices/{{invoice_id}}"): roles(EMP),
        **CLAIMS_ACCESS,
    },
)
