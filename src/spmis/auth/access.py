"""The access log: every unmasked read of personal data (who, which record, which fields, why,
from where). Capabilities that decrypt or disclose personal data write it here, in the
transaction of the read (no log, no data); auditors read it back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, bindparam, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from spmis.auth.schemas import AccessLogOut
from spmis.auth.store import access_log
from spmis.db.base import utcnow

__all__ = ["log_read", "log_reads", "read_log"]


def _row(at: datetime, actor: str, entity_type: str, entity_id: int, fields: str, reason: str,
         client_address: str | None) -> dict[str, Any]:
    return {"at": at, "actor": actor[:64], "entity_type": entity_type, "entity_id": entity_id,
            "fields": fields[:255], "reason": reason,
            "client_address": (client_address or "")[:64] or None}


def log_read(conn: Connection, actor: str, entity_type: str, entity_id: int, fields: str,
             reason: str, client_address: str | None = None) -> int:
    """Log one read; returns the log entry's id."""
    entry: int = conn.execute(insert(access_log).values(
        _row(utcnow(), actor, entity_type, entity_id, fields, reason, client_address),
    ).returning(access_log.c.id)).scalar_one()
    return entry


def log_reads(conn: Connection, actor: str, entity_type: str, fields: Mapping[int, str],
              reason: str, client_address: str | None = None,
              at: datetime | None = None) -> None:
    """Log reads of many records of one type (``fields``: record id -> the fields read), one
    statement (on PostgreSQL one per distinct ``fields``, the ids sent as one array: a payroll
    page logs thousands of reads, and a parameter set per row was most of its time)."""
    if not fields:
        return
    now = at or utcnow()
    if conn.dialect.name != "postgresql":
        conn.execute(insert(access_log), [
            _row(now, actor, entity_type, entity_id, what, reason, client_address)
            for entity_id, what in fields.items()])
        return
    by_fields: dict[str, list[int]] = {}
    for entity_id, what in fields.items():
        by_fields.setdefault(what, []).append(int(entity_id))
    same = _row(now, actor, entity_type, 0, "", reason, client_address)
    for what, ids in by_fields.items():
        entity_ids = func.unnest(bindparam("ids", ids, type_=ARRAY(BigInteger))).column_valued()
        rows = select(literal(same["at"], access_log.c.at.type), literal(same["actor"]),
                      literal(entity_type), entity_ids, literal(what[:255]), literal(reason),
                      literal(same["client_address"], access_log.c.client_address.type))
        conn.execute(insert(access_log).from_select(
            ["at", "actor", "entity_type", "entity_id", "fields", "reason", "client_address"],
            rows))


def read_log(conn: Connection, *, actor: str | None = None, entity_type: str | None = None,
             entity_id: int | None = None, limit: int = 100,
             offset: int = 0) -> list[AccessLogOut]:
    """Logged reads, newest first, filtered by who or which record."""
    conditions: list[Any] = []
    if actor:
        conditions.append(access_log.c.actor == actor)
    if entity_type:
        conditions.append(access_log.c.entity_type == entity_type)
    if entity_id is not None:
        conditions.append(access_log.c.entity_id == entity_id)
    rows = conn.execute(select(access_log).where(*conditions).order_by(access_log.c.id.desc())
                        .limit(limit).offset(offset)).mappings().all()
    return [AccessLogOut(**{k: r[k] for k in AccessLogOut.model_fields}) for r in rows]
