"""Who may do what in the community review and with equity cards: the access rule of each of
their routes, merged into the targeting manifest (``capability.py``)."""

from spmis.auth.role_sets import ANY_STAFF, API, APR, AUD, ENU, GRV, PO, REG, A, roles
from spmis.auth.roles import PUBLIC
from spmis.manifest import MenuItem, Rule
from spmis.pagekit.texts import N_

#: read the lists, their changes and objections
READ = roles(A, REG, ENU, PO, APR, AUD, GRV)
#: start a list, ask for changes, post it (commune staff and programme officers)
MAKE = roles(A, REG, PO)
#: take in an objection (commune staff, grievance officers)
OBJECT = roles(A, REG, PO, GRV)
#: decide a change, approve a list (never the person who asked or posted: checked by the use
#: case)
DECIDE = roles(APR)
T = f"{API}/targeting"
OFFICE = "/office/targeting"

REVIEW_ACCESS: dict[tuple[str, str], Rule] = {
    ("GET", f"{T}/lists"): READ,
    ("POST", f"{T}/lists"): MAKE,
    ("GET", f"{T}/lists/{{list_id}}"): READ,
    ("POST", f"{T}/lists/{{list_id}}/changes"): MAKE,
    ("POST", f"{T}/changes/{{change_id}}/decision"): DECIDE,
    ("POST", f"{T}/lists/{{list_id}}/post"): MAKE,
    ("POST", f"{T}/lists/{{list_id}}/objections"): OBJECT,
    ("POST", f"{T}/lists/{{list_id}}/approve"): DECIDE,
    ("GET", f"{T}/households/{{household_id}}/cards"): ANY_STAFF,
    ("GET", f"{T}/cards/{{card_number}}"): PUBLIC,
    # pages
    ("GET", "/cards/verify"): PUBLIC,
    ("GET", f"{OFFICE}/review"): READ,
    ("GET", f"{OFFICE}/review/{{round_id}}"): READ,
    ("POST", f"{OFFICE}/review/{{round_id}}/start"): MAKE,
    ("GET", f"{OFFICE}/lists/{{list_id}}"): READ,
    ("POST", f"{OFFICE}/lists/{{list_id}}/changes"): MAKE,
    ("POST", f"{OFFICE}/changes/{{change_id}}/{{decision}}"): DECIDE,
    ("POST", f"{OFFICE}/lists/{{list_id}}/post"): MAKE,
    ("POST", f"{OFFICE}/lists/{{list_id}}/objections"): OBJECT,
    ("POST", f"{OFFICE}/lists/{{list_id}}/approve"): DECIDE,
    ("GET", f"{OFFICE}/lists/{{list_id}}/posting.pdf"): READ,
    ("GET", f"{OFFICE}/lists/{{list_id}}/cards.pdf"): READ,
    ("GET", f"{OFFICE}/cards/{{card_id}}.pdf"): READ,
}

REVIEW_MENU = (MenuItem(58, "office", f"{OFFICE}/review", N_("Community review"), READ),)
