"""Manifest of background jobs: the job record's table, its API and pages, the worker command."""

from spmis.auth.role_sets import ANY_STAFF, API
from spmis.manifest import Capability, Command, MenuItem
from spmis.pagekit.texts import N_

CAPABILITY = Capability(
    name="jobs",
    routers=("spmis.jobs.api:router",),
    pages=("spmis.jobs.pages",),
    menu=(MenuItem(36, "office", "/office/jobs", N_("Jobs")),),
    commands=(Command("spmis.jobs.cli:app"), Command("spmis.jobs.cli:jobs_app", "jobs")),
    tables=("spmis.jobs.store",),
    encrypted_files=("spmis.jobs.files:rekey_reports",),
    access={
        # everyone sees their own jobs (an admin every job); a report only its submitter
        ("GET", f"{API}/jobs"): ANY_STAFF,
        # the kind decides who may start it (rules.evaluate: admin, programme officer;
        # linkage.registry_dedupe: admin, registrar)
        ("POST", f"{API}/jobs"): ANY_STAFF,
        ("GET", f"{API}/jobs/{{job_id}}"): ANY_STAFF,
        ("POST", f"{API}/jobs/{{job_id}}/cancel"): ANY_STAFF,
        ("GET", "/office/jobs"): ANY_STAFF,
        ("GET", "/office/jobs/{job_id}"): ANY_STAFF,
        ("GET", "/office/jobs/{job_id}/progress"): ANY_STAFF,
        ("POST", "/office/jobs/{job_id}/cancel"): ANY_STAFF,
        ("GET", "/office/jobs/{job_id}/reports/{name}"): ANY_STAFF,
    },
)
