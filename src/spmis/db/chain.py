"""The audit chain, part of the history core: an append-only log of every state change in which
each entry holds the SHA-256 of the entry before it, so a change or deletion of any entry (or of
its order) shows when the chain is recomputed (``spmis audit verify``).

Every ``change_log`` entry written through ``spmis.db.history`` (and the bulk importer's) is
queued on its connection (``defer``) and appended when that transaction commits, by a listener
on every engine's ``commit`` event: no capability calls this module itself. Appending right
before the commit keeps the chain head locked only for that moment: on PostgreSQL a
transaction-scoped advisory lock serialises appenders (two writers never chain onto the same
head, and a rolled-back transaction leaves nothing behind); on SQLite the transaction already
holds the single writer lock. A rollback drops the queue.

An entry is ``seq`` (1, 2, ... without gaps), ``at`` (when it was appended, UTC), ``day``
(``at``'s UTC date, for the daily root), the actor, the record (type, id, version), the action,
``payload`` (canonical JSON of the change: its time, reason and ``{field: [old, new]}``) and
``hash`` = SHA-256 of the previous hash and those fields (``entry_hash``). The database refuses
UPDATE, DELETE and TRUNCATE on the table on PostgreSQL (migration 0016).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    Text,
    event,
    exc,
    insert,
    select,
)
from sqlalchemy.pool import Pool

from spmis.db.base import Id, UTCDateTime, metadata, utcnow

__all__ = [
    "GENESIS",
    "TIME_SQL",
    "Pending",
    "audit_entry",
    "defer",
    "entry_hash",
    "flush",
    "payload_text",
    "time_text",
]

#: the "previous hash" of the first entry
GENESIS = "0" * 64
#: the PostgreSQL advisory lock that serialises appenders (any constant, SPMIS-wide)
CHAIN_LOCK = 0x5350_4D49_5341
_QUEUE = "spmis.audit.pending"
#: more entries than this are written with COPY on PostgreSQL
COPY_FROM = 200

audit_entry = Table(
    "audit_entry",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("day", String(10), nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("entity_type", String(64), nullable=False),
    Column("entity_id", Id, nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("hash", String(64), nullable=False),
)

#: one queued entry: (actor, entity_type, entity_id, version, action, payload)
Pending = tuple[str, str, int, int, str, str]


def payload_text(at: datetime | str, reason: str | None, changes: Mapping[str, Any]) -> str:
    """The canonical JSON of a change as the chain stores (and hashes) it."""
    when = at if isinstance(at, str) else at.isoformat()
    return json.dumps({"at": when, "changes": changes, "reason": reason},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def time_text(at: datetime) -> str:
    """An entry's time as hashed: UTC, always six decimals (``2026-12-06T01:02:03.000004Z``);
    PostgreSQL writes the same with ``TIME_SQL``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


#: ``time_text`` in PostgreSQL, for the check run in the database
TIME_SQL = """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def entry_hash(prev: str, seq: int, at: str, actor: str, entity_type: str, entity_id: int,
               version: int, action: str, payload: str) -> str:
    """SHA-256 (hex) of an entry chained to ``prev``; ``at`` is its ``time_text``."""
    text = (f"{prev}\x1f{seq}\x1f{at}\x1f{actor}\x1f{entity_type}\x1f{entity_id}\x1f{version}"
            f"\x1f{action}\x1f{payload}")
    return hashlib.sha256(text.encode()).hexdigest()


def defer(conn: Connection, entries: Iterable[Pending]) -> None:
    """Queue ``entries`` on ``conn``: they are chained and appended when its transaction
    commits, and dropped if it rolls back."""
    conn.info.setdefault(_QUEUE, []).extend(entries)


def flush(conn: Connection) -> int:
    """Append the entries queued on ``conn`` now, in its transaction; returns how many.
    Called by the commit listener; callers need not."""
    queued: list[Pending] | None = conn.info.pop(_QUEUE, None)
    if not queued:
        return 0
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})")
    head = conn.execute(select(audit_entry.c.seq, audit_entry.c.hash)
                        .order_by(audit_entry.c.seq.desc()).limit(1)).first()
    seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    at = utcnow()
    at_text, day = time_text(at), at.date().isoformat()
    rows: list[dict[str, Any]] = []
    for actor, etype, eid, version, action, payload in queued:
        seq += 1
        prev = entry_hash(prev, seq, at_text, actor, etype, eid, version, action, payload)
        rows.append({"seq": seq, "at": at, "day": day, "actor": actor, "entity_type": etype,
                     "entity_id": eid, "version": version, "action": action,
                     "payload": payload, "hash": prev})
    if conn.dialect.name == "postgresql" and len(rows) > COPY_FROM:
        _copy(conn, rows)
    else:
        conn.execute(insert(audit_entry), rows)
    return len(rows)


def _copy(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Many entries at once with COPY (psycopg 3), in the connection's transaction."""
    names = [c.name for c in audit_entry.columns]
    cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY audit_entry ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[n] for n in names])


def _drop(conn: Connection) -> None:
    try:
        info = conn.info
    except exc.InvalidRequestError:
        # the connection was invalidated (the database went away mid-transaction): its pool
        # record is checked in without it, and the checkin hook drops the queue there; raising
        # here would turn the request's clear 503 into a 500
        return
    info.pop(_QUEUE, None)


def _drop_on_checkin(_dbapi: Any, record: Any) -> None:
    record.info.pop(_QUEUE, None)


def install() -> None:
    """Listen on every engine (idempotent): append at commit, drop at rollback and when a
    connection goes back to the pool."""
    if not event.contains(Engine, "commit", flush):
        event.listen(Engine, "commit", flush)
        event.listen(Engine, "rollback", _drop)
        event.listen(Pool, "checkin", _drop_on_checkin)


def pending(conn: Connection) -> Sequence[Pending]:
    """The entries queued on ``conn`` (tests)."""
    return tuple(conn.info.get(_QUEUE, ()))


install()
