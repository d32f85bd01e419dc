"""Manifest of the web capability: the public portal and the back-office pages, their menus and
their access rules. Page modules are mounted in the order listed (``registration`` before
``office``: ``/office/households/new`` is not a household id)."""

from spmis.auth.role_sets import (
    ANY_STAFF,
    APR,
    AUD,
    DECIDE,
    READ_REGISTRY,
    REG,
    REVEAL,
    WRITE_HOUSEHOLDS,
    A,
    roles,
)
from spmis.auth.roles import PUBLIC
from spmis.manifest import Capability, MenuItem
from spmis.pagekit.texts import N_

REVIEWERS = roles(REG, APR, AUD)
#: start a deduplication run of one's area (as ``POST /api/v1/linkage/runs``)
DEDUPE = roles(A, REG)

CAPABILITY = Capability(
    name="web",
    pages=(
        "spmis.web.public",
        "spmis.web.signin",
        "spmis.web.registration",
        "spmis.web.office",
        "spmis.web.imports",
        "spmis.web.approvals",
        "spmis.web.linkage_review",
        "spmis.web.admin",
        "spmis.web.activate",
        "spmis.web.exports",
    ),
    menu=(
        MenuItem(10, "public", "/", N_("Home")),
        MenuItem(20, "public", "/programmes", N_("Programmes")),
        MenuItem(30, "public", "/eligibility", N_("Am I eligible?")),
        MenuItem(10, "office", "/office", N_("Start")),
        MenuItem(20, "office", "/office/households", N_("Find a household")),
        MenuItem(30, "office", "/office/households/new", N_("Register a household"),
                 WRITE_HOUSEHOLDS),
        MenuItem(35, "office", "/office/imports", N_("Import a file"), WRITE_HOUSEHOLDS),
        MenuItem(40, "office", "/office/people", N_("Find a person")),
        MenuItem(45, "office", "/office/linkage", N_("Possible duplicates"), REVIEWERS | DEDUPE),
        MenuItem(50, "office", "/office/approvals", N_("Approvals")),
        MenuItem(90, "office", "/office/users", N_("Staff accounts"), roles(A)),
    ),
    access={
        # public portal
        ("MOUNT", "/static"): PUBLIC,
        ("GET", "/"): PUBLIC,
        ("GET", "/programmes"): PUBLIC,
        ("GET", "/programmes/{programme_id}"): PUBLIC,
        ("GET", "/eligibility"): PUBLIC,
        ("POST", "/eligibility"): PUBLIC,
        ("GET", "/areas/picker"): PUBLIC,
        # sign-in
        ("GET", "/login"): PUBLIC,
        ("POST", "/login"): PUBLIC,
        ("POST", "/logout"): ANY_STAFF,
        # back office
        ("GET", "/office"): ANY_STAFF,
        ("GET", "/office/households"): READ_REGISTRY,
        ("GET", "/office/households/new"): WRITE_HOUSEHOLDS,
        ("POST", "/office/households/new"): WRITE_HOUSEHOLDS,
        ("POST", "/office/households/new/duplicates"): WRITE_HOUSEHOLDS,
        ("GET", "/office/households/{household_id}"): READ_REGISTRY,
        ("GET", "/office/households/{household_id}/edit"): WRITE_HOUSEHOLDS,
        ("POST", "/office/households/{household_id}/edit"): WRITE_HOUSEHOLDS,
        ("GET", "/office/people"): READ_REGISTRY,
        ("GET", "/office/people/{person_id}"): READ_REGISTRY,
        ("POST", "/office/people/{person_id}/reveal"): REVEAL,
        ("GET", "/office/people/{person_id}/edit"): WRITE_HOUSEHOLDS,
        ("POST", "/office/people/{person_id}/edit"): WRITE_HOUSEHOLDS,
        ("GET", "/office/imports"): WRITE_HOUSEHOLDS,
        ("POST", "/office/imports"): WRITE_HOUSEHOLDS,
        ("GET", "/office/linkage"): REVIEWERS | DEDUPE,
        ("POST", "/office/linkage/runs"): DEDUPE,
        ("GET", "/office/linkage/next"): REVIEWERS,
        ("GET", "/office/linkage/{review_id}"): REVIEWERS,
        ("POST", "/office/linkage/{review_id}/{decision}"): roles(REG),
        ("GET", "/office/approvals"): ANY_STAFF,
        ("POST", "/office/approvals/{request_id}/cancel"): ANY_STAFF,
        # approvers decide casework, administrators staff-account requests (per kind)
        ("POST", "/office/approvals/{request_id}/{decision}"): DECIDE | roles(A),
        ("GET", "/office/users"): roles(A),
        ("POST", "/office/users"): roles(A),
        ("GET", "/office/users/{user_id}"): roles(A),
        ("POST", "/office/users/{user_id}/{action}"): roles(A),
        # a staff user choosing their password with their one-time link
        ("GET", "/activate"): PUBLIC,
        ("POST", "/activate"): PUBLIC,
        # downloads of the household and person searches (issue 13, item 20)
        ("GET", "/office/households.csv"): READ_REGISTRY,
        ("GET", "/office/households.xlsx"): READ_REGISTRY,
        ("GET", "/office/people.csv"): READ_REGISTRY,
        ("GET", "/office/people.xlsx"): READ_REGISTRY,
    },
)
