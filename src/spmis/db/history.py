"""History, shared by every capability: nothing is overwritten without a trace.

- ``change_log``: one row per change of a record (entity type and id, the record's version after
  the change, action, who, when in UTC, why, and what changed as ``{field: [old, new]}``);
- ``audit_columns()``: the columns of a versioned table (``version``, ``created_*``,
  ``updated_*``), and ``audit_values(by)`` for a new row;
- ``update_versioned``: THE way to change a versioned record: an optimistic
  ``UPDATE ... WHERE id = :id AND version = :read_version`` that bumps the version (409
  ``Conflict`` when someone changed the row since it was read), and its ``change_log`` entry, in
  the caller's transaction;
- ``log_change`` / ``log_changes`` / ``log_select`` (``INSERT ... SELECT``): the entry alone (a
  creation, or a set-based batch that bumped its versions with ``bump_versions``);
  ``next_version`` numbers the entries of a record that has no version column (staff accounts).

Every entry is also appended to the tamper-evident audit chain (``spmis.db.chain``) when its
transaction commits: a capability that records history is covered without calling the chain.

Who acted is a user name (``Actor.username``): this module sits below ``spmis.auth``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import RowMapping

from spmis.db import chain
from spmis.db.base import Id, UTCDateTime, metadata, utcnow
from spmis.errors import Conflict

__all__ = [
    "Change",
    "audit_columns",
    "audit_values",
    "bump_versions",
    "change_log",
    "entries",
    "jsonable",
    "log_change",
    "log_changes",
    "log_select",
    "next_version",
    "stale_version",
    "update_versioned",
]

change_log = Table(
    "change_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entity_type", String(64), nullable=False),
    Column("entity_id", Id, nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(32), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
    Column("changed_by", String(64), nullable=False),
    Column("reason", Text),
    Column("changes", JSON, nullable=False),
    Index("ix_change_log_entity", "entity_type", "entity_id", "version"),
)


def audit_columns() -> list[Column[Any]]:
    """The columns every versioned table carries (new objects on each call)."""
    return [
        Column("version", Integer, nullable=False, server_default=text("1")),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("created_by", String(64), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
        Column("updated_by", String(64), nullable=False),
    ]


def audit_values(by: str, now: datetime | None = None) -> dict[str, Any]:
    """The audit columns of a new row: version 1, created and updated by ``by`` now."""
    now = now or utcnow()
    return {"version": 1, "created_at": now, "created_by": by, "updated_at": now,
            "updated_by": by}


def jsonable(value: Any) -> Any:
    """A value as ``change_log.changes`` stores it (dates as ISO text; lists element-wise)."""
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Change:
    """One ``change_log`` entry."""

    entity_type: str
    entity_id: int
    version: int
    action: str
    by: str
    reason: str | None
    changes: Mapping[str, Any]

    def row(self, at: datetime) -> dict[str, Any]:
        return {"entity_type": self.entity_type, "entity_id": self.entity_id,
                "version": self.version, "action": self.action, "changed_at": at,
                "changed_by": self.by, "reason": self.reason,
                "changes": {k: jsonable(v) for k, v in self.changes.items()}}


def _chained(row: Mapping[str, Any] | RowMapping) -> chain.Pending:
    """A ``change_log`` row as its audit chain entry."""
    return (row["changed_by"], row["entity_type"], int(row["entity_id"]), int(row["version"]),
            row["action"], chain.payload_text(row["changed_at"], row["reason"], row["changes"]))


def log_changes(conn: Connection, changes: Sequence[Change], at: datetime | None = None) -> None:
    """Write ``changes`` (one statement), all at time ``at`` (now by default), and queue them
    on the audit chain."""
    if changes:
        at = at or utcnow()
        rows = [c.row(at) for c in changes]
        conn.execute(insert(change_log), rows)
        chain.defer(conn, (_chained(r) for r in rows))


#: the columns of a ``change_log`` entry, in the order ``log_select`` expects them
LOG_COLUMNS = ("entity_type", "entity_id", "version", "action", "changed_at", "changed_by",
               "reason", "changes")


def log_select(conn: Connection, rows: Select[Any]) -> int:
    """Set-based: one entry for every row of ``rows`` (a select of ``LOG_COLUMNS``, in that
    order), written with one ``INSERT ... SELECT`` and queued on the audit chain (the entries
    are read back with ``RETURNING``). Returns how many were written."""
    written = conn.execute(insert(change_log).from_select(list(LOG_COLUMNS), rows).returning(
        *(change_log.c[c] for c in LOG_COLUMNS))).mappings().all()
    chain.defer(conn, (_chained(r) for r in written))
    return len(written)


def log_same_change(conn: Connection, records: Select[Any], *, entity_type: str, action: str,
                    by: str, reason: str | None, changes: Mapping[str, Any],
                    at: datetime) -> int:
    """Set-based, one entry for every record of ``records`` (a select of ``entity_id`` and
    ``version``, labelled so) with the same change: as ``log_select``, but only the ids and
    versions are read back and the chain's payload, the same for all, is made once (reading
    back and encoding every entry was most of a bulk state change's time). Returns how many
    were written."""
    values = {k: jsonable(v) for k, v in changes.items()}
    picked = records.subquery("records")
    rows = select(
        literal(entity_type), picked.c.entity_id, picked.c.version, literal(action),
        literal(at, change_log.c.changed_at.type), literal(by), literal(reason),
        literal(values, JSON),
    )
    written = conn.execute(insert(change_log).from_select(list(LOG_COLUMNS), rows).returning(
        change_log.c.entity_id, change_log.c.version)).all()
    # the time as the column gives it back (UTC), so the payload is what ``_chained`` makes
    payload = chain.payload_text(at.astimezone(UTC), reason, values)
    chain.defer(conn, [(by, entity_type, int(i), int(v), action, payload) for i, v in written])
    return len(written)


def log_change(conn: Connection, entity_type: str, entity_id: int, version: int, action: str,
               by: str, reason: str | None, changes: Mapping[str, Any],
               at: datetime | None = None) -> None:
    """Write one entry: record ``entity_type`` ``entity_id`` is now at ``version``."""
    log_changes(conn, [Change(entity_type, entity_id, version, action, by, reason, changes)], at)


def stale_version() -> Conflict:
    """The 409 of an optimistic update that lost: the row changed since it was read."""
    return Conflict("the record was changed by someone else; reload and try again",
                    "កំណត់ត្រាត្រូវបានកែប្រែដោយអ្នកផ្សេង សូមផ្ទុកឡើងវិញ")


def update_versioned(conn: Connection, table: Table, entity_type: str, row_id: int,
                     read_version: int, values: Mapping[str, Any], *, action: str, by: str,
                     reason: str | None, changes: Mapping[str, Any]) -> int:
    """Apply ``values`` to row ``row_id`` of ``table`` if it is still at ``read_version``,
    bump its version and log ``changes`` under ``action``; returns the new version.
    Raises ``Conflict`` (409) when the row changed since it was read."""
    now = utcnow()
    result = conn.execute(
        update(table)
        .where(table.c.id == row_id, table.c.version == read_version)
        .values(**values, version=read_version + 1, updated_at=now, updated_by=by))
    if result.rowcount != 1:
        raise stale_version()
    version = read_version + 1
    log_change(conn, entity_type, row_id, version, action, by, reason, changes, at=now)
    return version


def bump_versions(conn: Connection, table: Table, where: Sequence[ColumnElement[bool]],
                  values: Mapping[str, Any], by: str, now: datetime) -> int:
    """Set-based: bump the version of every row of ``table`` matching ``where`` (applying
    ``values``); returns the number of rows. The caller logs their entries (``log_changes``)
    with the versions read back, and checks the count when it expects one."""
    result = conn.execute(update(table).where(*where).values(
        **values, version=table.c.version + 1, updated_at=now, updated_by=by))
    return int(result.rowcount)


def next_version(conn: Connection, entity_type: str, entity_id: int) -> int:
    """The version number of the next entry of a record without a version column."""
    count = conn.execute(select(func.count()).select_from(change_log).where(
        change_log.c.entity_type == entity_type,
        change_log.c.entity_id == entity_id)).scalar_one()
    return int(count) + 1


def entries(conn: Connection, entity_type: str, entity_id: int,
            after_version: int = 0) -> list[RowMapping]:
    """The entries of one record (those after ``after_version`` when given), oldest first."""
    return list(conn.execute(
        select(change_log)
        .where(change_log.c.entity_type == entity_type, change_log.c.entity_id == entity_id,
               change_log.c.version > after_version)
        .order_by(change_log.c.version, change_log.c.id)).mappings().all())
