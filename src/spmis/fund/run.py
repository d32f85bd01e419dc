"""The month's contribution run for the whole fund, set-based.

1. The declarations to compute: each employer's latest submitted declaration of the month whose
   contributions are not yet those of that declaration (a first run takes every employer, a
   later one only the corrections submitted since; a second run of the same month finds none
   and changes nothing).
2. Their lines, in chunks of about ``CHUNK_WORKERS`` workers (whole declarations), go through the
   rules engine (``spmis.rules.contributions``: numpy over the chunk) and back into
   ``fund_contribution`` (PostgreSQL: COPY out and in; other engines: plain statements), the
   employer's rows of an earlier declaration removed first. On PostgreSQL the month's first
   run loads a new table and attaches it as the month's partition (``spmis.fund.bulk``).
3. Invoices, one statement each: the month's invoice (due the 15th of the next month) of an
   employer billed for the first time; an adjustment for the difference a correction makes.
4. Late surcharges on what is overdue (a dated parameter, 0 until confirmed: then none) and
   reminders of overdue invoices to ``fund_outbox``, each once.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite

from spmis.db.base import Id, utcnow
from spmis.fund import bulk, store
from spmis.fund import model as m
from spmis.rules.contributions import COLUMNS, contributions, surcharge_rate

__all__ = ["CHUNK_WORKERS", "compute"]

#: workers read, computed and written at once (bounds the run's memory)
CHUNK_WORKERS = 400_000
D, DL, C = store.fund_declaration, store.fund_declaration_line, store.fund_contribution
INV, E, OUT = store.fund_invoice, store.fund_employer, store.fund_outbox

_temp = MetaData()
#: the declarations this run computes (a temporary table of the run's transaction)
PENDING = Table("fund_pending", _temp, Column("declaration_id", Id, primary_key=True),
                Column("employer_id", Id, nullable=False), Column("workers", BigInteger),
                prefixes=["TEMPORARY"])
#: each computed employer's total and declaration (summed while writing: no scan afterwards)
TOTALS = Table("fund_totals", _temp, Column("employer_id", Id, primary_key=True),
               Column("declaration_id", Id, nullable=False),
               Column("total", BigInteger, nullable=False), prefixes=["TEMPORARY"])
LINE_COLUMNS = ("employer_id", "person_id", "declaration_id", "wage_khr")
OUT_COLUMNS = ("period", "employer_id", "person_id", "declaration_id", "run_id", "wage_khr",
               *COLUMNS, "total", "currency")

Progress = Callable[[float], None]


def _pending(conn: Connection, period: str) -> list[tuple[int, int, int]]:
    """(declaration id, employer id, workers) of the declarations to compute."""
    latest = (select(D.c.employer_id, func.max(D.c.sequence).label("sequence"))
              .where(D.c.period == period, D.c.state == "submitted")
              .group_by(D.c.employer_id).subquery())
    done = exists().where(C.c.period == period, C.c.employer_id == D.c.employer_id,
                          C.c.declaration_id == D.c.id)
    rows = conn.execute(
        select(D.c.id, D.c.employer_id, D.c.workers)
        .join(latest, and_(latest.c.employer_id == D.c.employer_id,
                           latest.c.sequence == D.c.sequence))
        .where(D.c.period == period, ~done).order_by(D.c.id)).all()
    return [(int(a), int(b), int(c)) for a, b, c in rows]


def _chunks(pending: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Declaration id ranges of about ``CHUNK_WORKERS`` workers each (whole declarations)."""
    out: list[tuple[int, int]] = []
    start, size = None, 0
    for did, _employer, workers in pending:
        start = did if start is None else start
        size += workers
        if size >= CHUNK_WORKERS:
            out.append((start, did))
            start, size = None, 0
    if start is not None:
        out.append((start, pending[-1][0]))
    return out


_LINES = (select(PENDING.c.employer_id, DL.c.person_id, DL.c.declaration_id, DL.c.wage_khr)
          .join(PENDING, PENDING.c.declaration_id == DL.c.declaration_id))
_SCHEMA = dict.fromkeys(LINE_COLUMNS, pl.Int64)


def _lines(conn: Connection, pending: list[tuple[int, int, int]]) -> Iterator[pl.DataFrame]:
    """The pending declarations' lines, about ``CHUNK_WORKERS`` at a time."""
    if conn.dialect.name == "postgresql":
        yield from _spooled_lines(conn)
        return
    for lo, hi in _chunks(pending):
        rows = conn.execute(_LINES.where(DL.c.declaration_id.between(lo, hi))).all()
        yield pl.DataFrame(rows, schema=_SCHEMA, orient="row")


def _spooled_lines(conn: Connection) -> Iterator[pl.DataFrame]:
    """PostgreSQL: every pending line read by one COPY (one pass over the lines, however they
    lie on disk) into a temporary file, then read back ``CHUNK_WORKERS`` lines at a time."""
    sql = str(_LINES.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    raw: Any = conn.connection.dbapi_connection
    with tempfile.TemporaryFile(prefix="spmis-fund-lines-") as spool:
        ends: list[int] = []
        rows = 0
        with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as cp:
            for block in cp:  # the server sends a row a message; cut only after a row
                data = bytes(block)
                spool.write(data)
                rows += data.count(b"\n")
                if rows >= CHUNK_WORKERS and data.endswith(b"\n"):
                    ends.append(spool.tell())
                    rows = 0
        if rows:
            ends.append(spool.tell())
        start = 0
        for end in ends:
            spool.seek(start)
            data = spool.read(end - start)
            start = end
            yield pl.read_csv(data, has_header=False, new_columns=list(LINE_COLUMNS),
                              schema=_SCHEMA)


def _write(conn: Connection, frame: pl.DataFrame, table: str) -> None:
    if frame.height == 0:
        return
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection
        buf = io.BytesIO()
        frame.write_csv(buf, include_header=False)
        # a table made by this transaction (the month's new one) takes its rows frozen: no
        # later rewrite of every page to set hint bits or to freeze them
        freeze = ", FREEZE" if table != C.name else ""
        sql = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv{freeze})"
        with raw.cursor() as cur, cur.copy(sql) as cp:
            cp.write(buf.getvalue())
        return
    conn.execute(insert(C), frame.to_dicts())


def _compute_chunk(conn: Connection, period: str, run_id: int, lines: pl.DataFrame,
                   table: str) -> pl.DataFrame:
    """The chunk's contributions written into ``table``; its totals by employer."""
    amounts = contributions(period, lines["wage_khr"].to_numpy())
    frame = lines.with_columns(
        pl.lit(period).alias("period"), pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        *(pl.Series(col, np.asarray(values)) for col, values in amounts.items()),
        pl.lit("KHR").alias("currency"),
    ).select(OUT_COLUMNS)
    _write(conn, frame, table)
    return _by_employer(frame)


def _by_employer(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.group_by("employer_id").agg(pl.col("declaration_id").max(),
                                             pl.col("total").sum(), pl.len().alias("workers"))


def _insert_ignoring_duplicates(conn: Connection, table: Table, columns: list[str],
                                rows: Any) -> int:
    if conn.dialect.name == "postgresql":
        done = (postgresql.insert(table).from_select(columns, rows).on_conflict_do_nothing()
                .returning(literal(1)).cte("done"))
        return int(conn.execute(select(func.count()).select_from(done)).scalar_one())
    statement = sqlite.insert(table).from_select(columns, rows.where(true()))
    return int(conn.execute(statement.on_conflict_do_nothing()).rowcount)


def _invoices(conn: Connection, period: str, run_id: int, today: date) -> int:
    """The month's invoice of each employer billed for the first time; an adjustment for an
    employer whose total changed (a correction). The totals are those this run wrote: an
    employer's rows of the month are all rewritten when it is computed."""
    now, due = utcnow(), m.invoice_due(period)
    totals = TOTALS
    billed = (select(INV.c.employer_id, func.sum(INV.c.amount).label("billed"),
                     func.max(INV.c.sequence).label("last"))
              .where(INV.c.period == period, INV.c.kind.in_(("contribution", "adjustment")))
              .group_by(INV.c.employer_id).subquery())
    audit: dict[str, Any] = {"version": literal(1), "created_at": literal(now),
             "created_by": literal("system"),
             "updated_at": literal(now), "updated_by": literal("system")}
    first = select(
        totals.c.employer_id, literal(period), literal("contribution"), literal(1),
        totals.c.declaration_id, literal(run_id), totals.c.total, literal(0), literal("KHR"),
        literal(due), case((totals.c.total > 0, "open"), else_="paid"), *audit.values(),
    ).outerjoin(billed, billed.c.employer_id == totals.c.employer_id).where(
        billed.c.employer_id.is_(None))
    columns = ["employer_id", "period", "kind", "sequence", "declaration_id", "run_id", "amount",
               "paid", "currency", "due_date", "state", *audit]
    n = _insert_ignoring_duplicates(conn, INV, columns, first)
    later_due = max(due, m.invoice_due(m.period_of(today)))
    diff = totals.c.total - billed.c.billed
    adjust = select(
        totals.c.employer_id, literal(period), literal("adjustment"), billed.c.last + 1,
        totals.c.declaration_id, literal(run_id), diff, literal(0), literal("KHR"),
        literal(later_due), case((diff > 0, "open"), else_="paid"), *audit.values(),
    ).join(billed, billed.c.employer_id == totals.c.employer_id).where(diff != 0)
    return n + _insert_ignoring_duplicates(conn, INV, columns, adjust)


def _surcharges(conn: Connection, period: str, today: date) -> int:
    """A surcharge for the month on what each employer owes past its due dates (none while
    the rate is 0)."""
    rate = surcharge_rate(today)
    if rate <= 0:
        return 0
    now = utcnow()
    owed = func.sum(INV.c.amount - INV.c.paid)
    rows = (select(INV.c.employer_id, literal(period), literal("surcharge"), literal(1),
                   cast(func.round(owed * rate), BigInteger), literal(0), literal("KHR"),
                   literal(max(m.invoice_due(period), m.invoice_due(m.period_of(today)))),
                   literal("open"), literal(1), literal(now),
                   literal("system"), literal(now), literal("system"))
            .where(INV.c.state != "paid", INV.c.due_date < today, INV.c.amount > INV.c.paid)
            .group_by(INV.c.employer_id).having(func.round(owed * rate) > 0))
    columns = ["employer_id", "period", "kind", "sequence", "amount", "paid", "currency",
               "due_date", "state", "version", "created_at", "created_by", "updated_at",
               "updated_by"]
    return _insert_ignoring_duplicates(conn, INV, columns, rows)


def remind(conn: Connection, today: date) -> int:
    """A reminder (Khmer and English) for each overdue invoice not reminded of yet."""
    owed = cast(INV.c.amount - INV.c.paid, String)
    due = cast(INV.c.due_date, String)
    channel = case((E.c.contact_email.is_not(None), "email"), else_="sms")
    reminded = exists().where(OUT.c.invoice_id == INV.c.id, OUT.c.event == "overdue")
    rows = (select(
        literal("overdue"), channel, INV.c.employer_id, INV.c.id,
        literal("NSSF: ") + E.c.employer_number + literal(", contributions of ") + INV.c.period
        + literal(": ") + owed + literal(" KHR unpaid since ") + due
        + literal(". Pay with the invoice's KHQR to avoid a surcharge."),
        literal("ប.ស.ស៖ ") + E.c.employer_number + literal(" ភាគទានខែ ") + INV.c.period
        + literal("៖ ") + owed + literal(" រៀល មិនទាន់បង់ចាប់ពី ") + due
        + literal("។ សូមបង់តាម KHQR នៃវិក្កយបត្រ ដើម្បីជៀសវាងការពិន័យ។"),
        literal("queued"), literal(utcnow()), literal(0))
        .join(E, E.c.id == INV.c.employer_id)
        .where(INV.c.state != "paid", INV.c.due_date < today, INV.c.amount > INV.c.paid,
               ~reminded))
    columns = ["event", "channel", "employer_id", "invoice_id", "text_en", "text_km", "state",
               "created_at", "attempts"]
    return len(conn.execute(insert(OUT).from_select(columns, rows).returning(OUT.c.id)).all())


def compute(conn: Connection, period: str, run_id: int, today: date,
            progress: Progress | None = None) -> dict[str, Any]:
    """Compute the month (see the module's text) in the caller's transaction."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        bulk.lock_month(conn, period)
    pending = _pending(conn, period)
    # a temporary table of this transaction: gone with a rollback; dropped when done
    for table in (PENDING, TOTALS):
        table.drop(conn, checkfirst=True)
        table.create(conn)
    if pending:
        conn.execute(insert(PENDING), [
            {"declaration_id": d, "employer_id": e, "workers": w} for d, e, w in pending])
        if postgres:  # its size for the plan of the lines' read
            conn.execute(text("ANALYZE fund_pending"))
    # PostgreSQL, the month's first run: a new table, indexed and attached once loaded
    month = bulk.new_month(conn, period) if postgres and pending else None
    if month is None:
        conn.execute(delete(C).where(C.c.period == period,
                                     C.c.employer_id.in_(select(PENDING.c.employer_id))))
    sums: list[pl.DataFrame] = []
    done, expected = 0, max(1, sum(w for _d, _e, w in pending))
    for lines in _lines(conn, pending):
        sums.append(_compute_chunk(conn, period, run_id, lines, month or C.name))
        done += lines.height
        if progress:
            progress(min(1.0, done / expected))
    # an employer's lines may span two chunks: its total is the sum of both
    totals = pl.concat(sums).group_by("employer_id").agg(
        pl.col("declaration_id").max(), pl.col("total").sum(),
        pl.col("workers").sum()) if sums else pl.DataFrame()
    if totals.height:
        conn.execute(insert(TOTALS), totals.drop("workers").to_dicts())
    workers = int(totals["workers"].sum()) if totals.height else 0
    amount = int(totals["total"].sum()) if totals.height else 0
    if month is not None:
        bulk.attach(conn, month, period)
    invoices = _invoices(conn, period, run_id, today) if pending else 0
    for table in (PENDING, TOTALS):
        table.drop(conn)
    surcharges = _surcharges(conn, period, today)
    reminders = remind(conn, today)
    return {"employers": len(pending), "workers": workers, "invoices": invoices,
            "amount": amount, "currency": "KHR", "surcharges": surcharges,
            "reminders": reminders}
