"""Roles. Pure domain: standard library only.

A staff user or API client holds one or more roles; ``public`` is not a role anyone holds but the
marker, in the route table, of an endpoint that needs no login.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    REGISTRAR = "registrar"
    PROGRAMME_OFFICER = "programme_officer"
    APPROVER = "approver"
    FINANCE_OFFICER = "finance_officer"
    FUND_OFFICER = "fund_officer"
    GRIEVANCE_OFFICER = "grievance_officer"
    AUDITOR = "auditor"
    ENUMERATOR = "enumerator"
    METRICS = "metrics"
    EMPLOYER = "employer"


PUBLIC = "public"
"""Route-table marker: no login needed (rate limited per client address)."""

ALL_ROLES: frozenset[str] = frozenset(r.value for r in Role)

ROLE_HELP: dict[Role, str] = {
    Role.ADMIN: "manages staff accounts and API clients; may use every staff function except "
    "approving (maker-checker) and revealing identifiers",
    Role.REGISTRAR: "registers and corrects households, people and enterprises in their area",
    Role.PROGRAMME_OFFICER: "defines programmes, runs eligibility and enrolment",
    Role.APPROVER: "approves or rejects requests made by someone else (maker-checker)",
    Role.FINANCE_OFFICER: "payrolls, disbursement files, reconciliation",
    Role.FUND_OFFICER: "social security fund: enterprises, workers, contributions, claims",
    Role.GRIEVANCE_OFFICER: "takes in, routes and resolves complaints and appeals",
    Role.AUDITOR: "reads everything, including the audit trail; changes nothing",
    Role.ENUMERATOR: "asks the poor-household (IDPoor) questionnaire in the villages of their "
    "commune with ODK Collect and submits it to SPMIS; reads the registry of their commune "
    "(identifiers masked)",
    Role.METRICS: "a monitoring client (Prometheus): reads /metrics and nothing else",
    Role.EMPLOYER: "an enterprise's staff: declares its workers and wages to the social "
    "security fund and sees its invoices; sees that one enterprise and nothing else",
}


def parse_roles(values: str | list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """Roles from a comma-separated string or a list; raises ValueError naming an unknown one."""
    items = values.split(",") if isinstance(values, str) else list(values)
    roles = frozenset(v.strip() for v in items if v and v.strip())
    unknown = sorted(roles - ALL_ROLES)
    if unknown:
        known = ", ".join(sorted(ALL_ROLES))
        raise ValueError(f"unknown role(s): {', '.join(unknown)}; known: {known}")
    if not roles:
        raise ValueError("at least one role is needed")
    return roles


def format_roles(roles: frozenset[str]) -> str:
    return ",".join(sorted(roles))
