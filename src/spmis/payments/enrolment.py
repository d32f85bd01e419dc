"""Enrolment: a run takes a pinned evaluation run and lists the programme's candidates (every
entity eligible in that run, inside the programme's target area, not already a beneficiary),
with counts and amounts by province, commune and sex; an approver other than the maker enrols
them or rejects the run. An application enrols one household the same way, from its own
evaluation. Every state change of a beneficiary is a ``change_log`` entry (its history), written
set-based."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, insert, literal, select, update

from spmis.auth import scope
from spmis.auth.model import Actor
from spmis.db.base import utcnow
from spmis.db.history import audit_values, bump_versions, log_change
from spmis.errors import Conflict, InvalidInput, NotFound
from spmis.payments import store
from spmis.payments.common import (
    analyze,
    decision_reason,
    insert_ignoring_duplicates,
    log_set,
    no_jit,
    programme_by_code,
)
from spmis.payments.model import (
    BeneficiaryState,
    DecisionState,
    ExitReason,
    ProgrammeState,
)
from spmis.registry import queries as registry
from spmis.rules import queries as rules

__all__ = ["ENTITY", "apply", "create_run", "decide", "recipient_sex", "run_detail", "summary"]

ENTITY = "beneficiary"
b = store.beneficiary
#: exit reasons after which a later run may list the household again (not a manual exit)
RELISTABLE = (ExitReason.RULE_NO_LONGER_HOLDS, ExitReason.ENROLMENT_REJECTED,
              ExitReason.IDPOOR_CARD_EXPIRED, ExitReason.HOUSEHOLD_NOT_ACTIVE,
              ExitReason.CHILD_TURNED_2, ExitReason.SHOCK_ENDED)


def recipient_sex(household_id: Any) -> Any:
    """The sex of the household's head (the recipient of a household's payment), 'U' unknown:
    a scalar subquery for a set-based statement."""
    p = registry.people()
    return func.coalesce(
        select(func.min(p.c.sex)).where(p.c.household_id == household_id,
                                        p.c.relationship == "head").scalar_subquery(),
        literal("U"))


def _active(row: Any) -> None:
    if row["state"] != ProgrammeState.ACTIVE:
        raise Conflict(f"the programme {row['code']} is {row['state']}, not active",
                       f"កម្មវិធី {row['code']} មិនទាន់សកម្ម ({row['state']})")


def _pinned(conn: Connection, prog: Any, run_id: int) -> str:
    period = rules.run_period(conn, run_id)
    if period is None:
        raise InvalidInput.one(("evaluation_run_id",), "unknown_run",
                               f"there is no evaluation run {run_id}",
                               f"មិនមានការវាយតម្លៃលេខ {run_id}")
    if prog["rules_programme"] not in rules.run_programmes(conn, run_id):
        raise InvalidInput.one(("evaluation_run_id",), "programme_not_evaluated",
                               f"run {run_id} did not evaluate {prog['rules_programme']}",
                               f"ការវាយតម្លៃលេខ {run_id} មិនបានគណនា {prog['rules_programme']}")
    return period


def _no_pending(conn: Connection, programme_id: int) -> None:
    e = store.enrolment_run
    busy = conn.execute(select(e.c.id).where(e.c.programme_id == programme_id,
                                             e.c.state == DecisionState.PENDING)).scalar()
    if busy is not None:
        raise Conflict(f"enrolment run {busy} of this programme waits for a decision",
                       f"ការចុះឈ្មោះលេខ {busy} នៃកម្មវិធីនេះកំពុងរង់ចាំការសម្រេច")


def _new_run(conn: Connection, actor: Actor, prog: Any, kind: str, run_id: int | None,
             period: str) -> int:
    return int(conn.execute(insert(store.enrolment_run).values(
        programme_id=prog["id"], kind=kind, evaluation_run_id=run_id, period=period,
        state=DecisionState.PENDING, candidates=0, amount=0, currency=prog["currency"],
        summary={}, **audit_values(actor.username),
    ).returning(store.enrolment_run.c.id)).scalar_one())


def _list_candidates(conn: Connection, actor: Actor, prog: Any, enrolment_id: int,
                     entities: Any, source: str, reasons: tuple[str, ...]) -> None:
    """Make the entities of ``entities`` (a select of entity_id, household_id) candidates of
    enrolment run ``enrolment_id``: new beneficiaries, or ones that exited for ``reasons``
    listed again."""
    now = utcnow()
    audit = audit_values(actor.username, now)
    again = [b.c.programme_id == prog["id"], b.c.state == BeneficiaryState.EXITED,
             b.c.state_reason.in_([str(r) for r in reasons]),
             b.c.entity_id.in_(select(entities.c.entity_id))]
    log_set(conn, b, ENTITY, again, action="candidate", by=actor.username,
            reason=f"enrolment run {enrolment_id}",
            changes={"state": [BeneficiaryState.EXITED, BeneficiaryState.CANDIDATE]}, at=now)
    bump_versions(conn, b, again, {"state": BeneficiaryState.CANDIDATE, "state_reason": None,
                                   "enrolment_run_id": enrolment_id, "exited_on": None},
                  actor.username, now)
    rows = select(
        literal(prog["id"]), literal(prog["entity"]), entities.c.entity_id,
        entities.c.household_id, literal(BeneficiaryState.CANDIDATE.value), literal(source),
        literal(enrolment_id), *(literal(v, store.beneficiary.c[k].type)
                                 for k, v in audit.items()))
    insert_ignoring_duplicates(conn, b, [
        "programme_id", "entity", "entity_id", "household_id", "state", "source",
        "enrolment_run_id", *audit], rows)
    fresh = [b.c.enrolment_run_id == enrolment_id, b.c.version == 1,
             b.c.state == BeneficiaryState.CANDIDATE]
    log_set(conn, b, ENTITY, fresh, action="candidate", by=actor.username,
            reason=f"enrolment run {enrolment_id}",
            changes={"state": [None, BeneficiaryState.CANDIDATE]}, at=now, version_offset=0)
    analyze(conn, b)


def summary(conn: Connection, enrolment_id: int, evaluation_run_id: int | None,
            rules_programme: str) -> dict[str, Any]:
    """Counts and amounts of a run's candidates by province, commune and sex (amounts from the
    pinned evaluation run; an application's from its own evaluation, stored on the run)."""
    h = registry.households()
    r = rules.results()
    amount: Any = literal(0)
    source: Any = b.join(h, h.c.id == b.c.household_id)
    if evaluation_run_id is not None:
        # the results' primary key (run, household, programme, entity) gives at most one row:
        # a join (hashed, one pass) rather than a probe per candidate
        source = source.outerjoin(r, and_(
            r.c.run_id == evaluation_run_id, r.c.household_id == b.c.household_id,
            r.c.programme == rules_programme, r.c.entity_id == b.c.entity_id))
        amount = func.coalesce(r.c.amount, 0)
    rows = select(b.c.id, amount.label("amount"), h.c.commune_code,
                  recipient_sex(b.c.household_id).label("sex")).select_from(source).where(
        b.c.enrolment_run_id == enrolment_id).subquery()
    # one pass over the candidates, grouped by commune and sex (a few thousand groups at most);
    # the province and sex totals are sums of those groups
    groups = conn.execute(
        select(rows.c.commune_code, rows.c.sex, func.count().label("n"),
               func.sum(rows.c.amount).label("amount"))
        .group_by(rows.c.commune_code, rows.c.sex)).all()
    out: dict[str, Any] = {}
    for key, code_of in (("province", lambda g: g.commune_code[:2]),
                         ("commune", lambda g: g.commune_code), ("sex", lambda g: g.sex)):
        totals: dict[str, list[int]] = {}
        for g in groups:
            total = totals.setdefault(code_of(g), [0, 0])
            total[0] += int(g.n)
            total[1] += int(g.amount or 0)
        out[key] = [{"code": code, "count": n, "amount": amount}
                    for code, (n, amount) in sorted(totals.items())]
    return out


def _close_run(conn: Connection, enrolment_id: int, evaluation_run_id: int | None,
               prog: Any, amount: int | None = None) -> dict[str, Any]:
    totals = summary(conn, enrolment_id, evaluation_run_id, prog["rules_programme"])
    count = sum(g["count"] for g in totals["sex"])
    total = amount if amount is not None else sum(g["amount"] for g in totals["sex"])
    if amount is not None:  # an application: one household, its own evaluation's amount
        for groups in totals.values():
            for g in groups:
                g["amount"] = amount
    conn.execute(update(store.enrolment_run).where(store.enrolment_run.c.id == enrolment_id)
                 .values(candidates=count, amount=total, summary=totals))
    return totals


def create_run(conn: Connection, actor: Actor, programme_code: str,
               evaluation_run_id: int) -> int:
    """List the candidates of a programme from a pinned evaluation run; returns the enrolment
    run's id (pending until an approver decides)."""
    prog = programme_by_code(conn, programme_code)
    period = _pinned(conn, prog, evaluation_run_id)
    _active(prog)
    _no_pending(conn, prog["id"])
    no_jit(conn)
    enrolment_id = _new_run(conn, actor, prog, "run", evaluation_run_id, period)
    r, h = rules.results(), registry.households()
    eligible = select(r.c.entity_id, func.min(r.c.household_id).label("household_id")).where(
        r.c.run_id == evaluation_run_id, r.c.programme == prog["rules_programme"], r.c.eligible,
    ).group_by(r.c.entity_id)
    if prog["target_area"]:
        eligible = eligible.where(r.c.household_id.in_(
            select(h.c.id).where(*scope.conditions(prog["target_area"], h.c.village_code))))
    _list_candidates(conn, actor, prog, enrolment_id, eligible.subquery("run_candidates"),
                     "run", tuple(RELISTABLE))
    _close_run(conn, enrolment_id, evaluation_run_id, prog)
    log_change(conn, "enrolment_run", enrolment_id, 1, "create", actor.username, None,
               {"programme": [None, prog["code"]], "evaluation_run_id": [None, evaluation_run_id]})
    return enrolment_id


def apply(conn: Connection, actor: Actor, programme_code: str, household_id: int, period: str,
          eligible: bool, amount: int) -> int:
    """Enrolment on application: one household, evaluated on its own for ``period`` (the caller
    passes the rules' answer); pending until an approver decides."""
    prog = programme_by_code(conn, programme_code)
    _active(prog)
    if not eligible:
        raise InvalidInput.one(("household_id",), "not_eligible",
                               f"household {household_id} is not eligible for {prog['code']} "
                               f"in {period}",
                               f"គ្រួសារលេខ {household_id} មិនមានសិទ្ធិទទួល {prog['code']} "
                               f"ក្នុងខែ {period}")
    busy = conn.execute(select(b.c.state).where(
        b.c.programme_id == prog["id"], b.c.entity_id == household_id)).scalar()
    if busy is not None and busy != BeneficiaryState.EXITED:
        raise Conflict(f"household {household_id} is already {busy} in this programme",
                       f"គ្រួសារលេខ {household_id} មានឈ្មោះក្នុងកម្មវិធីនេះរួចហើយ ({busy})")
    enrolment_id = _new_run(conn, actor, prog, "application", None, period)
    one = select(literal(household_id).label("entity_id"),
                 literal(household_id).label("household_id")).subquery("application")
    # an application lists again a household that exited for any reason, a manual exit too
    _list_candidates(conn, actor, prog, enrolment_id, one, "application",
                     tuple(str(r) for r in ExitReason))
    _close_run(conn, enrolment_id, None, prog, amount)
    log_change(conn, "enrolment_run", enrolment_id, 1, "create", actor.username, "application",
               {"programme": [None, prog["code"]], "household_id": [None, household_id]})
    return enrolment_id


def decide(conn: Connection, actor: Actor, enrolment_id: int, approve: bool, reason: str,
           today: date) -> str:
    """An approver other than the maker enrols the run's candidates, or rejects the run (the
    candidates exit with the reason 'enrolment_rejected'). Only one decision ever applies."""
    e = store.enrolment_run
    run = conn.execute(select(e).where(e.c.id == enrolment_id)).mappings().first()
    if run is None:
        raise NotFound(f"enrolment run {enrolment_id} not found",
                       f"រកមិនឃើញការចុះឈ្មោះលេខ {enrolment_id}")
    if run["created_by"] == actor.username:
        raise Conflict("the maker of an enrolment run cannot decide it; another approver must",
                       "អ្នកបង្កើតមិនអាចសម្រេចលើការចុះឈ្មោះរបស់ខ្លួនបានទេ ត្រូវឱ្យអ្នកអនុម័តផ្សេង")
    reason = decision_reason(reason)
    new = DecisionState.APPROVED if approve else DecisionState.REJECTED
    no_jit(conn)
    now = utcnow()
    done = conn.execute(update(e).where(e.c.id == enrolment_id,
                                        e.c.state == DecisionState.PENDING)
                        .values(state=new, version=e.c.version + 1, updated_at=now,
                                updated_by=actor.username))
    if done.rowcount != 1:
        raise Conflict(f"enrolment run {enrolment_id} was already decided",
                       f"ការចុះឈ្មោះលេខ {enrolment_id} ត្រូវបានសម្រេចរួចហើយ")
    log_change(conn, "enrolment_run", enrolment_id, run["version"] + 1, str(new),
               actor.username, reason, {"state": [run["state"], new]}, at=now)
    where = [b.c.enrolment_run_id == enrolment_id, b.c.state == BeneficiaryState.CANDIDATE]
    values: dict[str, Any]
    if approve:
        values = {"state": BeneficiaryState.ENROLLED, "enrolled_on": today}
    else:
        values = {"state": BeneficiaryState.EXITED, "exited_on": today,
                  "state_reason": ExitReason.ENROLMENT_REJECTED}
    log_set(conn, b, ENTITY, where, action=str(values["state"]), by=actor.username,
            reason=reason, changes={"state": [BeneficiaryState.CANDIDATE, values["state"]]},
            at=now)
    bump_versions(conn, b, where, values, actor.username, now)
    analyze(conn, b)
    return str(new)


def run_detail(conn: Connection, enrolment_id: int) -> dict[str, Any]:
    e = store.enrolment_run
    run = conn.execute(select(e).where(e.c.id == enrolment_id)).mappings().first()
    if run is None:
        raise NotFound(f"enrolment run {enrolment_id} not found",
                       f"រកមិនឃើញការចុះឈ្មោះលេខ {enrolment_id}")
    return dict(run)
