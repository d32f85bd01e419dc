"""Manifest of targeting (identifying poor households): its tables, API, the OpenRosa endpoints
of ODK Collect, pages, menu, command and job."""

from spmis.auth.role_sets import API, APR, AUD, ENU, GRV, PO, REG, A, roles
from spmis.manifest import Capability, Command, MenuItem
from spmis.pagekit.texts import N_
from spmis.targeting.review_access import REVIEW_ACCESS, REVIEW_MENU

#: fill in and submit questionnaires with ODK Collect
COLLECT = roles(ENU)
#: type a questionnaire in at the commune office
ENTER = roles(REG, ENU)
#: see rounds, assessments and explained scores
READ = roles(A, PO, REG, ENU, AUD, APR, GRV)
#: open and close rounds, score them
MANAGE = roles(A, PO)

CAPABILITY = Capability(
    name="targeting",
    routers=("spmis.targeting.api:router", "spmis.targeting.openrosa_api:router",
             "spmis.targeting.review_api:router"),
    # the community review, equity cards and on-demand entry (targeting/review_access.py)
    pages=("spmis.targeting.pages", "spmis.targeting.review_pages",
           "spmis.targeting.cards_pages", "spmis.targeting.ondemand_pages"),
    menu=(MenuItem(48, "office", "/office/targeting", N_("Poor households (IDPoor)"), READ),
          MenuItem(49, "office", "/office/targeting/on-demand",
                   N_("Assess a household at the commune office"), ENTER),
          *REVIEW_MENU),
    commands=(Command("spmis.targeting.cli:app", "targeting"),
              Command("spmis.targeting.review_cli:app", "equity")),
    tables=("spmis.targeting.store", "spmis.targeting.review_store"),
    approval_kinds=("spmis.targeting.review",),
    access={
        ("GET", f"{API}/targeting/rounds"): READ,
        ("POST", f"{API}/targeting/rounds"): MANAGE,
        ("GET", f"{API}/targeting/rounds/{{round_id}}"): READ,
        ("POST", f"{API}/targeting/rounds/{{round_id}}/status"): MANAGE,
        ("POST", f"{API}/targeting/rounds/{{round_id}}/score"): MANAGE,
        ("GET", f"{API}/targeting/rounds/{{round_id}}/assessments"): READ,
        ("POST", f"{API}/targeting/assessments"): ENTER,
        ("GET", f"{API}/targeting/assessments/{{assessment_id}}"): READ,
        # ODK Collect (OpenRosa; HTTP Basic)
        ("GET", "/odk/formList"): COLLECT,
        ("GET", "/odk/forms/{round_id}/form.xml"): COLLECT,
        ("GET", "/odk/submission"): COLLECT,
        ("POST", "/odk/submission"): COLLECT,
        # back office
        ("GET", "/office/targeting"): READ,
        ("POST", "/office/targeting"): MANAGE,
        ("GET", "/office/targeting/rounds/{round_id}"): READ,
        ("POST", "/office/targeting/rounds/{round_id}/score"): MANAGE,
        ("GET", "/office/targeting/assessments/{assessment_id}"): READ,
        ("GET", "/office/targeting/on-demand"): ENTER,
        ("POST", "/office/targeting/on-demand"): ENTER,
        **REVIEW_ACCESS,
    },
)
