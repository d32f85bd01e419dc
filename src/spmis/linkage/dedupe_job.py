"""Registry deduplication as a background job (kind ``linkage.registry_dedupe``):
``spmis link registry-dedupe --background`` or ``POST /api/v1/jobs``. The job runs
``run_registry_dedupe`` for the submitter's area, as the command line does; the result holds
the run's counts (the run itself is in ``/api/v1/linkage/runs``).

A stop in the middle may leave merges made and reviews queued; they stay (each merge is whole),
and a new run finds what is left. So the job is not resumed by itself: its page says to start
it again. A worker killed in the middle cannot mark its run failed: the worker that takes the
job over does (``release_run``), at once, so a new run may start (one that stays ``running``
would have barred every overlapping area for ``STALE_AFTER``)."""

from __future__ import annotations

import re
from typing import Any

from spmis.context import AppContext
from spmis.errors import InvalidInput
from spmis.jobs import Job, JobKind, JobWork, register
from spmis.linkage.registry_dedupe import REVIEW_THRESHOLD, abandon_runs, run_registry_dedupe

KIND = "linkage.registry_dedupe"
_MEMORY = re.compile(r"^\d{1,4}(MB|GB)$")


def _number(parameters: dict[str, Any], name: str, default: float | None) -> float | None:
    value = parameters.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InvalidInput.one(("parameters", name), "out_of_range",
                               "must be a probability above 0 and at most 1",
                               "ត្រូវតែជាប្រូបាប៊ីលីតេធំជាង 0 និងមិនលើស 1")
    return float(value)


def check_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """``{"review_threshold": 0.8, "auto_merge_threshold": null, "memory_limit": "2GB"}``; the
    automatic-merge threshold may not be below the floor setting (checked when the run starts,
    for anyone)."""
    extra = set(parameters) - {"review_threshold", "auto_merge_threshold", "memory_limit"}
    if extra:
        raise InvalidInput.one(("parameters", sorted(extra)[0]), "extra_forbidden",
                               "not a parameter of this job", "មិនមែនជាប៉ារ៉ាម៉ែត្ររបស់ការងារនេះ")
    memory = parameters.get("memory_limit", "2GB")
    if not isinstance(memory, str) or not _MEMORY.fullmatch(memory):
        raise InvalidInput.one(("parameters", "memory_limit"), "invalid",
                               "write the memory limit as e.g. 2GB or 500MB",
                               "សរសេរដែនកំណត់អង្គចងចាំ ដូចជា 2GB ឬ 500MB")
    return {"review_threshold": _number(parameters, "review_threshold", REVIEW_THRESHOLD),
            "auto_merge_threshold": _number(parameters, "auto_merge_threshold", None),
            "memory_limit": memory}


#: the steps a run reports, in order, with their Khmer text (the job's page shows the reader's)
STEPS: dict[str, str] = {
    "loading people from the registry": "កំពុងផ្ទុកបុគ្គលពីបញ្ជីឈ្មោះ",
    "standardising names, dates and codes": "កំពុងធ្វើស្តង់ដារឈ្មោះ កាលបរិច្ឆេទ និងលេខកូដ",
    "estimating u probabilities by random sampling": "កំពុងប៉ាន់ស្មានប្រូបាប៊ីលីតេ u ដោយគំរូចៃដន្យ",
    "estimating m probabilities (expectation maximisation)":
        "កំពុងប៉ាន់ស្មានប្រូបាប៊ីលីតេ m (expectation maximisation)",
    "scoring candidate pairs": "កំពុងដាក់ពិន្ទុគូបេក្ខភាព",
    "clustering": "កំពុងដាក់ជាក្រុម",
    "deciding: automatic merge, review queue, or conflict":
        "កំពុងសម្រេច៖ បញ្ចូលគ្នាដោយស្វ័យប្រវត្តិ ជួរពិនិត្យ ឬមានភាពផ្ទុយគ្នា",
    "merging automatically": "កំពុងបញ្ចូលគ្នាដោយស្វ័យប្រវត្តិ",
}


def run_dedupe(work: JobWork) -> dict[str, Any]:
    steps = list(STEPS)

    def report(message: str) -> None:
        done = steps.index(message) + 1 if message in STEPS else None
        work.progress(done or 0, len(steps) if done else None, message,
                      STEPS.get(message, "កំពុងដំណើរការ"))

    p = work.parameters
    s = run_registry_dedupe(work.ctx, work.actor, auto_merge_threshold=p.get(
        "auto_merge_threshold"), review_threshold=p.get("review_threshold") or REVIEW_THRESHOLD,
        memory_limit=p.get("memory_limit") or "2GB", progress=report)
    return {"run_id": s.run_id, "records": s.records, "pairs_scored": s.pairs_scored,
            "candidates": s.candidates, "auto_merged": s.auto_merged, "queued": s.queued,
            "blocked": s.blocked, "seconds": round(s.seconds, 1), "notes": s.notes}


def release_run(ctx: AppContext, job: Job) -> None:
    """The run a job whose worker is gone left ``running``, marked failed (the job's page
    already says to start it again)."""
    if job.started_at is not None:
        abandon_runs(ctx, job.created_by, str(job.actor.get("scope") or ""), job.started_at,
                     f"its job {job.id} stopped when its worker was killed; start a new run")


register(JobKind(
    name=KIND, title="Find duplicate people", title_km="ស្វែងរកមនុស្សស្ទួន",
    run=run_dedupe, roles=frozenset({"admin", "registrar"}), resumable=False,
    check=check_parameters, on_abandoned=release_run,
))
