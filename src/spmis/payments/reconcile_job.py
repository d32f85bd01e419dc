"""Reconciliation as a background job (kind ``payments.reconcile``): the result file a finance
officer uploaded on the cycle's payroll page, read, checked and applied by
``reconciliation.reconcile``, with its progress on the job's page and the report of problems
kept with the job (``rejects.csv``, English and Khmer).

A stop in the middle leaves nothing applied (the file is applied in one transaction at the end),
and running it again applies it once: lines already settled are refused, never applied twice.
So the kind is resumable."""

from __future__ import annotations

from typing import Any

from spmis.jobs import JobKind, JobWork, register
from spmis.payments.reconciliation import reconcile, write_report

KIND = "payments.reconcile"
REPORT = "rejects.csv"


def run_reconcile(work: JobWork) -> dict[str, Any]:
    p = work.parameters
    source = work.input_file(str(p["upload"]))
    result = reconcile(work.ctx, work.actor, int(p["cycle_id"]), str(p["provider"]), source,
                       str(p.get("file_name") or source.name), job_id=work.job_id,
                       progress=work.progress)
    if result.problems:
        write_report(result, work.folder / REPORT)
    return {"file": p.get("file_name"), "cycle_id": int(p["cycle_id"]),
            "provider": p["provider"], **result.as_dict()}


register(JobKind(
    name=KIND, title="Reconcile a provider's result file",
    title_km="ផ្ទៀងផ្ទាត់ឯកសារលទ្ធផលរបស់អ្នកផ្តល់សេវា",
    run=run_reconcile, roles=frozenset({"finance_officer"}), resumable=True,
    restart_hint=("upload the file again: lines already settled are not applied twice",
                  "សូមផ្ទុកឯកសារឡើងម្តងទៀត៖ ជួរដែលបានទូទាត់រួចនឹងមិនអនុវត្តពីរដងទេ"),
))
