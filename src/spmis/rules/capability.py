"""Manifest of the rules capability: programme rules as code, the public screener, evaluation
and policy simulation."""

from spmis.auth.role_sets import API, APR, AUD, FIN, PO, A, roles
from spmis.auth.roles import PUBLIC
from spmis.manifest import Capability, Command, MenuItem
from spmis.pagekit.texts import N_

READ_RUNS = roles(A, PO, APR, FIN, AUD)
#: simulate a reform on the policy page (the job kind ``rules.simulate`` allows the same)
SIMULATE = roles(A, PO)

CAPABILITY = Capability(
    name="rules",
    routers=("spmis.rules.api:router",),
    pages=("spmis.rules.pages",),
    menu=(MenuItem(60, "office", "/office/policy", N_("Policy simulation"), SIMULATE),),
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
        # the policy page: a reform simulated as a background job, its figures and their CSV
        ("GET", "/office/policy"): SIMULATE,
        ("POST", "/office/policy"): SIMULATE,
        ("GET", "/office/policy/{job_id}"): SIMULATE,
        ("GET", "/office/policy/{job_id}/status"): SIMULATE,
        ("GET", "/office/policy/{job_id}/figures.csv"): SIMULATE,
    },
)
