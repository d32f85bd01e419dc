"""Refresh of the indicators as a background job (kind ``indicators.refresh``): on demand
(the staff reports page, ``spmis indicators refresh --background``) and on a schedule (the
worker submits it when the last one is older than ``EVERY_SECONDS``). A refresh writes in one
transaction, so a stopped one is simply run again."""

from __future__ import annotations

from typing import Any

from spmis.auth.role_sets import roles
from spmis.auth.roles import Role
from spmis.indicators.service import IndicatorService
from spmis.jobs import JobKind, JobWork, register

KIND = "indicators.refresh"
#: the schedule: every six hours
EVERY_SECONDS = 6 * 3600.0
REFRESHERS = roles(Role.ADMIN, Role.PROGRAMME_OFFICER, Role.AUDITOR)


def run_refresh(work: JobWork) -> dict[str, Any]:
    work.progress(0, 1, "computing the indicators", "កំពុងគណនាសូចនាករ")
    done = IndicatorService(work.ctx).refresh(work.actor.username, job_id=work.job_id)
    work.progress(1, 1, "done", "រួចរាល់")
    return {"refresh_id": done.id, "cells": done.cells, "seconds": done.seconds}


def _no_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    from spmis.errors import InvalidInput

    if parameters:
        raise InvalidInput.one(("parameters", sorted(parameters)[0]), "extra_forbidden",
                               "not a parameter of this job", "មិនមែនជាប៉ារ៉ាម៉ែត្ររបស់ការងារនេះ")
    return {}


register(JobKind(KIND, "Refresh the indicators", "ធ្វើបច្ចុប្បន្នភាពសូចនាករ", run_refresh,
                 roles=REFRESHERS, resumable=True, check=_no_parameters,
                 every_seconds=EVERY_SECONDS))
