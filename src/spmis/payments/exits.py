"""Exits and re-entry.

* Automatic, when a payment cycle runs: an enrolled beneficiary (not a temporary one of a
  shock) that is not eligible in the cycle's pinned run exits with the first reason that holds,
  in this order: the household is no longer active, a death was recorded in it, its IDPoor card
  expired before the month, a child turned 2 (the pregnant women and children programme), or
  the rule no longer holds. Each reason is one set-based ``UPDATE``, its history and its notice
  (a letter in the outbox, Khmer and English). An automatic exit re-enters by itself when the
  rule holds again.
* Manual: a programme officer asks with a reason; an approver other than them approves
  (maker-checker kind ``payments.exit``), and the exit applies then.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, insert, literal, not_, select, true

from spmis.auth.approvals import ApprovalKind, ApprovalRecord, file_request, register_kind
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import bump_versions, update_versioned
from spmis.errors import Conflict, InvalidInput, NotFound
from spmis.payments import store
from spmis.payments.common import log_set
from spmis.payments.model import (
    AUTO_EXIT_REASONS,
    EXIT_REASON_TEXT,
    BeneficiaryState,
    ExitReason,
    month_start,
)
from spmis.registry import queries as registry
from spmis.rules import queries as rules

__all__ = ["EXIT_KIND", "automatic", "queue_notices", "request_exit"]

EXIT_KIND = "payments.exit"
b = store.beneficiary
ENTITY = "beneficiary"
CHILD_PROGRAMME = "pregnant_child_cash_transfer"


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _reasons(prog: Any, period: str) -> list[tuple[ExitReason, ColumnElement[bool]]]:
    h, p = registry.households(), registry.people()
    first = month_start(period)
    household = select(h.c.id).where(h.c.id == b.c.household_id)
    out: list[tuple[ExitReason, ColumnElement[bool]]] = [
        (ExitReason.HOUSEHOLD_NOT_ACTIVE, ~exists(household.where(h.c.status == "active"))),
        (ExitReason.DEATH_RECORDED, exists(select(p.c.id).where(
            p.c.household_id == b.c.household_id, p.c.status == "deceased"))),
        (ExitReason.IDPOOR_CARD_EXPIRED, exists(household.where(
            h.c.idpoor_valid_to.is_not(None), h.c.idpoor_valid_to < first))),
    ]
    if prog["rules_programme"] == CHILD_PROGRAMME:
        # a member whose second birthday fell in the last year, up to this month's first day
        out.append((ExitReason.CHILD_TURNED_2, exists(select(p.c.id).where(
            p.c.household_id == b.c.household_id, p.c.status == "active",
            p.c.date_of_birth <= _years_before(first, 2),
            p.c.date_of_birth > _years_before(first, 3)))))
    out.append((ExitReason.RULE_NO_LONGER_HOLDS, true()))
    return out


def queue_notices(conn: Connection, where: list[ColumnElement[bool]], event: str,
                  text: tuple[str, str]) -> None:
    """A letter in the outbox, in English and Khmer, to the household of every beneficiary
    matching ``where`` (set-based)."""
    o = store.notification_outbox
    prog = store.programme
    en, km = text
    rows = (select(literal(event), literal("letter"), b.c.household_id, b.c.id, b.c.programme_id,
                   (literal(f"{en}: ") + prog.c.name_en),
                   (literal(f"{km}៖ ") + prog.c.name_km),
                   literal("queued"), literal(utcnow(), o.c.created_at.type))
            .select_from(b.join(prog, prog.c.id == b.c.programme_id)).where(*where))
    conn.execute(insert(o).from_select(
        ["event", "channel", "household_id", "beneficiary_id", "programme_id", "text_en",
         "text_km", "state", "created_at"], rows))


def automatic(conn: Connection, actor: Actor, prog: Any, run_id: int, period: str,
              today: date) -> dict[str, int]:
    """Exits of beneficiaries the pinned run no longer finds eligible, and re-entries of those
    that left automatically and are eligible again (see the module)."""
    r = rules.results()
    # the primary key of the results leads with (run, household): the lookup is an index probe
    eligible = exists(select(r.c.entity_id).where(
        r.c.run_id == run_id, r.c.household_id == b.c.household_id,
        r.c.programme == prog["rules_programme"], r.c.entity_id == b.c.entity_id,
        r.c.eligible))
    now = utcnow()
    mine = b.c.programme_id == prog["id"]
    leaving = [mine, b.c.state.in_([BeneficiaryState.ENROLLED, BeneficiaryState.SUSPENDED]),
               b.c.shock_id.is_(None), not_(eligible)]
    exited = reentered = 0
    if conn.execute(select(b.c.id).where(*leaving).limit(1)).first() is not None:
        for reason, holds in _reasons(prog, period):
            where = [*leaving, holds]
            log_set(conn, b, ENTITY, where, action="exit", by=actor.username,
                    reason=EXIT_REASON_TEXT[reason][0],
                    changes={"state": ["enrolled", BeneficiaryState.EXITED],
                             "state_reason": [None, reason]}, at=now)
            exited += bump_versions(conn, b, where, {
                "state": BeneficiaryState.EXITED, "state_reason": reason, "exited_on": today,
            }, actor.username, now)
            queue_notices(conn, [mine, b.c.state == BeneficiaryState.EXITED,
                                 b.c.state_reason == reason, b.c.updated_at == now],
                          "exit", EXIT_REASON_TEXT[reason])
    back = [mine, b.c.state == BeneficiaryState.EXITED,
            b.c.state_reason.in_([str(x) for x in AUTO_EXIT_REASONS]), eligible,
            b.c.shock_id.is_(None)]
    if conn.execute(select(b.c.id).where(*back).limit(1)).first() is not None:
        log_set(conn, b, ENTITY, back, action="re-entry", by=actor.username,
                reason="the programme's rule holds again",
                changes={"state": [BeneficiaryState.EXITED, BeneficiaryState.ENROLLED]},
                at=now)
        reentered = bump_versions(conn, b, back, {
            "state": BeneficiaryState.ENROLLED, "state_reason": None, "exited_on": None,
            "enrolled_on": today}, actor.username, now)
    return {"exited": exited, "reentered": reentered}


# ---------------------------------------------------------------- manual exit (maker-checker)

def request_exit(ctx: AppContext, conn: Connection, actor: Actor, beneficiary_id: int,
                 reason: str) -> int:
    """File a manual exit for an approver; returns the approval request's id."""
    row = conn.execute(select(b).where(b.c.id == beneficiary_id)).mappings().first()
    if row is None:
        raise NotFound(f"beneficiary {beneficiary_id} not found",
                       f"រកមិនឃើញអ្នកទទួលផលលេខ {beneficiary_id}")
    if not reason.strip():
        raise InvalidInput.one(("reason",), "missing", "say why the beneficiary exits",
                               "សូមបញ្ជាក់មូលហេតុនៃការចាកចេញ")
    if row["state"] == BeneficiaryState.EXITED:
        raise Conflict("the beneficiary has already exited", "អ្នកទទួលផលបានចាកចេញរួចហើយ")
    village = registry.household_village_code(conn, row["household_id"])
    return file_request(ctx, conn, kind=EXIT_KIND, maker=actor, reason=reason,
                        payload={"beneficiary_id": beneficiary_id, "version": row["version"]},
                        entity_type=ENTITY, entity_id=beneficiary_id, area_code=village)


def _apply_exit(ctx: AppContext, conn: Connection, request: ApprovalRecord,
                secret: dict[str, Any], checker: Actor) -> dict[str, Any]:
    beneficiary_id = int(request.payload["beneficiary_id"])
    row = conn.execute(select(b).where(b.c.id == beneficiary_id)).mappings().one()
    if row["state"] == BeneficiaryState.EXITED:
        raise Conflict("the beneficiary has already exited", "អ្នកទទួលផលបានចាកចេញរួចហើយ")
    update_versioned(conn, b, ENTITY, beneficiary_id, row["version"], {
        "state": BeneficiaryState.EXITED, "state_reason": ExitReason.MANUAL,
        "exited_on": utcnow().date()}, action="exit", by=checker.username,
        reason=f"{request.reason} (asked by {request.maker})",
        changes={"state": [row["state"], BeneficiaryState.EXITED],
                 "state_reason": [row["state_reason"], ExitReason.MANUAL]})
    queue_notices(conn, [b.c.id == beneficiary_id], "exit", EXIT_REASON_TEXT[ExitReason.MANUAL])
    return {"beneficiary_id": beneficiary_id, "state": BeneficiaryState.EXITED.value}


register_kind(ApprovalKind(EXIT_KIND, apply=_apply_exit,
                           description="Exit of a beneficiary from a programme"))

