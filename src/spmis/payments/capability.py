"""Manifest of the payments capability: programmes as data, enrolment, payment cycles and their
entitlements, the ledger, exits and shock response; payment delivery (providers, payroll files,
reconciliation, conditions, notifications)."""

from spmis.auth.role_sets import ANY_STAFF, API, APR, AUD, FIN, PO, A, roles
from spmis.manifest import Capability, Command, MenuItem
from spmis.pagekit.texts import N_
from spmis.payments.delivery_access import DELIVERY_ACCESS

#: who reads programmes, runs, cycles and the ledger
READ = roles(A, PO, APR, FIN, AUD)
#: who keeps programmes, lists candidates, declares shocks and asks for exits
MAKE = roles(A, PO)
#: who opens and runs a cycle
RUN = roles(A, PO, FIN)
P = f"{API}/payments"
OFFICE = "/office/payments"

CAPABILITY = Capability(
    name="payments",
    routers=("spmis.payments.api:router", "spmis.payments.delivery_api:router"),
    pages=("spmis.payments.pages", "spmis.payments.delivery_pages"),
    menu=(MenuItem(40, "office", OFFICE, N_("Payments"), roles=READ),
          MenuItem(41, "office", f"{OFFICE}/events", N_("Visits and conditions"),
                   roles=roles(A, PO))),
    commands=(Command("spmis.payments.cli:app", "payments"),
              Command("spmis.payments.delivery_cli:app", "payroll")),
    tables=("spmis.payments.store", "spmis.payments.delivery_store",
            "spmis.payments.order_store"),
    approval_kinds=("spmis.payments.exits",),
    encrypted_columns=("spmis.payments.delivery_store:ENCRYPTED_COLUMNS",),
    access={
        ("GET", f"{P}/programmes"): READ,
        ("POST", f"{P}/programmes/seed"): MAKE,
        ("GET", f"{P}/programmes/{{code}}"): READ,
        ("POST", f"{P}/programmes/{{code}}/state"): MAKE,
        ("PUT", f"{P}/programmes/{{code}}/budgets/{{year}}"): roles(A, PO, FIN),
        ("GET", f"{P}/enrolment-runs"): READ,
        ("POST", f"{P}/enrolment-runs"): MAKE,
        ("GET", f"{P}/enrolment-runs/{{run_id}}"): READ,
        ("POST", f"{P}/enrolment-runs/{{run_id}}/decision"): roles(APR),
        ("POST", f"{P}/applications"): MAKE,
        ("GET", f"{P}/cycles"): READ,
        ("POST", f"{P}/cycles"): RUN,
        ("GET", f"{P}/cycles/{{cycle_id}}"): READ,
        ("POST", f"{P}/cycles/{{cycle_id}}/approve"): roles(FIN),
        ("POST", f"{P}/cycles/{{cycle_id}}/lines"): RUN,
        ("GET", f"{P}/ledger/{{code}}/{{year}}"): READ,
        ("GET", f"{P}/households/{{household_id}}"): READ,
        ("POST", f"{P}/beneficiaries/{{beneficiary_id}}/exit"): MAKE,
        ("GET", f"{P}/shocks"): READ,
        ("POST", f"{P}/shocks"): MAKE,
        ("GET", f"{P}/shocks/{{shock_id}}"): READ,
        ("POST", f"{P}/shocks/{{shock_id}}/decision"): roles(APR),
        ("GET", OFFICE): READ,
        ("POST", f"{OFFICE}/seed"): MAKE,
        ("GET", f"{OFFICE}/programmes/{{code}}"): READ,
        ("POST", f"{OFFICE}/programmes/{{code}}/state"): MAKE,
        ("POST", f"{OFFICE}/programmes/{{code}}/budget"): roles(A, PO, FIN),
        ("POST", f"{OFFICE}/programmes/{{code}}/enrolment-runs"): MAKE,
        ("POST", f"{OFFICE}/programmes/{{code}}/cycles"): RUN,
        ("GET", f"{OFFICE}/enrolment-runs/{{run_id}}"): READ,
        ("POST", f"{OFFICE}/enrolment-runs/{{run_id}}/decision"): roles(APR),
        ("GET", f"{OFFICE}/cycles/{{cycle_id}}"): READ,
        ("POST", f"{OFFICE}/cycles/{{cycle_id}}/approve"): roles(FIN),
        ("GET", f"{OFFICE}/ledger/{{code}}"): READ,
        ("GET", f"{OFFICE}/shocks"): READ,
        ("POST", f"{OFFICE}/shocks"): MAKE,
        ("GET", f"{OFFICE}/shocks/{{shock_id}}"): READ,
        ("POST", f"{OFFICE}/shocks/{{shock_id}}/decision"): roles(APR),
        # loaded into the household page of every staff member: empty for those who may not
        # read payments (so the page asks nothing it would be refused)
        ("GET", "/office/households/{household_id}/payments"): ANY_STAFF,
        **DELIVERY_ACCESS,
    },
)
