"""The background job that issues a round's equity cards: ``targeting.issue_cards``, submitted
when a commune's list is approved (``ReviewService.approve``), from the command line
(``spmis equity issue ROUND``) or through ``POST /api/v1/jobs``. Each approved list is issued in
its own transaction (``cards.issue_list``); a list already issued is skipped, so the job may
simply be run again after a stop."""

from __future__ import annotations

from typing import Any

from spmis.auth.role_sets import APR, PO, A, roles
from spmis.db.uow import UnitOfWork
from spmis.errors import InvalidInput
from spmis.jobs import JobKind, JobWork, register
from spmis.targeting.cards import issue_list
from spmis.targeting.review import ISSUE_KIND, ReviewService


def run(work: JobWork) -> dict[str, Any]:
    round_id = int(work.parameters["round_id"])
    lists = ReviewService(work.ctx).approved_lists(round_id)
    issued = 0
    work.progress(0, len(lists), "issuing equity cards", "កំពុងចេញប័ណ្ណសមធម៌")
    for done, list_id in enumerate(lists, start=1):
        with UnitOfWork(work.ctx.engine) as uow:
            issued += issue_list(work.ctx, uow.conn, list_id, work.actor.username)
            uow.commit()
        work.progress(done, len(lists), "issuing equity cards", "កំពុងចេញប័ណ្ណសមធម៌")
    return {"round_id": round_id, "lists": len(lists), "cards": issued}


def check(parameters: dict[str, Any]) -> dict[str, Any]:
    value = parameters.get("round_id")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInput.one(("parameters", "round_id"), "required",
                               "the id of the round whose approved lists get their cards",
                               "លេខសម្គាល់ជុំដែលបញ្ជីបានអនុម័តត្រូវទទួលប័ណ្ណ")
    return {"round_id": value}


register(JobKind(
    name=ISSUE_KIND, title="Issue the equity cards of a round",
    title_km="ចេញប័ណ្ណសមធម៌នៃជុំមួយ", run=run, roles=roles(A, PO, APR),
    resumable=True, check=check,
))
