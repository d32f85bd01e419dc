"""Manifest of the reference-data capability (the gazetteer of administrative units)."""

from spmis.auth.role_sets import API
from spmis.auth.roles import PUBLIC
from spmis.manifest import Capability

CAPABILITY = Capability(
    name="reference",
    routers=("spmis.reference.api:router",),
    access={
        ("GET", f"{API}/reference/provinces"): PUBLIC,
        ("GET", f"{API}/reference/provinces/{{code}}/districts"): PUBLIC,
        ("GET", f"{API}/reference/districts/{{code}}/communes"): PUBLIC,
        ("GET", f"{API}/reference/communes/{{code}}/villages"): PUBLIC,
        ("GET", f"{API}/reference/units/{{code}}"): PUBLIC,
    },
)
