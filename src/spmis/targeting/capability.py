"""Manifest of targeting (identifying poor households): its tables, API, OpenRosa endpoints for
ODK Collect, pages, menu, command and job."""

from spmis.manifest import Capability

CAPABILITY = Capability(
    name="targeting",
    tables=("spmis.targeting.store",),
)
