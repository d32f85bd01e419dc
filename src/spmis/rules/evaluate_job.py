"""Evaluation of the programmes as a background job (kind ``rules.evaluate``):
``spmis rules evaluate --period P --background`` or ``POST /api/v1/jobs``. The job runs
``RulesService.evaluate`` as the command line does; its result names the run it stored.

A stop in the middle writes nothing (the results of a run are written in one transaction), so
the job is simply run again: the kind is resumable."""

from __future__ import annotations

from typing import Any

from spmis.errors import InvalidInput
from spmis.jobs import JobKind, JobWork, register
from spmis.rules.catalogue import programmes
from spmis.rules.periods import period_problem
from spmis.rules.service import RulesService

KIND = "rules.evaluate"
STAGES = {
    "load": ("loading the registry", "កំពុងផ្ទុកទិន្នន័យពីបញ្ជី"),
    "compute": ("computing the programmes", "កំពុងគណនាកម្មវិធី"),
    "write": ("writing the results", "កំពុងរក្សាទុកលទ្ធផល"),
    "done": ("done", "រួចរាល់"),
}


def check_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """``{"period": "YYYY-MM", "programmes": [ids] or null}``; refused with the field named."""
    period = parameters.get("period")
    if not isinstance(period, str):
        raise InvalidInput.one(("parameters", "period"), "missing",
                               "period (YYYY-MM) is required", "តម្រូវឱ្យមានខែ (YYYY-MM)")
    problem = period_problem(period)
    if problem is not None:
        raise InvalidInput.one(("parameters", "period"), "out_of_range", *problem)
    programmes = parameters.get("programmes")
    if programmes is not None and (not isinstance(programmes, list) or not all(
            isinstance(p, str) and 0 < len(p) <= 60 for p in programmes)):
        raise InvalidInput.one(("parameters", "programmes"), "invalid",
                               "programmes must be a list of programme ids",
                               "programmes ត្រូវតែជាបញ្ជីលេខសម្គាល់កម្មវិធី")
    extra = set(parameters) - {"period", "programmes"}
    if extra:
        raise InvalidInput.one(("parameters", sorted(extra)[0]), "extra_forbidden",
                               "not a parameter of this job", "មិនមែនជាប៉ារ៉ាម៉ែត្ររបស់ការងារនេះ")
    return {"period": period, "programmes": programmes}


def run_evaluation(work: JobWork) -> dict[str, Any]:
    def report(stage: str, done: float) -> None:
        en, km = STAGES.get(stage, (stage, stage))
        work.progress(int(done * 100), 100, en, km)

    summary = RulesService(work.ctx).evaluate(
        work.actor, work.parameters["period"], work.parameters.get("programmes"),
        progress=report)
    names = {p.id: p for p in programmes()}
    return {
        "run_id": summary.run_id, "period": summary.period,
        "households": summary.households, "persons": summary.persons, "rows": summary.rows,
        "seconds": {k: round(v, 1) for k, v in summary.seconds.items()},
        "totals": [{"programme": t.programme, "eligible": t.eligible, "amount": t.amount,
                    "currency": t.currency,  # the names, for the job's page (no code shown)
                    "name": names[t.programme].name_en if t.programme in names else t.programme,
                    "name_km": names[t.programme].name_km if t.programme in names
                    else t.programme} for t in summary.totals],
    }


register(JobKind(
    name=KIND, title="Evaluate the programmes", title_km="វាយតម្លៃកម្មវិធី",
    run=run_evaluation, roles=frozenset({"admin", "programme_officer"}), resumable=True,
    check=check_parameters,
))
