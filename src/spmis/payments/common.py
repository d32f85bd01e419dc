"""What the payments use cases share: who may do what, finding a programme, and set-based
history (one ``INSERT ... SELECT`` into ``change_log`` for every row a statement changes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from spmis.auth.model import Actor
from spmis.db.history import log_same_change
from spmis.errors import Forbidden, InvalidInput, NotFound
from spmis.payments import store

__all__ = [
    "analyze",
    "decision_reason",
    "insert_ignoring_duplicates",
    "log_set",
    "national",
    "no_jit",
    "programme_by_code",
    "programme_row",
    "require_role",
]


def require_role(actor: Actor, *roles: str) -> None:
    """``Forbidden`` (403, naming the roles) unless the actor holds one of ``roles``."""
    if not actor.has_role(*roles):
        names = ", ".join(roles)
        raise Forbidden(f"this needs one of the roles: {names}",
                        f"សកម្មភាពនេះត្រូវការតួនាទីមួយក្នុងចំណោម៖ {names}")


def decision_reason(reason: str | None) -> str:
    """The reason an approver typed for a decision, stripped: at least 3 characters, never a
    default filled in for them (422 naming ``reason`` otherwise)."""
    typed = (reason or "").strip()
    if len(typed) < 3:
        raise InvalidInput.one(("reason",), "reason_missing",
                               "type the reason for the decision (at least 3 characters)",
                               "សូមវាយហេតុផលនៃការសម្រេច (យ៉ាងតិច ៣ តួអក្សរ)")
    return typed[:500]


def national(actor: Actor) -> None:
    """Enrolment runs, cycles and shocks cover the whole country: a national scope."""
    if actor.scope:
        raise Forbidden("this covers the whole country; it needs a national scope",
                        "សកម្មភាពនេះគ្របដណ្ដប់ទូទាំងប្រទេស ត្រូវការសិទ្ធិថ្នាក់ជាតិ")


def _unknown(code: str, loc: tuple[str | int, ...] | None) -> Exception:
    en = f"there is no programme '{code}'"
    km = f"មិនមានកម្មវិធី '{code}' ទេ"
    if loc is None:
        return NotFound(en, km)
    return InvalidInput.one(loc, "unknown_programme", en, km)


def programme_by_code(conn: Connection, code: str,
                      loc: tuple[str | int, ...] | None = ("programme",)) -> RowMapping:
    """The programme ``code``: an unknown one is bad input naming ``loc`` (a 404 when None)."""
    row = conn.execute(select(store.programme).where(store.programme.c.code == code)
                       ).mappings().first()
    if row is None:
        raise _unknown(code, loc)
    return row


def programme_row(conn: Connection, programme_id: int) -> RowMapping:
    row = conn.execute(select(store.programme).where(store.programme.c.id == programme_id)
                       ).mappings().first()
    if row is None:
        raise _unknown(str(programme_id), None)
    return row


def insert_ignoring_duplicates(conn: Connection, table: Table, columns: Sequence[str],
                               rows: Select[Any]) -> int:
    """``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` on either engine: a row whose unique key
    exists is left as it is (how a second run of a cycle creates nothing). Returns the number
    of rows inserted."""
    if conn.dialect.name == "postgresql":  # psycopg gives no row count here: count RETURNING
        inserted = (postgresql.insert(table).from_select(list(columns), rows)
                    .on_conflict_do_nothing().returning(literal(1)).cte("inserted"))
        return int(conn.execute(select(func.count()).select_from(inserted)).scalar_one())
    # SQLite needs a WHERE before ON CONFLICT to parse an INSERT ... SELECT
    statement = sqlite.insert(table).from_select(list(columns), rows.where(true()))
    return int(conn.execute(statement.on_conflict_do_nothing()).rowcount)


def log_set(conn: Connection, table: Table, entity_type: str, where: Sequence[ColumnElement[bool]],
            *, action: str, by: str, reason: str | None, changes: Mapping[str, Any],
            at: datetime, version_offset: int = 1) -> None:
    """One ``change_log`` entry for every row of ``table`` matching ``where``, set-based, at
    version ``version + version_offset`` (called before the ``UPDATE`` that bumps it, with the
    same ``where``; 0 after an insert). Chained on the audit trail too."""
    records = select(table.c.id.label("entity_id"),
                     (table.c.version + version_offset).label("version")).where(*where)
    log_same_change(conn, records, entity_type=entity_type, action=action, by=by,
                    reason=reason, changes=changes, at=at)


def analyze(conn: Connection, *tables: Table) -> None:
    """Refresh PostgreSQL's statistics of ``tables`` after a bulk write in this transaction:
    with the counts of an empty table the planner would join thousands of rows by nested loops
    (a cycle of 15,000 lines took 100 s). Sampled, so cheap at any size; SQLite has no need."""
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {table.name}")


def no_jit(conn: Connection) -> None:
    """PostgreSQL: no JIT compilation for the rest of this transaction. A bulk step's statements
    touch every beneficiary once, through index probes: compiling them cost more than it saved
    (2.2 s of the enrolment run's summary, 1.8 s of a cycle's INSERT at 1,000,000 households,
    for statements that run in about a second without it)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")
