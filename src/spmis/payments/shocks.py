"""Shock response: declare a shock (names, communes, first and last day) and either

* a vertical top-up: an extra amount a month (a dated decision with its legal source) to the
  programme's enrolled beneficiaries in those communes, for every month the shock covers; or
* a horizontal expansion: temporary enrolment of the registry households there that meet the
  programme's rule in a pinned evaluation run, paid what the rules give, until the last day.

The declaration previews the households and the cost (per month times the months covered); an
approver other than the maker approves it. A shock ends by itself: a cycle of a month after its
last day creates no top-up line, ends it and lets its temporary beneficiaries exit."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, func, insert, literal, select, update

from spmis.auth.model import Actor
from spmis.db.base import utcnow
from spmis.db.history import audit_values, bump_versions, log_change
from spmis.errors import Conflict, FieldError, InvalidInput, NotFound
from spmis.gazetteer import gazetteer
from spmis.payments import store
from spmis.payments.common import (
    analyze,
    decision_reason,
    insert_ignoring_duplicates,
    log_set,
    programme_by_code,
)
from spmis.payments.model import (
    BeneficiaryState,
    DecisionState,
    ExitReason,
    ShockKind,
    month_start,
    months_between,
    period_of,
)
from spmis.registry import queries as registry
from spmis.rules import queries as rules

__all__ = ["decide", "declare", "end_due", "preview", "shock_row", "topups_for"]

s = store.shock
sc = store.shock_commune
b = store.beneficiary


def shock_row(conn: Connection, shock_id: int) -> Any:
    row = conn.execute(select(s).where(s.c.id == shock_id)).mappings().first()
    if row is None:
        raise NotFound(f"shock {shock_id} not found", f"រកមិនឃើញគ្រោះលេខ {shock_id}")
    return row


def _communes(shock_id: int) -> Any:
    return select(sc.c.commune_code).where(sc.c.shock_id == shock_id)


def _expansion_households(shock: Any, prog: Any) -> Any:
    """(entity_id, household_id, amount) of the households in the shock's communes eligible in
    its pinned run and not already enrolled."""
    r, h = rules.results(), registry.households()
    return (
        select(r.c.entity_id, r.c.household_id, r.c.amount)
        .join_from(r, h, h.c.id == r.c.household_id)
        .where(r.c.run_id == shock["evaluation_run_id"],
               r.c.programme == prog["rules_programme"], r.c.eligible, r.c.amount > 0,
               h.c.commune_code.in_(_communes(shock["id"])),
               ~r.c.entity_id.in_(select(b.c.entity_id).where(
                   b.c.programme_id == prog["id"],
                   b.c.state.in_([BeneficiaryState.ENROLLED, BeneficiaryState.SUSPENDED]))))
    )


def preview(conn: Connection, shock_id: int) -> dict[str, Any]:
    """Households reached and the cost (a month, and over the months the shock covers), by
    commune."""
    shock = shock_row(conn, shock_id)
    prog = conn.execute(select(store.programme).where(store.programme.c.id == shock["programme_id"])
                        ).mappings().one()
    h = registry.households()
    if shock["kind"] == ShockKind.TOP_UP:
        amount = literal(int(shock["amount"])).label("amount")
        rows = (select(h.c.commune_code.label("commune"), amount)
                .join_from(b, h, h.c.id == b.c.household_id)
                .where(b.c.programme_id == prog["id"], b.c.state == BeneficiaryState.ENROLLED,
                       h.c.commune_code.in_(_communes(shock_id))).subquery())
    else:
        found = _expansion_households(shock, prog).subquery()
        rows = (select(h.c.commune_code.label("commune"), found.c.amount)
                .join_from(found, h, h.c.id == found.c.household_id).subquery())
    groups = conn.execute(select(rows.c.commune, func.count().label("households"),
                                 func.sum(rows.c.amount).label("amount"))
                          .group_by(rows.c.commune).order_by(rows.c.commune)).all()
    months = months_between(period_of(shock["start_date"]), period_of(shock["end_date"]))
    monthly = sum(int(g.amount or 0) for g in groups)
    return {
        "shock_id": shock_id, "months": months, "currency": shock["currency"],
        "households": sum(int(g.households) for g in groups), "monthly_cost": monthly,
        "cost": monthly * months,
        "communes": [{"code": g.commune, "households": int(g.households),
                      "amount": int(g.amount or 0)} for g in groups],
    }


def declare(conn: Connection, actor: Actor, *, name_en: str, name_km: str, kind: str,
            programme_code: str, communes: list[str], start_date: date, end_date: date,
            amount: int | None, legal_reference: str,
            evaluation_run_id: int | None = None) -> int:
    """Declare a shock (pending until approved) and store its preview; returns its id."""
    errors: list[FieldError] = []
    prog = None
    try:
        prog = programme_by_code(conn, programme_code)
    except InvalidInput as exc:
        errors += exc.errors
    if kind not in set(ShockKind):
        errors.append(FieldError(("kind",), "enum", "top_up or expansion",
                                 "ជ្រើសរើស top_up ឬ expansion"))
    if not name_en.strip() or not name_km.strip():
        errors.append(FieldError(("name_en",), "missing", "name the shock in English and Khmer",
                                 "សូមដាក់ឈ្មោះគ្រោះជាភាសាអង់គ្លេស និងខ្មែរ"))
    geo = gazetteer()
    bad = [code for code in communes if (u := geo.get(code)) is None or u.level != "commune"]
    if not communes or bad:
        errors.append(FieldError(("communes",), "unknown_commune",
                                 f"give known commune codes (6 digits); not: {', '.join(bad)}",
                                 f"សូមផ្ដល់លេខកូដឃុំដែលមាន (៦ខ្ទង់)៖ {', '.join(bad)}"))
    if end_date < start_date:
        errors.append(FieldError(("end_date",), "before_start", "the end is before the start",
                                 "ថ្ងៃបញ្ចប់មុនថ្ងៃចាប់ផ្ដើម"))
    if kind == ShockKind.TOP_UP and (amount is None or amount <= 0):
        errors.append(FieldError(("amount",), "missing",
                                 "a top-up needs an amount a month (smallest unit) above 0",
                                 "ការបន្ថែមត្រូវការចំនួនទឹកប្រាក់ប្រចាំខែ ធំជាង ០"))
    if kind == ShockKind.EXPANSION and amount is not None:
        errors.append(FieldError(("amount",), "amount_not_in_rules",
                                 "an expansion pays what the programme's rules give; leave the "
                                 "amount out",
                                 "ការពង្រីកបង់តាមវិធានរបស់កម្មវិធី សូមកុំបញ្ចូលចំនួនទឹកប្រាក់"))
    if not legal_reference.strip():
        errors.append(FieldError(("legal_reference",), "missing",
                                 "name the decision that declares the shock",
                                 "សូមបញ្ជាក់សេចក្ដីសម្រេចដែលប្រកាសគ្រោះ"))
    if errors:
        raise InvalidInput(errors)
    assert prog is not None
    if kind == ShockKind.EXPANSION:
        period = period_of(start_date)
        run_id = evaluation_run_id or rules.current_run(conn, period, prog["rules_programme"])
        if run_id is None or rules.run_period(conn, run_id) is None:
            raise InvalidInput.one(("evaluation_run_id",), "no_evaluation",
                                   f"evaluate {prog['rules_programme']} for {period} first",
                                   f"សូមវាយតម្លៃ {prog['rules_programme']} សម្រាប់ខែ "
                                   f"{period} ជាមុនសិន")
        evaluation_run_id = run_id
    shock_id = int(conn.execute(insert(s).values(
        name_en=name_en, name_km=name_km, kind=kind, programme_id=prog["id"],
        start_date=start_date, end_date=end_date, amount=amount, currency=prog["currency"],
        legal_reference=legal_reference, state=DecisionState.PENDING,
        evaluation_run_id=evaluation_run_id, **audit_values(actor.username),
    ).returning(s.c.id)).scalar_one())
    conn.execute(insert(sc), [{"shock_id": shock_id, "commune_code": code}
                              for code in sorted(set(communes))])
    seen = preview(conn, shock_id)
    conn.execute(update(s).where(s.c.id == shock_id).values(households=seen["households"],
                                                            cost=seen["cost"]))
    log_change(conn, "shock", shock_id, 1, "declare", actor.username, legal_reference,
               {"kind": [None, kind], "communes": [None, sorted(set(communes))]})
    return shock_id


def decide(conn: Connection, actor: Actor, shock_id: int, approve: bool, reason: str,
           today: date) -> str:
    """An approver other than the maker approves (an expansion enrols its households, temporary
    until the last day) or rejects a declared shock."""
    shock = shock_row(conn, shock_id)
    if shock["created_by"] == actor.username:
        raise Conflict("the maker of a shock cannot decide it; another approver must",
                       "អ្នកប្រកាសគ្រោះមិនអាចសម្រេចលើគ្រោះរបស់ខ្លួនបានទេ")
    reason = decision_reason(reason)
    new = DecisionState.APPROVED if approve else DecisionState.REJECTED
    now = utcnow()
    done = conn.execute(update(s).where(s.c.id == shock_id, s.c.state == DecisionState.PENDING)
                        .values(state=new, version=s.c.version + 1, updated_at=now,
                                updated_by=actor.username))
    if done.rowcount != 1:
        raise Conflict(f"shock {shock_id} was already decided",
                       f"គ្រោះលេខ {shock_id} ត្រូវបានសម្រេចរួចហើយ")
    log_change(conn, "shock", shock_id, shock["version"] + 1, str(new), actor.username, reason,
               {"state": [shock["state"], new]}, at=now)
    if approve and shock["kind"] == ShockKind.EXPANSION:
        prog = conn.execute(select(store.programme)
                            .where(store.programme.c.id == shock["programme_id"])).mappings().one()
        found = _expansion_households(shock, prog).subquery()
        audit = audit_values(actor.username, now)
        rows = select(literal(prog["id"]), literal(prog["entity"]), found.c.entity_id,
                      found.c.household_id, literal(BeneficiaryState.ENROLLED.value),
                      literal("shock"), literal(shock_id), literal(today, b.c.enrolled_on.type),
                      literal(shock["end_date"], b.c.temporary_until.type),
                      *(literal(v, b.c[k].type) for k, v in audit.items()))
        insert_ignoring_duplicates(conn, b, [
            "programme_id", "entity", "entity_id", "household_id", "state", "source",
            "shock_id", "enrolled_on", "temporary_until", *audit], rows)
        log_set(conn, b, "beneficiary", [b.c.shock_id == shock_id, b.c.version == 1],
                action="enrolled", by=actor.username, reason=f"shock {shock_id}",
                changes={"state": [None, BeneficiaryState.ENROLLED]}, at=now, version_offset=0)
        analyze(conn, b)
    return str(new)


def topups_for(conn: Connection, programme_id: int, period: str) -> list[Any]:
    """Approved top-up shocks of a programme covering ``period``."""
    first = month_start(period)
    return list(conn.execute(select(s).where(
        s.c.programme_id == programme_id, s.c.kind == ShockKind.TOP_UP,
        s.c.state == DecisionState.APPROVED, s.c.start_date < _next_month(first),
        s.c.end_date >= first)).mappings())


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def end_due(conn: Connection, actor: Actor, period: str) -> int:
    """End the approved shocks whose last day is before ``period``; their temporary
    beneficiaries exit (reason 'shock_ended'). Returns the number of shocks ended."""
    first = month_start(period)
    due = [s.c.state == DecisionState.APPROVED, s.c.end_date < first]
    ids = list(conn.execute(select(s.c.id).where(*due)).scalars())
    if not ids:
        return 0
    now = utcnow()
    log_set(conn, s, "shock", [s.c.id.in_(ids)], action="end", by=actor.username,
            reason="its last day passed",
            changes={"state": [DecisionState.APPROVED, DecisionState.ENDED]}, at=now)
    bump_versions(conn, s, [s.c.id.in_(ids)], {"state": DecisionState.ENDED}, actor.username, now)
    leaving = [b.c.shock_id.in_(ids), b.c.state == BeneficiaryState.ENROLLED,
               b.c.temporary_until < first]
    log_set(conn, b, "beneficiary", leaving, action="exit", by=actor.username,
            reason="the emergency support ended",
            changes={"state": [BeneficiaryState.ENROLLED, BeneficiaryState.EXITED],
                     "state_reason": [None, ExitReason.SHOCK_ENDED]}, at=now)
    bump_versions(conn, b, leaving, {"state": BeneficiaryState.EXITED,
                                     "state_reason": ExitReason.SHOCK_ENDED,
                                     "exited_on": now.date()}, actor.username, now)
    return len(ids)
