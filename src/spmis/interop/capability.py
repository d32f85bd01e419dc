"""Manifest of the interoperability capability: the DCI social registry API."""

from spmis.auth.role_sets import FUND, PO, roles
from spmis.auth.roles import PUBLIC
from spmis.manifest import Capability, Command

#: the DCI endpoints; other registries' API clients (programme or fund systems) call them, and
#: the signature and the sender's registration are checked by the DCI service on top of the role
DCI_PATHS = ("sync/search", "search", "subscribe", "unsubscribe", "txn/status",
             "sync/txn/status", "on-search", "on-subscribe", "on-unsubscribe", "txn/on-status",
             "notify")

CAPABILITY = Capability(
    name="interop",
    routers=("spmis.interop.api:router",),
    commands=(Command("spmis.interop.cli:app", "dci"),),
    tables=("spmis.interop.store",),
    encrypted_columns=("spmis.interop.store:ENCRYPTED_COLUMNS",),
    access={
        ("GET", "/.well-known/jwks.json"): PUBLIC,
        **{("POST", f"/registry/{p}"): roles(PO, FUND) for p in DCI_PATHS},
    },
)
