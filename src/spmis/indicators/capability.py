"""Manifest of the indicators: the public dashboard and open data, the staff report, the
refresh job, ``spmis indicators``."""

from spmis.auth.role_sets import ANY_STAFF, API
from spmis.auth.roles import PUBLIC
from spmis.manifest import Capability, Command, MenuItem
from spmis.pagekit.texts import N_

CAPABILITY = Capability(
    name="indicators",
    routers=("spmis.indicators.api:router",),
    pages=("spmis.indicators.pages",),
    menu=(MenuItem(40, "public", "/transparency", N_("Figures")),
          MenuItem(55, "office", "/office/reports", N_("Reports"))),
    commands=(Command("spmis.indicators.cli:app", "indicators"),),
    tables=("spmis.indicators.store",),
    gauges=("spmis.indicators.gauges:refresh_gauges",),
    access={
        ("GET", f"{API}/indicators"): PUBLIC,
        ("GET", f"{API}/indicators/report"): ANY_STAFF,
        ("GET", "/transparency"): PUBLIC,
        ("GET", "/transparency/indicators.json"): PUBLIC,
        ("GET", "/transparency/indicators.csv"): PUBLIC,
        ("GET", "/office/reports"): ANY_STAFF,
        ("GET", "/office/reports/indicators.xlsx"): ANY_STAFF,
        ("GET", "/office/reports/indicators.pdf"): ANY_STAFF,
        # the refresh job's kind names who may start it (admin, programme officer, auditor)
        ("POST", "/office/reports/refresh"): ANY_STAFF,
    },
)
