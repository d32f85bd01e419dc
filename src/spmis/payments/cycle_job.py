"""A payment cycle as a background job (kind ``payments.cycle``): open the programme's month
(pinned to its evaluation run) and compute its lines, with progress. The lines are written in
one transaction and a second run creates nothing, so a stop in the middle is simply run again:
the kind is resumable."""

from __future__ import annotations

from typing import Any

from spmis.errors import InvalidInput
from spmis.jobs import JobKind, JobWork, register
from spmis.payments.model import check_period
from spmis.payments.service import PaymentsService

KIND = "payments.cycle"


def check_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """``{"programme": code, "period": "YYYY-MM", "evaluation_run_id": id or null}``."""
    programme = parameters.get("programme")
    if not isinstance(programme, str) or not 0 < len(programme) <= 40:
        raise InvalidInput.one(("parameters", "programme"), "missing",
                               "programme (its code) is required", "តម្រូវឱ្យមានកូដកម្មវិធី")
    period = parameters.get("period")
    check_period(period if isinstance(period, str) else "", ("parameters", "period"))
    run_id = parameters.get("evaluation_run_id")
    if run_id is not None and (not isinstance(run_id, int) or isinstance(run_id, bool)
                               or not 0 < run_id < 2**62):
        raise InvalidInput.one(("parameters", "evaluation_run_id"), "invalid",
                               "the id of an evaluation run", "លេខសម្គាល់នៃការវាយតម្លៃ")
    extra = set(parameters) - {"programme", "period", "evaluation_run_id"}
    if extra:
        raise InvalidInput.one(("parameters", sorted(extra)[0]), "extra_forbidden",
                               "not a parameter of this job", "មិនមែនជាប៉ារ៉ាម៉ែត្ររបស់ការងារនេះ")
    return {"programme": programme, "period": period, "evaluation_run_id": run_id}


def run_cycle(work: JobWork) -> dict[str, Any]:
    service = PaymentsService(work.ctx)
    p = work.parameters
    cycle_id = service.open_cycle(work.actor, p["programme"], p["period"],
                                  p.get("evaluation_run_id"))

    def report(en: str, km: str, done: float) -> None:
        work.progress(int(done * 100), 100, en, km)

    return service.run_cycle(work.actor, cycle_id, progress=report)


register(JobKind(
    name=KIND, title="Run a payment cycle", title_km="ដំណើរការវដ្តទូទាត់",
    run=run_cycle, roles=frozenset({"admin", "programme_officer", "finance_officer"}),
    resumable=True, check=check_parameters,
))
