"""Payment cycles: a programme's month, pinned to an evaluation run, and its entitlement lines.

Running a cycle is set-based: automatic exits and re-entries (``exits``), shocks that ended
(``shocks``), then ONE ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` of the benefit lines (and
one per active top-up shock). The unique key (beneficiary, programme, period, component) makes a
second run create nothing, and a cycle that is approved or closed is never run again, so nothing
approved or paid changes. A finance officer other than the maker approves it with one
conditional ``UPDATE``: of two approvals at the same moment exactly one finds the cycle still
waiting.

The pension payroll (programme kind ``pension``, ``spmis.payments.pensions``) has no evaluation
run: its lines come from the fund's monthly payment orders, by one ``INSERT ... SELECT`` of its
own; approval, payroll files, reconciliation and the ledger are the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, literal, select, update

from spmis.auth.model import Actor
from spmis.db.base import utcnow
from spmis.db.history import audit_values, log_change
from spmis.errors import Conflict, FieldError, InvalidInput, NotFound
from spmis.payments import conditions, exits, pensions, shocks, store
from spmis.payments.common import (
    analyze,
    insert_ignoring_duplicates,
    no_jit,
    programme_by_code,
    programme_row,
)
from spmis.payments.enrolment import recipient_sex
from spmis.payments.model import (
    BeneficiaryState,
    Component,
    CycleState,
    EntitlementState,
    ProgrammeState,
    check_period,
    cycle_period_problems,
)
from spmis.registry import queries as registry
from spmis.rules import queries as rules

__all__ = ["LINE_COLUMNS", "add_line", "approve", "cycle_row", "open_cycle", "run", "totals"]

CYCLE = store.payment_cycle
e = store.entitlement
b = store.beneficiary
LINE_COLUMNS = ["cycle_id", "payroll_cycle_id", "programme_id", "beneficiary_id", "household_id",
                "amount", "period", "component", "currency", "state", "province_code",
                "commune_code", "recipient_sex"]
#: called with a step's English and Khmer name and the share done (0-1)
Progress = Callable[[str, str, float], None]


def cycle_row(conn: Connection, cycle_id: int, for_update: bool = False) -> Any:
    query = select(CYCLE).where(CYCLE.c.id == cycle_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"payment cycle {cycle_id} not found",
                       f"រកមិនឃើញវដ្តទូទាត់លេខ {cycle_id}")
    return row


def _pinned_run(conn: Connection, prog: Any, period: str, run_id: int | None) -> int:
    if run_id is None:
        run_id = rules.current_run(conn, period, prog["rules_programme"])
        if run_id is None:
            raise InvalidInput.one(
                ("evaluation_run_id",), "no_evaluation",
                f"{prog['rules_programme']} has not been evaluated for {period}; run the "
                "evaluation first",
                f"មិនទាន់មានការវាយតម្លៃ {prog['rules_programme']} សម្រាប់ខែ {period} "
                "សូមវាយតម្លៃជាមុនសិន")
        return run_id
    run_period = rules.run_period(conn, run_id)
    if run_period != period or prog["rules_programme"] not in rules.run_programmes(conn, run_id):
        raise InvalidInput.one(("evaluation_run_id",), "wrong_run",
                               f"run {run_id} is not an evaluation of "
                               f"{prog['rules_programme']} for {period}",
                               f"ការវាយតម្លៃលេខ {run_id} មិនមែនសម្រាប់ "
                               f"{prog['rules_programme']} ខែ {period}")
    return run_id


def open_cycle(conn: Connection, actor: Actor, programme_code: str, period: str, today: date,
               evaluation_run_id: int | None = None) -> int:
    """The cycle of a programme's month (created as a draft, pinned to the month's current
    evaluation run or the one given); an existing cycle of that month is returned as it is.
    Bad input (unknown programme, malformed month, a month before the programme started, after
    it ended or more than one cycle ahead) is refused with the field named."""
    errors: list[FieldError] = []
    if programme_code == pensions.PROGRAMME:  # the fund's pensions: made when first needed
        pensions.ensure_programme(conn, actor)
    try:
        prog = programme_by_code(conn, programme_code)
    except InvalidInput as exc:
        errors += exc.errors
        prog = None
    try:
        check_period(period)
    except InvalidInput as exc:
        errors += exc.errors
    if prog is not None and not errors:
        errors += cycle_period_problems(period, starts=prog["start_date"],
                                        ends=prog["end_date"], today=today)
    if errors:
        raise InvalidInput(errors)
    assert prog is not None
    if prog["state"] != ProgrammeState.ACTIVE:
        raise Conflict(f"the programme {prog['code']} is {prog['state']}, not active",
                       f"កម្មវិធី {prog['code']} មិនទាន់សកម្ម ({prog['state']})")
    found = conn.execute(select(CYCLE.c.id).where(
        CYCLE.c.programme_id == prog["id"], CYCLE.c.period == period,
        CYCLE.c.sequence == 1)).scalar()
    if found is not None:
        return int(found)
    # the pension payroll pays the amounts fixed when each pension was approved: no run
    run_id = None if pensions.is_pension(prog) else _pinned_run(conn, prog, period,
                                                                 evaluation_run_id)
    cycle_id = int(conn.execute(CYCLE.insert().values(
        programme_id=prog["id"], period=period, sequence=1, evaluation_run_id=run_id,
        state=CycleState.DRAFT, currency=prog["currency"], **audit_values(actor.username),
    ).returning(CYCLE.c.id)).scalar_one())
    log_change(conn, "payment_cycle", cycle_id, 1, "create", actor.username, None,
               {"programme": [None, prog["code"]], "period": [None, period],
                "evaluation_run_id": [None, run_id]})
    return cycle_id


def _line_source(cycle: Any, prog: Any) -> Any:
    """The benefit line of every enrolled beneficiary eligible with an amount in the cycle's
    pinned run."""
    r, h = rules.results(), registry.households()
    return (
        select(literal(cycle["id"]), literal(cycle["id"]), literal(prog["id"]), b.c.id,
               b.c.household_id, r.c.amount, literal(cycle["period"]),
               literal(Component.BENEFIT.value), r.c.currency,
               literal(EntitlementState.DRAFT.value), h.c.province_code, h.c.commune_code,
               recipient_sex(b.c.household_id))
        .select_from(r.join(b, and_(b.c.programme_id == prog["id"],
                                    b.c.entity_id == r.c.entity_id))
                     .join(h, h.c.id == b.c.household_id))
        .where(r.c.run_id == cycle["evaluation_run_id"],
               r.c.programme == prog["rules_programme"], r.c.eligible, r.c.amount > 0,
               b.c.state == BeneficiaryState.ENROLLED,
               b.c.id.not_in(conditions.withheld(prog, cycle["period"])))
    )


def _topup_source(cycle: Any, prog: Any, shock: Any) -> Any:
    h = registry.households()
    sc = store.shock_commune
    return (
        select(literal(cycle["id"]), literal(cycle["id"]), literal(prog["id"]), b.c.id,
               b.c.household_id, literal(int(shock["amount"])), literal(cycle["period"]),
               literal(Component.topup(shock["id"])), literal(shock["currency"]),
               literal(EntitlementState.DRAFT.value), h.c.province_code, h.c.commune_code,
               recipient_sex(b.c.household_id))
        .select_from(b.join(h, h.c.id == b.c.household_id))
        .where(b.c.programme_id == prog["id"], b.c.state == BeneficiaryState.ENROLLED,
               h.c.commune_code.in_(select(sc.c.commune_code)
                                    .where(sc.c.shock_id == shock["id"])))
    )


def run(conn: Connection, actor: Actor, cycle_id: int, today: date,
        progress: Progress | None = None) -> dict[str, Any]:
    """Compute a cycle's lines (see the module); returns what it did. A cycle already approved,
    closed or cancelled is left exactly as it is (``new_lines`` 0)."""
    report = progress or (lambda en, km, done: None)
    cycle = cycle_row(conn, cycle_id, for_update=True)
    if cycle["state"] not in (CycleState.DRAFT, CycleState.PENDING_APPROVAL):
        return {"cycle_id": cycle_id, "state": cycle["state"], "new_lines": 0, "exited": 0,
                "reentered": 0, "lines": cycle["lines"], "amount": cycle["amount"]}
    prog = programme_row(conn, cycle["programme_id"])
    no_jit(conn)
    if pensions.is_pension(prog):
        report("pensions", "សោធន", 0.4)
        # nothing more is reported once this transaction writes: on SQLite a job's progress is
        # written by another connection, which would wait for this one's write lock and fail
        report = lambda en, km, done: None  # noqa: E731
        moved = {"exited": 0, "reentered": 0}
        new = pensions.add_lines(conn, actor, cycle, prog, today, LINE_COLUMNS)
    else:
        moved, new = _benefit_lines(conn, actor, cycle, prog, today, report)
    report("totals", "សរុប", 0.9)
    lines, amount = conn.execute(select(func.count(), func.coalesce(func.sum(e.c.amount), 0))
                                 .where(e.c.payroll_cycle_id == cycle_id)).one()
    lines, amount = int(lines), int(amount)
    values: dict[str, Any] = {"lines": lines, "amount": amount}
    changes: dict[str, Any] = {"lines": [cycle["lines"], lines],
                               "amount": [cycle["amount"], amount]}
    if cycle["state"] == CycleState.DRAFT:
        values["state"] = CycleState.PENDING_APPROVAL
        changes["state"] = [cycle["state"], CycleState.PENDING_APPROVAL]
    now = utcnow()
    conn.execute(update(CYCLE).where(CYCLE.c.id == cycle_id).values(
        **values, version=cycle["version"] + 1, updated_at=now, updated_by=actor.username))
    log_change(conn, "payment_cycle", cycle_id, cycle["version"] + 1, "run", actor.username,
               None, changes, at=now)
    report("done", "រួចរាល់", 1.0)
    return {"cycle_id": cycle_id, "state": values.get("state", cycle["state"]),
            "new_lines": int(new), "exited": moved["exited"], "reentered": moved["reentered"],
            "lines": int(lines), "amount": int(amount)}


def _benefit_lines(conn: Connection, actor: Actor, cycle: Any, prog: Any, today: date,
                   report: Progress) -> tuple[dict[str, int], int]:
    """Exits and re-entries, shocks that ended, then the benefit and top-up lines."""
    report("exits and re-entries", "ការចាកចេញ និងការចូលវិញ", 0.1)
    moved = exits.automatic(conn, actor, prog, cycle["evaluation_run_id"], cycle["period"],
                            today)
    report("shocks that ended", "គ្រោះដែលបានបញ្ចប់", 0.3)
    shocks.end_due(conn, actor, cycle["period"])
    report("entitlements", "សិទ្ធិទទួល", 0.4)
    new = insert_ignoring_duplicates(conn, e, LINE_COLUMNS, _line_source(cycle, prog))
    for shock in shocks.topups_for(conn, prog["id"], cycle["period"]):
        new += insert_ignoring_duplicates(conn, e, LINE_COLUMNS,
                                          _topup_source(cycle, prog, shock))
    analyze(conn, e)
    return moved, new


def approve(conn: Connection, actor: Actor, cycle_id: int, reason: str | None = None) -> int:
    """A finance officer other than the cycle's maker approves it: its lines are committed
    (approved, waiting to be paid). Returns the number of lines approved."""
    cycle = cycle_row(conn, cycle_id)
    if cycle["created_by"] == actor.username:
        raise Conflict("the maker of a payment cycle cannot approve it; another finance "
                       "officer must",
                       "អ្នកបង្កើតវដ្តទូទាត់មិនអាចអនុម័តវដ្តរបស់ខ្លួនបានទេ "
                       "ត្រូវឱ្យមន្ត្រីហិរញ្ញវត្ថុផ្សេង")
    now = utcnow()
    done = conn.execute(update(CYCLE).where(CYCLE.c.id == cycle_id,
                                        CYCLE.c.state == CycleState.PENDING_APPROVAL)
                        .values(state=CycleState.APPROVED, version=CYCLE.c.version + 1,
                                updated_at=now, updated_by=actor.username))
    if done.rowcount != 1:
        current = cycle_row(conn, cycle_id)["state"]
        raise Conflict(f"the cycle is {current}; only a cycle waiting for approval can be "
                       "approved",
                       f"វដ្តនេះស្ថិតក្នុងស្ថានភាព {current} អាចអនុម័តបានតែវដ្តដែលកំពុងរង់ចាំ")
    version = conn.execute(select(CYCLE.c.version).where(CYCLE.c.id == cycle_id)).scalar_one()
    log_change(conn, "payment_cycle", cycle_id, int(version), "approve", actor.username, reason,
               {"state": [CycleState.PENDING_APPROVAL, CycleState.APPROVED]}, at=now)
    moved = conn.execute(update(e).where(e.c.payroll_cycle_id == cycle_id,
                                         e.c.state == EntitlementState.DRAFT)
                         .values(state=EntitlementState.APPROVED))
    return int(moved.rowcount)


def totals(conn: Connection, cycle_id: int) -> dict[str, list[dict[str, Any]]]:
    """A cycle's lines and amounts by province, by sex and by component (cancelled lines
    left out)."""
    out: dict[str, list[dict[str, Any]]] = {}
    live = [e.c.payroll_cycle_id == cycle_id, e.c.state != EntitlementState.CANCELLED]
    for key, col in (("province", e.c.province_code), ("sex", e.c.recipient_sex),
                     ("component", e.c.component), ("state", e.c.state)):
        rows = conn.execute(select(col.label("code"), func.count().label("n"),
                                   func.sum(e.c.amount).label("amount"))
                            .where(*live).group_by(col).order_by(col))
        out[key] = [{"code": r.code, "count": int(r.n), "amount": int(r.amount or 0)}
                    for r in rows]
    return out


def add_line(conn: Connection, actor: Actor, cycle_id: int, beneficiary_id: int,
             amount: int) -> int:
    """Add one beneficiary's benefit line to a cycle not yet approved (a late enrolment), at
    the amount the pinned run gives; any other amount is refused. Returns the line's id."""
    cycle = cycle_row(conn, cycle_id)
    if cycle["state"] not in (CycleState.DRAFT, CycleState.PENDING_APPROVAL):
        raise Conflict(f"the cycle is {cycle['state']}; lines are added before approval",
                       f"វដ្តនេះស្ថិតក្នុងស្ថានភាព {cycle['state']} "
                       "អាចបន្ថែមបានតែមុនការអនុម័ត")
    prog = programme_row(conn, cycle["programme_id"])
    if pensions.is_pension(prog):
        raise Conflict("the pension payroll's lines come from the approved pensions; run the "
                       "cycle again instead",
                       "ជួរនៃបញ្ជីបើកសោធនមកពីសោធនដែលបានអនុម័ត សូមដំណើរការវដ្តម្តងទៀត")
    source = _line_source(cycle, prog).where(b.c.id == beneficiary_id).subquery()
    given = conn.execute(select(source)).first()
    if given is None:
        raise InvalidInput.one(("beneficiary_id",), "not_due",
                               f"beneficiary {beneficiary_id} is not enrolled with an amount "
                               f"in run {cycle['evaluation_run_id']}",
                               f"អ្នកទទួលផលលេខ {beneficiary_id} មិនមានចំនួនទឹកប្រាក់ក្នុង"
                               f"ការវាយតម្លៃលេខ {cycle['evaluation_run_id']}")
    if amount != int(given[5]):
        raise InvalidInput.one(("amount",), "amount_not_in_rules",
                               f"the rules give {given[5]} {prog['currency']} for this "
                               f"beneficiary in {cycle['period']}, not {amount}",
                               f"វិធានផ្ដល់ {given[5]} {prog['currency']} សម្រាប់អ្នកទទួលផលនេះ "
                               f"ក្នុងខែ {cycle['period']} មិនមែន {amount} ទេ")
    insert_ignoring_duplicates(conn, e, LINE_COLUMNS,
                               _line_source(cycle, prog).where(b.c.id == beneficiary_id))
    line = conn.execute(select(e.c.id).where(
        e.c.beneficiary_id == beneficiary_id, e.c.programme_id == prog["id"],
        e.c.period == cycle["period"], e.c.component == Component.BENEFIT)).scalar_one()
    conn.execute(update(CYCLE).where(CYCLE.c.id == cycle_id).values(
        lines=select(func.count()).where(e.c.payroll_cycle_id == cycle_id).scalar_subquery(),
        amount=select(func.coalesce(func.sum(e.c.amount), 0))
        .where(e.c.payroll_cycle_id == cycle_id).scalar_subquery()))
    return int(line)

