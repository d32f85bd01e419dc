"""Policy simulation as a background job (kind ``rules.simulate``): the policy page
(/office/policy) or ``POST /api/v1/jobs`` submits a reform (one offered on the page, or
parameter changes) and a month; the job evaluates the programmes under the baseline and the
reform over the whole registry and keeps the figures by programme, province and sex as its
result (a few hundred rows, no personal data). Nothing is written elsewhere, so a stopped job
is simply run again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spmis.errors import InvalidInput
from spmis.jobs import JobKind, JobWork, register
from spmis.rules.periods import period_problem
from spmis.rules.reforms import validate_changes
from spmis.rules.simulation import check_programmes, preset, presets, simulate
from spmis.rules.system import tax_benefit_system

KIND = "rules.simulate"
ROLES = frozenset({"admin", "programme_officer"})
STAGES = {
    "load": (10, "loading the registry", "កំពុងផ្ទុកទិន្នន័យពីបញ្ជី"),
    "compute": (50, "computing the baseline and the reform",
                "កំពុងគណនាស្ថានភាពបច្ចុប្បន្ន និងកំណែទម្រង់"),
}
MAX_NAME = 200


def _bad(field: str, code: str, en: str, km: str) -> InvalidInput:
    return InvalidInput.one(("parameters", field), code, en, km)


def check_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """``{"period": "YYYY-MM", "preset": id}`` (a reform of data/reforms.yaml) or
    ``{"period", "name", "changes": {parameter: change}, "programmes": [ids] | null}``;
    returned with the reform spelled out, or refused naming the field."""
    period = parameters.get("period")
    if not isinstance(period, str):
        raise _bad("period", "missing", "period (YYYY-MM) is required", "តម្រូវឱ្យមានខែ (YYYY-MM)")
    problem = period_problem(period)
    if problem is not None:
        raise _bad("period", "out_of_range", *problem)
    extra = set(parameters) - {"period", "preset", "name", "name_km", "changes", "programmes"}
    if extra:
        raise _bad(sorted(extra)[0], "extra_forbidden", "not a parameter of this job",
                   "មិនមែនជាប៉ារ៉ាម៉ែត្ររបស់ការងារនេះ")
    if parameters.get("preset") is not None:
        chosen = preset(str(parameters["preset"]))
        if chosen is None:
            names = ", ".join(p.id for p in presets())
            raise _bad("preset", "unknown_reform", f"no such reform; one of: {names}",
                       f"គ្មានកំណែទម្រង់នេះទេ; មួយក្នុងចំណោម៖ {names}")
        return {"period": period, "preset": chosen.id, "name": chosen.name_en,
                "name_km": chosen.name_km, "changes": chosen.changes,
                "programmes": list(chosen.programmes)}
    changes = parameters.get("changes")
    if not isinstance(changes, Mapping) or not changes:
        raise _bad("changes", "missing", "a preset or a mapping of parameter changes is needed",
                   "ត្រូវការកំណែទម្រង់ដែលបានកំណត់ ឬការផ្លាស់ប្តូរប៉ារ៉ាម៉ែត្រ")
    try:
        validate_changes(changes, tax_benefit_system().parameters)
    except InvalidInput as err:
        raise _bad("changes", err.errors[0].code, err.errors[0].msg, err.errors[0].msg_km) from err
    programmes = parameters.get("programmes")
    if programmes is not None and (not isinstance(programmes, list) or not all(
            isinstance(p, str) for p in programmes)):
        raise _bad("programmes", "invalid", "programmes must be a list of programme ids",
                   "programmes ត្រូវតែជាបញ្ជីលេខសម្គាល់កម្មវិធី")
    try:
        check_programmes(programmes)
    except InvalidInput as err:
        raise _bad("programmes", "unknown_programme", err.errors[0].msg,
                   err.errors[0].msg_km) from err
    name = str(parameters.get("name") or "reform")[:MAX_NAME]
    return {"period": period, "preset": None, "name": name,
            "name_km": str(parameters.get("name_km") or name)[:MAX_NAME],
            "changes": dict(changes), "programmes": programmes or None}


def run_simulation(work: JobWork) -> dict[str, Any]:
    def report(stage: str) -> None:
        done, en, km = STAGES[stage]
        work.progress(done, 100, en, km)

    p = work.parameters
    frame = simulate(work.ctx.engine, p["period"], p["name"], p["changes"], p["programmes"],
                     progress=report)
    return {"period": p["period"], "name": p["name"], "name_km": p["name_km"],
            "rows": frame.to_dicts()}


register(JobKind(
    name=KIND, title="Simulate a reform", title_km="ក្លែងធ្វើកំណែទម្រង់",
    run=run_simulation, roles=ROLES, resumable=True, check=check_parameters,
))
