"""Manifest of targeting (identifying poor households): its tables, API, OpenRosa endpoints for
ODK Collect, pages, menu, command and job."""

from spmis.auth.role_sets import ENU, roles
from spmis.manifest import Capability

#: fill in and submit questionnaires (ODK Collect)
COLLECT = roles(ENU)

CAPABILITY = Capability(
    name="targeting",
    routers=("spmis.targeting.openrosa_api:router",),
    tables=("spmis.targeting.store",),
    access={
        ("GET", "/odk/formList"): COLLECT,
        ("GET", "/odk/forms/{round_id}/form.xml"): COLLECT,
        ("GET", "/odk/submission"): COLLECT,
        ("POST", "/odk/submission"): COLLECT,
    },
)
