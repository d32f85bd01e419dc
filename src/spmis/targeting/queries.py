"""Read-only queries other packages may use (the community review, posting lists and equity
cards read rounds, assessments and scores through these, never through ``store``).

Selectables compose into the caller's own statements; every function that takes a ``scope``
keeps to the households inside it (``spmis.auth.scope``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, and_, case, select

from spmis.auth import scope as scopes
from spmis.targeting.model import AssessmentStatus
from spmis.targeting.store import (
    targeting_assessment,
    targeting_round,
    targeting_score,
    targeting_scoring,
)

__all__ = ["assessment", "assessments", "round_by_code", "round_by_id", "rounds",
           "scored_assessments", "scorings", "status_of"]


def rounds(conn: Connection, scope: str = "") -> list[RowMapping]:
    """Every round whose area overlaps ``scope``, newest first."""
    r = targeting_round.c
    rows = conn.execute(select(targeting_round).order_by(r.opens_on.desc(), r.id.desc())
                        ).mappings().all()
    return [row for row in rows if scopes.overlaps(scope, row["area_code"])]


def round_by_id(conn: Connection, round_id: int) -> RowMapping | None:
    """One round (any area), or None."""
    return conn.execute(select(targeting_round).where(targeting_round.c.id == round_id)
                        ).mappings().first()


def round_by_code(conn: Connection, code: str) -> RowMapping | None:
    """One round by its code, or None."""
    return conn.execute(select(targeting_round).where(targeting_round.c.code == code)
                        ).mappings().first()


DRAFT, SCORED = AssessmentStatus.DRAFT.value, AssessmentStatus.SCORED.value


def status_of(stored: str, scored: bool) -> str:
    """An assessment's status: a draft with a score is ``scored`` (the scoring writes scores, not
    statuses)."""
    return SCORED if stored == DRAFT and scored else stored


def assessments(round_id: int, scope: str = "") -> Select[Any]:
    """The assessments of a round inside ``scope`` with their latest score (``total``,
    ``level``, ``parameter_date``: null while a draft): columns ``id``, ``round_id``,
    ``household_id``, ``village_code``, ``commune_code``, ``status`` (``scored`` for a draft
    with a score, see ``status_of``), ``channel``, ``enumerator``, ``submitted_at``, ``total``,
    ``level``, ``parameter_date``."""
    a, s = targeting_assessment.c, targeting_score.c
    status = case((and_(a.status == DRAFT, s.level.is_not(None)), SCORED),
                  else_=a.status).label("status")
    return (select(a.id, a.round_id, a.household_id, a.village_code, a.commune_code, status,
                   a.channel, a.enumerator, a.submitted_at, s.total, s.level,
                   s.parameter_date)
            .select_from(targeting_assessment.outerjoin(
                targeting_score, targeting_score.c.assessment_id == a.id))
            .where(a.round_id == round_id, *scopes.conditions(scope, a.village_code)))


def scored_assessments(round_id: int, scope: str = "") -> Select[Any]:
    """The scored assessments of a round inside ``scope`` (the columns of ``assessments``):
    what the community review starts from."""
    query = assessments(round_id, scope)
    return query.where(targeting_score.c.level.is_not(None))


def assessment(conn: Connection, assessment_id: int) -> dict[str, Any] | None:
    """One assessment (any area: the caller checks scope on ``village_code``) with its answers
    and, once scored, its ``score`` (total, level, points per item, parameter date)."""
    row = conn.execute(select(targeting_assessment).where(
        targeting_assessment.c.id == assessment_id)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    out["answers"] = json.loads(row["answers"])
    score = conn.execute(select(targeting_score).where(
        targeting_score.c.assessment_id == assessment_id)).mappings().first()
    out["status"] = status_of(row["status"], score is not None)
    out["score"] = None if score is None else {
        "total": score["total"], "level": score["level"],
        "points": json.loads(score["points"]), "parameter_date": score["parameter_date"],
        "scoring_id": score["scoring_id"]}
    return out


def scorings(conn: Connection, round_id: int) -> list[RowMapping]:
    """The scorings of a round, newest first."""
    s = targeting_scoring.c
    return list(conn.execute(select(targeting_scoring).where(s.round_id == round_id)
                             .order_by(s.id.desc())).mappings().all())
