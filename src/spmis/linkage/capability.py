"""Manifest of the record-linkage capability: deduplication, list matching, the review queue
and merges."""

from spmis.auth.role_sets import API, APR, AUD, REG, A, roles
from spmis.manifest import Capability, Command

CAPABILITY = Capability(
    name="linkage",
    routers=("spmis.linkage.api:router",),
    commands=(Command("spmis.linkage.cli:app", "link"),),
    tables=("spmis.linkage.store",),
    approval_kinds=("spmis.linkage.review",),
    access={
        ("GET", f"{API}/linkage/runs"): roles(A, REG, APR, AUD),
        ("POST", f"{API}/linkage/runs"): roles(A, REG),
        ("GET", f"{API}/linkage/reviews"): roles(REG, APR, AUD),
        ("GET", f"{API}/linkage/reviews/{{review_id}}"): roles(REG, APR, AUD),
        ("POST", f"{API}/linkage/reviews/{{review_id}}/accept"): roles(REG),
        ("POST", f"{API}/linkage/reviews/{{review_id}}/reject"): roles(REG),
        ("GET", f"{API}/linkage/merges"): roles(A, REG, APR, AUD),
        ("POST", f"{API}/linkage/merges/{{merge_id}}/undo"): roles(REG),
    },
    field_access={
        # raise the automatic-merge threshold of one run (lowering the floor is a setting)
        ("POST", f"{API}/linkage/runs"): {"auto_merge_threshold": roles(A)},
    },
)
