"""Merges as record linkage uses them. The registry merges people and undoes merges
(``spmis.registry.merges``: it owns people, households, identifiers and the merge records);
linkage adds its own side: an undone merge marks the pair "not the same person" in the review
queue, so no later run merges it again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, update

from spmis.auth.model import Actor
from spmis.db.base import utcnow
from spmis.linkage.store import REJECTED, link_review
from spmis.registry import merges, queries

__all__ = ["ordered_pair", "undo_merge"]


def ordered_pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def undo_merge(conn: Connection, merge_id: int, actor: Actor, reason: str) -> dict[str, Any]:
    """Undo merge ``merge_id`` in ``conn`` (not committed; ``registry.merges.undo_merge``) and
    record the pair as not the same person."""
    out = merges.undo_merge(conn, merge_id, actor, reason)
    _mark_not_same(conn, out["survivor_id"], out["restored_person_id"], actor,
                   f"merge {merge_id} undone: {reason}", utcnow())
    return out


def _mark_not_same(conn: Connection, a: int, b: int, actor: Actor, reason: str,
                   now: datetime) -> None:
    """Record that ``a`` and ``b`` are not to be merged again automatically."""
    lo, hi = ordered_pair(a, b)
    r = link_review
    done = conn.execute(update(r).where(r.c.person_id_l == lo, r.c.person_id_r == hi).values(
        status=REJECTED, decided_at=now, decided_by=actor.username, decision_reason=reason,
        version=r.c.version + 1))
    if done.rowcount:
        return
    villages = queries.person_villages(conn, [lo, hi])
    conn.execute(insert(r).values(
        person_id_l=lo, person_id_r=hi, match_probability=0.0, reasons=[], conflicts=[],
        area_code_l=villages[lo], area_code_r=villages[hi], status=REJECTED, created_at=now,
        decided_at=now, decided_by=actor.username, decision_reason=reason))
