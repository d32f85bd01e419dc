"""The background job that escalates missed deadlines and hands queued messages to the sender:
``grievances.escalate``, started on a schedule (``spmis grievances escalate`` from cron or a
systemd timer, docs/operations.md) or on demand through ``POST /api/v1/jobs``."""

from __future__ import annotations

from typing import Any

from spmis.auth.role_sets import GRV, A, roles
from spmis.errors import InvalidInput
from spmis.grievances.service import GrievanceService
from spmis.jobs import JobKind, JobWork, register

KIND = "grievances.escalate"


def run(work: JobWork) -> dict[str, Any]:
    service = GrievanceService(work.ctx)
    work.progress(0, 2, "escalating missed deadlines", "កំពុងបញ្ជូនបណ្តឹងហួសកំណត់ទៅថ្នាក់លើ")
    escalated = service.escalate_overdue(by=work.actor.username)
    work.progress(1, 2, "handing messages to the sender", "កំពុងបញ្ជូនសារ")
    delivered = service.deliver()
    work.progress(2, 2)
    return {"escalated": escalated, "messages": delivered}


def check(parameters: dict[str, Any]) -> dict[str, Any]:
    if parameters:
        raise InvalidInput.one(("parameters",), "no_parameters", "this job takes no parameters",
                               "ការងារនេះមិនទទួលប៉ារ៉ាម៉ែត្រទេ")
    return {}


register(JobKind(
    name=KIND, title="Escalate missed grievance deadlines",
    title_km="បញ្ជូនបណ្តឹងហួសកំណត់ទៅថ្នាក់លើ", run=run, roles=roles(A, GRV),
    resumable=True, check=check,
))
