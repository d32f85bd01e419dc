"""The background job that scores a round: ``targeting.score`` with ``{"round_id": N}``, started
from the round's page, ``spmis targeting score`` or ``POST /api/v1/jobs``. Scoring is set-based
and replaces the round's scores, so a job stopped half-way is simply run again."""

from __future__ import annotations

from typing import Any

from spmis.auth.role_sets import PO, A, roles
from spmis.errors import InvalidInput
from spmis.jobs import JobKind, JobWork, register
from spmis.targeting.service import TargetingService

KIND = "targeting.score"


def run(work: JobWork) -> dict[str, Any]:
    round_id = int(work.parameters["round_id"])
    work.progress(0, 1, f"scoring round {round_id}", f"កំពុងដាក់ពិន្ទុជុំ {round_id}")
    result = TargetingService(work.ctx).score_round(round_id, work.actor, job_id=work.job_id)
    work.progress(1, 1)
    return result


def check(parameters: dict[str, Any]) -> dict[str, Any]:
    """``round_id``, a positive whole number, and nothing else."""
    round_id = parameters.get("round_id")
    if set(parameters) != {"round_id"} or not isinstance(round_id, int) \
            or isinstance(round_id, bool) or round_id < 1:
        raise InvalidInput.one(("parameters", "round_id"), "invalid",
                               "give the round to score as round_id, a positive number",
                               "សូមផ្តល់ជុំដែលត្រូវដាក់ពិន្ទុជា round_id ជាលេខវិជ្ជមាន")
    return {"round_id": round_id}


register(JobKind(
    name=KIND, title="Score an assessment round (IDPoor questionnaire)",
    title_km="ដាក់ពិន្ទុជុំវាយតម្លៃ (កម្រងសំណួរ IDPoor)", run=run, roles=roles(A, PO),
    resumable=True, check=check,
))
