"""Reconciliation: a provider's result file (a line per payment: reference, paid or failed with
a reason, the date) applied to the entitlement lines of a payment cycle.

All or nothing. The file is read and checked whole first: its columns against the provider's
layout, each line (a reference of ours, a known status word, a date in the layout's format,
a reason for a failure, no reference twice), then in one transaction against the database
(the line is in this cycle's payroll at this attempt, still waiting to be paid, the amount
matches). Any problem and nothing is applied: the report lists every problem in English and
Khmer, and the file can be corrected and uploaded again. Otherwise every line is applied in
that same transaction by two set-based UPDATEs guarded by ``state = 'approved'``; if another
reconciliation settled one of the lines in the meantime the counts differ and the whole
transaction is rolled back, so nothing is ever applied twice or half-applied.

Failed lines are then either retried in a later cycle of the programme (``retry_failed``: a new
attempt, so a new reference) or cancelled with a reason (``cancel_failed``).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, func, insert, literal, select, tuple_, update

from spmis.auth import scope as scopes
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import Change, log_change, log_changes
from spmis.errors import Conflict, InvalidInput, NotFound
from spmis.formula_guard import csv_row_writer, unguard
from spmis.payments import notifications
from spmis.payments.delivery_store import payment_account, reconciliation, reconciliation_line
from spmis.payments.model import CycleState, EntitlementState
from spmis.payments.payroll_files import PAYABLE_CYCLES, cycle_row, parse_reference, reference
from spmis.payments.providers import Provider, ProviderLayout, get_provider
from spmis.payments.store import entitlement, payment_cycle

__all__ = [
    "MESSAGES",
    "Problem",
    "ReconciliationResult",
    "cancel_failed",
    "failed_lines",
    "get_reconciliation",
    "reconcile",
    "retry_failed",
    "write_report",
]

MAX_REPORTED = 1000
SETTLED = (EntitlementState.PAID, EntitlementState.FAILED)

#: problem code -> (English, Khmer)
MESSAGES: dict[str, tuple[str, str]] = {
    "missing_columns": ("the file lacks the columns {detail} of the provider's layout",
                        "ឯកសារខ្វះជួរឈរ {detail} តាមទម្រង់របស់អ្នកផ្តល់សេវា"),
    "repeated_columns": ("the columns {detail} appear more than once",
                         "ជួរឈរ {detail} មានលើសពីម្តង"),
    "unreadable": ("the file cannot be read: {detail}", "មិនអាចអានឯកសារបានទេ៖ {detail}"),
    "empty": ("the file has no lines", "ឯកសារគ្មានជួរទិន្នន័យ"),
    "unknown_reference": ("reference {detail} is not a line of this cycle's payroll for this "
                          "provider", "លេខយោង {detail} មិនមែនជាជួរនៃបញ្ជីបើកប្រាក់នៃវដ្តនេះ"
                          "សម្រាប់អ្នកផ្តល់សេវានេះទេ"),
    "duplicate_line": ("reference {detail} appears more than once in the file",
                       "លេខយោង {detail} មានលើសពីម្តងក្នុងឯកសារ"),
    "unknown_status": ("status {detail} is not one of the provider's status words",
                       "ស្ថានភាព {detail} មិនមែនជាពាក្យស្ថានភាពរបស់អ្នកផ្តល់សេវាទេ"),
    "bad_date": ("date {detail} is not a past date in the layout's format",
                 "កាលបរិច្ឆេទ {detail} មិនមែនជាកាលបរិច្ឆេទកន្លងមកតាមទម្រង់ទេ"),
    "reason_missing": ("a failed payment needs its reason", "ការទូទាត់បរាជ័យត្រូវមានហេតុផល"),
    "already_settled": ("reference {detail} was already settled ({state}); it is not applied "
                        "again", "លេខយោង {detail} បានទូទាត់រួចហើយ ({state}); មិនអនុវត្តម្តងទៀតទេ"),
    "settled_meanwhile": ("another reconciliation settled some of these lines meanwhile; "
                          "nothing of this file was applied",
                          "ការផ្ទៀងផ្ទាត់មួយទៀតបានទូទាត់ជួរខ្លះនេះក្នុងពេលតែមួយ "
                          "មិនបានអនុវត្តអ្វីពីឯកសារនេះទេ"),
    "amount_mismatch": ("reference {detail}: the file says {amount}, the payroll {expected}",
                        "លេខយោង {detail}៖ ឯកសារថា {amount} បញ្ជីបើកប្រាក់ថា {expected}"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a result file (``line``: its line number, the header being 1)."""

    line: int | None
    code: str
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def texts(self) -> tuple[str, str]:
        en, km = MESSAGES[self.code]
        values = {"detail": self.detail, **self.extra}
        return en.format(**values), km.format(**values)

    def as_dict(self) -> dict[str, Any]:
        en, km = self.texts()
        return {"line": self.line, "code": self.code, "msg": en, "msg_km": km}


@dataclass
class ReconciliationResult:
    id: int
    state: str  # applied, refused
    lines: int = 0
    paid: int = 0
    failed: int = 0
    amount_paid: int = 0
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> tuple[str, str]:
        if self.state == "applied":
            return (f"applied: {self.lines:,} lines, {self.paid:,} paid "
                    f"({self.amount_paid:,}), {self.failed:,} failed",
                    f"បានអនុវត្ត៖ {self.lines:,} ជួរ បានបង់ {self.paid:,} ({self.amount_paid:,}) "
                    f"បរាជ័យ {self.failed:,}")
        return (f"refused, nothing applied: {len(self.problems):,} problems",
                f"បានបដិសេធ មិនបានអនុវត្តអ្វីទេ៖ បញ្ហា {len(self.problems):,}")

    def as_dict(self) -> dict[str, Any]:
        en, km = self.summary()
        return {"reconciliation_id": self.id, "state": self.state, "lines": self.lines,
                "paid": self.paid, "failed": self.failed, "amount_paid": self.amount_paid,
                "problem_count": len(self.problems), "message": en, "message_km": km}


# ------------------------------------------------------------------------------ reading
def _cells(path: Path, layout: ProviderLayout) -> Iterator[list[str]]:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            for row in wb.worksheets[0].iter_rows(values_only=True):
                yield ["" if v is None else (v.strftime(layout.date_format)
                                             if isinstance(v, datetime | date) else str(v))
                       for v in row]
        finally:
            wb.close()
        return
    with path.open(encoding=layout.encoding, newline="") as f:
        yield from csv.reader(f, delimiter=layout.delimiter)


def read_file(path: Path, layout: ProviderLayout) -> tuple[pl.DataFrame | None, list[Problem]]:
    """The result file as a frame (line, reference, status, date, reason, amount; text), or
    None and the problems that stop it being read at all (columns, encoding)."""
    try:
        rows = _cells(path, layout)
        header = [unguard(h.strip()) or "" for h in next(rows, [])]
        cols = layout.result_columns
        missing = [cols[f] for f in ("reference", "status", "date") if cols[f] not in header]
        repeated = sorted({h for h in header if h and header.count(h) > 1})
        problems = []
        if missing:
            problems.append(Problem(1, "missing_columns", ", ".join(missing)))
        if repeated:
            problems.append(Problem(1, "repeated_columns", ", ".join(repeated)))
        if problems:
            return None, problems
        where = {f: header.index(h) for f, h in cols.items() if h in header}
        data: dict[str, list[Any]] = {"line": [], **{f: [] for f in where}}
        for no, row in enumerate(rows, start=2):
            if not any(c.strip() for c in row):
                continue
            data["line"].append(no)
            for f, i in where.items():
                data[f].append(unguard(row[i].strip()) if i < len(row) else "")
    except (UnicodeDecodeError, csv.Error, OSError, ValueError, KeyError) as exc:
        return None, [Problem(None, "unreadable", type(exc).__name__ if not isinstance(
            exc, UnicodeDecodeError) else f"not {layout.encoding} text")]
    if not data["line"]:
        return None, [Problem(None, "empty")]
    frame = pl.DataFrame(data, schema={k: (pl.Int64 if k == "line" else pl.String)
                                       for k in data})
    for optional in ("reason", "amount"):
        if optional not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(optional))
    return frame, []


def _line_checks(frame: pl.DataFrame, layout: ProviderLayout,
                 today: date) -> tuple[pl.DataFrame, list[Problem]]:
    """Checks of each line on its own and of duplicates, set-based (Polars)."""
    refs = frame["reference"].to_list()
    parsed = [parse_reference(r or "") for r in refs]
    words = {k.upper(): v for k, v in layout.status_words.items()}
    frame = frame.with_columns(
        pl.Series("entitlement_id", [p[0] if p else None for p in parsed], pl.Int64),
        pl.Series("attempt", [p[1] if p else None for p in parsed], pl.Int64),
        pl.col("status").str.strip_chars().str.to_uppercase()
        .replace_strict(words, default=None, return_dtype=pl.String).alias("outcome"),
        pl.col("date").str.strptime(pl.Date, layout.date_format, strict=False)
        .alias("settled_on"),
        pl.col("amount").str.replace_all(r"[,\s]", "").cast(pl.Int64, strict=False)
        .alias("amount_int"),
        (pl.col("reference").count().over("reference") > 1).alias("dup"),
    )
    out: list[Problem] = []

    def each(mask: pl.Expr, code: str, detail: str | None) -> None:
        for r in frame.filter(mask).select("line", *( [detail] if detail else [])).iter_rows():
            out.append(Problem(r[0], code, str(r[1]) if detail else ""))

    each(pl.col("entitlement_id").is_null(), "unknown_reference", "reference")
    each(pl.col("dup") & pl.col("entitlement_id").is_not_null(), "duplicate_line", "reference")
    each(pl.col("outcome").is_null(), "unknown_status", "status")
    each(pl.col("settled_on").is_null() | (pl.col("settled_on") > today), "bad_date", "date")
    each((pl.col("outcome") == "failed")
         & (pl.col("reason").is_null() | (pl.col("reason").str.strip_chars() == "")),
         "reason_missing", None)
    return frame, out


# ------------------------------------------------------------------------------ applying
def _db_checks(conn: Connection, rec_id: int, cycle_id: int, provider_id: int,
               scope: str) -> list[Problem]:
    """Lines not in this cycle's payroll for this provider (at this attempt, in the actor's
    scope), already settled, or with another amount: one query."""
    rl = reconciliation_line
    ent = entitlement
    account = select(payment_account.c.id).where(
        payment_account.c.beneficiary_id == ent.c.beneficiary_id,
        payment_account.c.provider_id == provider_id).exists()
    rows = conn.execute(
        select(rl.c.line_no, rl.c.reference, rl.c.amount, ent.c.id, ent.c.state,
               ent.c.amount.label("expected"))
        .select_from(rl.outerjoin(ent, and_(
            ent.c.id == rl.c.entitlement_id, ent.c.attempt == rl.c.attempt,
            ent.c.payroll_cycle_id == cycle_id, account,
            *scopes.conditions(scope, ent.c.commune_code))))
        .where(rl.c.reconciliation_id == rec_id,
               (ent.c.id.is_(None)) | (ent.c.state != EntitlementState.APPROVED)
               | (rl.c.amount.is_not(None) & (rl.c.amount != ent.c.amount)))
        .order_by(rl.c.line_no)).all()
    out = []
    for line, ref, amount, ent_id, state, expected in rows:
        if ent_id is None:
            out.append(Problem(line, "unknown_reference", ref))
        elif state != EntitlementState.APPROVED:
            out.append(Problem(line, "already_settled", ref, {"state": state}))
        else:
            out.append(Problem(line, "amount_mismatch", ref,
                               {"amount": f"{amount:,}", "expected": f"{expected:,}"}))
    return out


def _apply(conn: Connection, rec_id: int, cycle_id: int, actor: Actor,
           counts: dict[str, int]) -> None:
    rl = reconciliation_line
    for outcome, state in (("paid", EntitlementState.PAID), ("failed", EntitlementState.FAILED)):
        mine = and_(rl.c.reconciliation_id == rec_id, rl.c.outcome == outcome,
                    rl.c.entitlement_id == entitlement.c.id)
        values: dict[str, Any] = {
            "state": state,
            "settled_on": select(rl.c.settled_on).where(mine).scalar_subquery()}
        if outcome == "failed":
            values["state_reason"] = select(rl.c.reason).where(mine).scalar_subquery()
        done = conn.execute(update(entitlement).where(
            entitlement.c.id.in_(select(rl.c.entitlement_id).where(
                rl.c.reconciliation_id == rec_id, rl.c.outcome == outcome)),
            entitlement.c.payroll_cycle_id == cycle_id,
            entitlement.c.state == EntitlementState.APPROVED).values(**values)).rowcount
        if done != counts[outcome]:
            raise Conflict("another reconciliation settled some of these lines meanwhile; "
                           "nothing was applied, upload the file again to see which",
                           "ការផ្ទៀងផ្ទាត់មួយទៀតបានទូទាត់ជួរខ្លះនេះរួចហើយ មិនបានអនុវត្តអ្វីទេ "
                           "សូមផ្ទុកឯកសារឡើងម្តងទៀត")
    notifications.queue_for_reconciliation(conn, rec_id)


def reconcile(ctx: AppContext, actor: Actor, cycle_id: int, provider_code: str, path: Path,
              file_name: str, *, job_id: int | None = None,
              progress: Callable[[int, int | None, str, str], None] | None = None,
              today: date | None = None) -> ReconciliationResult:
    """Read, check and apply the result file at ``path`` (see the module docstring)."""
    today = today or date.today()
    tell = progress or (lambda *a: None)
    with ctx.engine.connect() as conn:
        cycle = cycle_row(conn, cycle_id)
        provider = get_provider(conn, provider_code)
    if cycle["state"] not in PAYABLE_CYCLES:
        raise Conflict(f"the cycle is {cycle['state']}: only an approved cycle is reconciled",
                       f"វដ្តនេះស្ថិតក្នុងស្ថានភាព {cycle['state']}៖ មានតែវដ្តដែលបានអនុម័ត"
                       "ទើបអាចផ្ទៀងផ្ទាត់បាន")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with ctx.engine.begin() as conn:
        rec_id = conn.execute(insert(reconciliation).values(
            cycle_id=cycle_id, provider_id=provider.id, job_id=job_id,
            file_name=file_name[:200], file_sha256=digest, state="running", lines=0, paid=0,
            failed=0, amount_paid=0, problems=0, report={}, created_at=utcnow(),
            created_by=actor.username).returning(reconciliation.c.id)).scalar_one()
    tell(0, None, "reading the file", "កំពុងអានឯកសារ")
    result = ReconciliationResult(rec_id, "refused")
    frame, problems = read_file(path, provider.layout)
    if frame is not None:
        frame, problems = _line_checks(frame, provider.layout, today)
        result.lines = frame.height
        tell(0, frame.height, f"{frame.height:,} lines read", f"បានអាន {frame.height:,} ជួរ")
        try:
            _check_and_apply(ctx, actor, rec_id, cycle_id, provider, frame, problems, result)
        except _Refused:
            pass
        except Conflict:  # another reconciliation settled some lines first: nothing applied
            result.state = "refused"
            problems.append(Problem(None, "settled_meanwhile"))
    result.problems = sorted(problems, key=lambda p: (p.line or 0, p.code))
    _finish(ctx, actor, result)
    tell(result.lines, result.lines, *result.summary())
    return result


class _Refused(Exception):
    """Rolls the checking transaction back."""


def _check_and_apply(ctx: AppContext, actor: Actor, rec_id: int, cycle_id: int,
                     provider: Provider, frame: pl.DataFrame, problems: list[Problem],
                     result: ReconciliationResult) -> None:
    lines = frame.filter(pl.col("entitlement_id").is_not_null() & ~pl.col("dup")).select(
        pl.lit(rec_id).alias("reconciliation_id"), pl.col("line").alias("line_no"),
        "entitlement_id", "attempt", pl.col("amount_int").alias("amount"), "settled_on",
        "reference", pl.col("outcome").fill_null("?"),
        pl.when(pl.col("outcome") == "failed").then(pl.col("reason")).alias("reason"))
    with ctx.engine.begin() as conn:
        if lines.height:
            conn.execute(insert(reconciliation_line), lines.to_dicts())
        problems.extend(_db_checks(conn, rec_id, cycle_id, provider.id, actor.scope))
        if problems:
            raise _Refused  # nothing of this file stays: lines and updates roll back
        counts = {o: lines.filter(pl.col("outcome") == o).height for o in ("paid", "failed")}
        _apply(conn, rec_id, cycle_id, actor, counts)
        result.state = "applied"
        result.paid, result.failed = counts["paid"], counts["failed"]
        result.amount_paid = int(conn.execute(
            select(func.coalesce(func.sum(entitlement.c.amount), 0))
            .select_from(reconciliation_line.join(
                entitlement, entitlement.c.id == reconciliation_line.c.entitlement_id))
            .where(reconciliation_line.c.reconciliation_id == rec_id,
                   reconciliation_line.c.outcome == "paid")).scalar_one())
        _store_result(conn, result)


def _store_result(conn: Connection, result: ReconciliationResult) -> None:
    conn.execute(update(reconciliation).where(reconciliation.c.id == result.id).values(
        state=result.state, lines=result.lines, paid=result.paid, failed=result.failed,
        amount_paid=result.amount_paid, problems=len(result.problems),
        report={**result.as_dict(),
                "problems": [p.as_dict() for p in result.problems[:MAX_REPORTED]]}))


def _finish(ctx: AppContext, actor: Actor, result: ReconciliationResult) -> None:
    with ctx.engine.begin() as conn:
        if result.state != "applied":
            _store_result(conn, result)
        log_change(conn, "reconciliation", result.id, 1, result.state, actor.username, None,
                   {k: v for k, v in result.as_dict().items() if k not in ("message_km",)})


def write_report(result: ReconciliationResult, out: Path) -> None:
    """The problems as a CSV people open in a spreadsheet (line, code, English, Khmer)."""
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        write = csv_row_writer(f)
        write(["line", "code", "problem", "បញ្ហា"])
        for p in result.problems:
            en, km = p.texts()
            write([p.line, p.code, en, km])


def get_reconciliation(ctx: AppContext, rec_id: int) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        row = conn.execute(select(reconciliation).where(reconciliation.c.id == rec_id)
                           ).mappings().first()
    if row is None:
        raise NotFound("no such reconciliation", "រកមិនឃើញការផ្ទៀងផ្ទាត់នេះទេ")
    return dict(row)


def list_reconciliations(ctx: AppContext, cycle_id: int) -> list[dict[str, Any]]:
    with ctx.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(reconciliation).where(reconciliation.c.cycle_id == cycle_id)
            .order_by(reconciliation.c.id.desc())).mappings()]


# ------------------------------------------------------------------------------ failed lines
def _failed_lines(conn: Connection, from_cycle: int, line_ids: list[int] | None) -> list[Any]:
    q = select(entitlement.c.id, entitlement.c.attempt, entitlement.c.programme_id).where(
        entitlement.c.payroll_cycle_id == from_cycle,
        entitlement.c.state.in_((EntitlementState.FAILED, EntitlementState.RETURNED)))
    if line_ids is not None:
        q = q.where(entitlement.c.id.in_(line_ids))
    rows = list(conn.execute(q).all())
    if line_ids is not None and len(rows) != len(set(line_ids)):
        found = {r.id for r in rows}
        missing = sorted(set(line_ids) - found)
        raise InvalidInput.one(("line_ids",), "not_failed",
                               f"lines {missing} are not failed lines of this cycle",
                               f"ជួរ {missing} មិនមែនជាជួរបរាជ័យនៃវដ្តនេះទេ")
    return rows


def retry_failed(ctx: AppContext, actor: Actor, from_cycle: int, to_cycle: int,
                 line_ids: list[int] | None = None) -> int:
    """Put failed lines of ``from_cycle`` (all, or ``line_ids``) in the payroll of the later
    cycle ``to_cycle`` of the same programme, as a new attempt. Returns how many."""
    with ctx.engine.begin() as conn:
        src, dst = cycle_row(conn, from_cycle), cycle_row(conn, to_cycle)
        if dst["programme_id"] != src["programme_id"] or (
                dst["period"], dst["sequence"]) <= (src["period"], src["sequence"]):
            raise InvalidInput.one(("to_cycle",), "not_later",
                                   "retry in a later cycle of the same programme",
                                   "សូមព្យាយាមម្តងទៀតក្នុងវដ្តក្រោយនៃកម្មវិធីដដែល")
        if dst["state"] in (CycleState.CLOSED, CycleState.CANCELLED):
            raise Conflict(f"the cycle is {dst['state']}", f"វដ្តនេះស្ថិតក្នុងស្ថានភាព {dst['state']}")
        rows = _failed_lines(conn, from_cycle, line_ids)
        ids = [r.id for r in rows]
        if ids:
            done = conn.execute(update(entitlement).where(
                entitlement.c.id.in_(ids),
                entitlement.c.state.in_((EntitlementState.FAILED, EntitlementState.RETURNED)))
                .values(state=EntitlementState.APPROVED, attempt=entitlement.c.attempt + 1,
                        payroll_cycle_id=to_cycle, settled_on=None)).rowcount
            if done != len(ids):
                raise Conflict("the lines changed meanwhile; try again",
                               "ជួរទាំងនេះបានផ្លាស់ប្តូរ សូមព្យាយាមម្តងទៀត")
            log_changes(conn, [Change("entitlement", r.id, r.attempt + 1, "retry",
                                      actor.username, None, {"payroll_cycle_id": [from_cycle,
                                                                                  to_cycle]})
                               for r in rows])
        return len(ids)


def cancel_failed(ctx: AppContext, actor: Actor, from_cycle: int, line_ids: list[int],
                  reason: str) -> int:
    """Cancel failed lines with a reason (their money is no longer committed)."""
    if len((reason or "").strip()) < 3:
        raise InvalidInput.one(("reason",), "missing", "give the reason for cancelling",
                               "សូមផ្តល់ហេតុផលនៃការលុបចោល")
    with ctx.engine.begin() as conn:
        cycle_row(conn, from_cycle)
        rows = _failed_lines(conn, from_cycle, line_ids)
        conn.execute(update(entitlement).where(entitlement.c.id.in_([r.id for r in rows]))
                     .values(state=EntitlementState.CANCELLED, state_reason=reason.strip()))
        log_changes(conn, [Change("entitlement", r.id, r.attempt, "cancel", actor.username,
                                  reason.strip(), {"state": ["failed", "cancelled"]})
                           for r in rows])
        return len(rows)



def failed_lines(ctx: AppContext, actor: Actor, cycle_id: int) -> dict[str, Any]:
    """The failed lines of a cycle's payroll (in the actor's scope) and the later cycles of the
    programme they may be retried in."""
    with ctx.engine.connect() as conn:
        cycle = cycle_row(conn, cycle_id)
        lines = [dict(r) for r in conn.execute(
            select(entitlement.c.id, entitlement.c.attempt, entitlement.c.amount,
                   entitlement.c.currency, entitlement.c.household_id,
                   entitlement.c.state_reason, entitlement.c.settled_on)
            .where(entitlement.c.payroll_cycle_id == cycle_id,
                   entitlement.c.state.in_((EntitlementState.FAILED,
                                            EntitlementState.RETURNED)),
                   *scopes.conditions(actor.scope, entitlement.c.commune_code))
            .order_by(entitlement.c.id).limit(1000)).mappings()]
        later = [dict(r) for r in conn.execute(
            select(payment_cycle.c.id, payment_cycle.c.period, payment_cycle.c.sequence,
                   payment_cycle.c.state)
            .where(payment_cycle.c.programme_id == cycle["programme_id"],
                   tuple_(payment_cycle.c.period, payment_cycle.c.sequence)
                   > tuple_(literal(cycle["period"]), literal(cycle["sequence"])),
                   payment_cycle.c.state.not_in((CycleState.CLOSED, CycleState.CANCELLED)))
            .order_by(payment_cycle.c.period, payment_cycle.c.sequence)).mappings()]
    for line in lines:
        line["reference"] = reference(line["id"], line["attempt"])
    return {"lines": lines, "later_cycles": later}
