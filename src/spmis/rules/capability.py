"""Manifest of the rules capability: programme rules as code, the public screener, evaluation
and policy simulation."""

from spmis.auth.role_sets import API
from spmis.auth.roles import PUBLIC
from spmis.manifest import Capability, Command

CAPABILITY = Capability(
    name="rules",
    routers=("spmis.rules.api:router",),
    commands=(Command("spmis.rules.cli:app", "rules"), Command("spmis.rules.cli:simulate_app")),
    tables=("spmis.rules.store",),
    access={
        ("POST", f"{API}/screener"): PUBLIC,
        ("GET", f"{API}/parameters"): PUBLIC,
        ("GET", f"{API}/programmes"): PUBLIC,
    },
)
