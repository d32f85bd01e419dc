"""The scheduled escalation as a background job: submitted through the jobs API by a grievance
officer, run by the worker, it moves an overdue grievance one office up and hands its messages
to the log sender."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.grievances.model import Intake
from spmis.grievances.service import GrievanceService
from spmis.grievances.store import grievance
from spmis.jobs.worker import JobWorker


def test_the_escalation_job_moves_a_missed_deadline_up(ctx: AppContext,
                                                       auth_client) -> None:  # type: ignore[no-untyped-def]
    service = GrievanceService(ctx)
    receipt = service.submit(Intake(category="fraud", area_code="120101", phone="012345678",
                                    description="Someone sells places on the list."))
    with ctx.engine.begin() as conn:  # its deadline passed an hour ago
        conn.execute(update(grievance).where(grievance.c.id == receipt.id)
                     .values(deadline=utcnow() - timedelta(hours=1)))
    officer = auth_client("grievance_officer", "12")
    assert auth_client("registrar").post(
        "/api/v1/jobs", json={"kind": "grievances.escalate", "parameters": {}}).status_code == 403
    started = officer.post("/api/v1/jobs", json={"kind": "grievances.escalate",
                                                 "parameters": {}})
    assert started.status_code == 202, started.text
    JobWorker(ctx).drain()
    done = officer.get(f"/api/v1/jobs/{started.json()['id']}").json()
    assert done["state"] == "succeeded", done["error"]
    assert done["result"] == {"escalated": 1, "messages": {"logged": 2}}
    moved = service.get(Actor("d", frozenset(), "1201"), receipt.id)
    assert moved.office == "1201" and moved.deadline > utcnow()
