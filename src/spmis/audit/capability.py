"""Manifest of the audit trail: its API, its public and auditors' pages, ``spmis audit``."""

from spmis.auth.role_sets import API, READ_AUDIT
from spmis.auth.roles import PUBLIC
from spmis.manifest import Capability, Command, MenuItem
from spmis.pagekit.texts import N_

CAPABILITY = Capability(
    name="audit",
    routers=("spmis.audit.api:router",),
    pages=("spmis.audit.pages",),
    menu=(MenuItem(62, "office", "/office/audit", N_("Audit trail"), READ_AUDIT),),
    commands=(Command("spmis.audit.cli:app", "audit"),),
    access={
        ("GET", f"{API}/audit/roots"): PUBLIC,
        ("GET", f"{API}/audit/entries"): READ_AUDIT,
        ("GET", f"{API}/audit/verify"): READ_AUDIT,
        ("GET", "/transparency/audit"): PUBLIC,
        ("GET", "/office/audit"): READ_AUDIT,
    },
)
