"""Manifest of grievances and appeals: its tables, API, public and back-office pages, menus,
command and the encrypted contact columns."""

from spmis.auth.role_sets import API, AUD, FUND, GRV, PO, REG, A, roles
from spmis.auth.roles import PUBLIC
from spmis.manifest import Capability, Command, MenuItem
from spmis.pagekit.texts import N_

#: take a grievance in for someone who phoned, came or wrote
TAKE_IN = roles(A, GRV, REG)
#: see the queue and a grievance
READ = roles(A, GRV, AUD, PO, FUND)
#: review and resolve (an appeal's second reviewer may be a programme or fund officer)
DECIDE = roles(GRV, PO, FUND)

CAPABILITY = Capability(
    name="grievances",
    routers=("spmis.grievances.api:router",),
    pages=("spmis.grievances.pages",),
    menu=(
        MenuItem(40, "public", "/grievances", N_("Make a complaint")),
        MenuItem(45, "public", "/grievances/follow", N_("Follow a complaint")),
        MenuItem(55, "office", "/office/grievances", N_("Complaints and appeals"), READ),
        # a registrar at the front desk takes complaints in without seeing the queue
        MenuItem(56, "office", "/office/grievances/new", N_("Take in a complaint"), roles(REG)),
    ),
    commands=(Command("spmis.grievances.cli:app", "grievances"),),
    tables=("spmis.grievances.store",),
    encrypted_columns=("spmis.grievances.store:ENCRYPTED_COLUMNS",),
    access={
        ("POST", f"{API}/grievances"): TAKE_IN,
        ("GET", f"{API}/grievances"): READ,
        ("GET", f"{API}/grievances/{{grievance_id}}"): READ,
        ("POST", f"{API}/grievances/{{grievance_id}}/decision"): DECIDE,
        ("POST", f"{API}/grievances/{{grievance_id}}/review"): DECIDE,
        ("POST", f"{API}/grievances/{{grievance_id}}/resolve"): DECIDE,
        ("POST", f"{API}/grievances/{{grievance_id}}/satisfaction"): DECIDE | TAKE_IN,
        ("POST", f"{API}/grievances/{{grievance_id}}/contact"): roles(GRV),
        ("POST", f"{API}/grievances/follow"): PUBLIC,
        # public pages (rate limited per address like every public route)
        ("GET", "/grievances"): PUBLIC,
        ("POST", "/grievances"): PUBLIC,
        ("GET", "/grievances/follow"): PUBLIC,
        ("POST", "/grievances/follow"): PUBLIC,
        ("POST", "/grievances/follow/satisfaction"): PUBLIC,
        # back office
        ("GET", "/office/grievances"): READ,
        ("GET", "/office/grievances/new"): TAKE_IN,
        ("POST", "/office/grievances/new"): TAKE_IN,
        ("GET", "/office/grievances/{grievance_id}"): READ,
        ("POST", "/office/grievances/{grievance_id}/{action}"): DECIDE | TAKE_IN,
    },
)
