"""Reads of the audit chain's table (``spmis.db.chain.audit_entry``, written only by the history
core): the chain in order, a day's root, a page of entries. Set-based; the chain is streamed."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.engine import RowMapping

from spmis.db.chain import GENESIS, TIME_SQL, audit_entry

__all__ = ["before", "chain_rows", "daily_roots", "first_break", "head", "page"]

_A = audit_entry.c


def chain_rows(conn: Connection, batch: int = 20_000) -> Generator[Sequence[Any], None, None]:
    """Every entry in ``seq`` order, in batches, streamed (a server-side cursor on PostgreSQL):
    seq, at, actor, entity_type, entity_id, version, action, payload, hash."""
    with conn.execution_options(stream_results=True, yield_per=batch).execute(
            select(_A.seq, _A.at, _A.actor, _A.entity_type, _A.entity_id, _A.version,
                   _A.action, _A.payload, _A.hash).order_by(_A.seq)) as result:
        yield from result.partitions(batch)


def daily_roots(conn: Connection, limit: int = 60) -> list[RowMapping]:
    """Per UTC day (newest first): entries appended that day, the last one and its hash."""
    days = (select(_A.day, func.count().label("entries"), func.max(_A.seq).label("last_seq"))
            .group_by(_A.day).order_by(_A.day.desc()).limit(limit).subquery())
    return list(conn.execute(
        select(days.c.day, days.c.entries, days.c.last_seq, _A.hash.label("root_hash"))
        .join(audit_entry, _A.seq == days.c.last_seq).order_by(days.c.day.desc())).mappings())


def page(conn: Connection, *, before: int | None, limit: int, entity_type: str | None = None,
         entity_id: int | None = None, actor: str | None = None) -> list[RowMapping]:
    """Entries newest first (those before ``before`` when given), filtered."""
    query = select(audit_entry).order_by(_A.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(_A.seq < before)
    if entity_type:
        query = query.where(_A.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(_A.entity_id == entity_id)
    if actor:
        query = query.where(_A.actor == actor)
    return list(conn.execute(query).mappings())


#: the check in PostgreSQL of the entries ``lo`` to ``hi``: each entry's hash against SHA-256 of
#: the previous entry's hash and its own fields (``spmis.db.chain.entry_hash``), and each number
#: against the one before it (the entry before ``lo`` is read too, to chain onto); the first
#: entry that fails, or nothing. Ranges are checked side by side (``AuditService.verify``): a
#: window function keeps PostgreSQL to one core per statement
FIRST_BREAK = f"""
WITH c AS (
    SELECT seq, at, actor, entity_type, entity_id, version, action, payload, hash,
           lag(seq, 1, CAST(0 AS bigint)) OVER w AS prev_seq,
           lag(hash, 1, '{GENESIS}') OVER w AS prev_hash
    FROM audit_entry
    WHERE seq >= %(lo)s - 1 AND seq <= %(hi)s
    WINDOW w AS (ORDER BY seq))
SELECT seq
FROM c
WHERE seq >= %(lo)s AND (seq <> prev_seq + 1
   OR hash <> encode(sha256(convert_to(concat_ws(chr(31), prev_hash, seq::text, {TIME_SQL},
          actor, entity_type, entity_id::text, version::text, action, payload), 'UTF8')), 'hex'))
ORDER BY seq
LIMIT 1
"""


def first_break(conn: Connection, lo: int, hi: int) -> int | None:
    """PostgreSQL: the first entry from ``lo`` to ``hi`` that does not chain onto the entry
    before it (which may lie before ``lo``), or None."""
    row = conn.exec_driver_sql(FIRST_BREAK, {"lo": lo, "hi": hi}).first()
    return int(row[0]) if row else None


def before(conn: Connection, seq: int) -> tuple[int, str]:
    """The number and hash of the entry before ``seq`` ((0, GENESIS) for none)."""
    row = conn.execute(select(_A.seq, _A.hash).where(_A.seq < seq)
                       .order_by(_A.seq.desc()).limit(1)).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def head(conn: Connection) -> tuple[int, str]:
    """The number and hash of the newest entry ((0, GENESIS) when empty)."""
    row = conn.execute(select(_A.seq, _A.hash).order_by(_A.seq.desc()).limit(1)).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)
