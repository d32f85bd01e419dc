"""Manifest of the rules capability: programme rules as code, the public screener, evaluation
and policy simulation."""

from spmis.auth.role_sets import API, APR, AUD, FIN, PO, A, roles
from spmis.auth.roles import PUBLIC
from spmis.manifest import Capability, Command

READ_RUNS = roles(A, PO, APR, FIN, AUD)

CAPABILITY = Capability(
    name="rules",
    routers=("spmis.rules.api:router",),
    commands=(Command("spmis.rules.cli:app", "rules"), Command("spmis.rules.cli:simulate_app")),
    tables=("spmis.rules.store",),
    access={
        ("POST", f"{API}/screener"): PUBLIC,
        ("GET", f"{API}/parameters"): PUBLIC,
        ("GET", f"{API}/programmes"): PUBLIC,
        # evaluation runs and their kept results: who runs, approves, pays and audits programmes
        ("GET", f"{API}/rules/runs"): READ_RUNS,
        ("GET", f"{API}/rules/runs/{{run_id}}"): READ_RUNS,
        ("GET", f"{API}/rules/runs/{{run_id}}/results"): READ_RUNS,
        ("GET", f"{API}/rules/current"): READ_RUNS,
    },
)
