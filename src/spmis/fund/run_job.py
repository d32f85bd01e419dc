"""The month's contribution run as a background job (kind ``fund.contributions``) for the whole
fund. It is idempotent (a second run computes nothing new), so the kind is resumable."""

from __future__ import annotations

from typing import Any

from spmis.errors import InvalidInput
from spmis.fund import model as m
from spmis.fund.service import FundService
from spmis.jobs import JobKind, JobWork, register

KIND = "fund.contributions"


def check_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """``{"period": "YYYY-MM"}``."""
    period = parameters.get("period")
    m.parse_period(period if isinstance(period, str) else "", "period")
    extra = set(parameters) - {"period"}
    if extra:
        raise InvalidInput.one(("parameters", sorted(extra)[0]), "extra_forbidden",
                               "not a parameter of this job", "មិនមែនជាប៉ារ៉ាម៉ែត្ររបស់ការងារនេះ")
    return {"period": period}


def run_contributions(work: JobWork) -> dict[str, Any]:
    def report(done: float) -> None:
        work.progress(int(done * 100), 100, "contributions computed",
                      "បានគណនាភាគទាន")

    return FundService(work.ctx).run_month(work.actor, work.parameters["period"],
                                           job_id=work.job_id, progress=report)


register(JobKind(
    name=KIND, title="Compute the month's contributions and invoices",
    title_km="គណនាភាគទាន និងវិក្កយបត្រប្រចាំខែ",
    run=run_contributions, roles=frozenset({"admin", "fund_officer"}),
    resumable=True, check=check_parameters,
))
