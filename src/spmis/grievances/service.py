"""Grievance use cases: intake (public or staff), the follow-up by ticket and PIN, the staff
queue, review, resolution, the complainant's satisfaction, appeals before a second reviewer,
escalation of missed deadlines and the outbox. Each opens a unit of work, checks the actor's
scope (``spmis.auth.scope``) and writes every change through ``spmis.db.history``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, select, tuple_, update

from spmis.auth import access, scope, throttle
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import (
    Change,
    audit_values,
    entries,
    log_change,
    log_changes,
    update_versioned,
)
from spmis.db.uow import UnitOfWork
from spmis.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, RateLimited
from spmis.grievances import outbox, parameters, pins
from spmis.grievances.model import (
    OPEN_STATUSES,
    PIN_PATTERN,
    TICKET_PATTERN,
    Channel,
    Event,
    Grievance,
    Intake,
    Kind,
    Outcome,
    PublicView,
    Satisfaction,
    Status,
    intake_problems,
    normalise_pin,
    normalise_ticket,
    office_of,
    reason_problems,
)
from spmis.grievances.store import grievance

ENTITY = "grievance"
PUBLIC_ACTOR = "public"


@dataclass(frozen=True)
class Receipt:
    """What the complainant is given: the ticket number and the PIN (shown once)."""

    id: int
    ticket: str
    pin: str
    deadline: datetime


def _not_found() -> NotFound:
    return NotFound("no grievance with this number in your area",
                    "រកមិនឃើញបណ្តឹងលេខនេះក្នុងតំបន់របស់អ្នកទេ")


def _no_match() -> NotFound:
    return NotFound("no ticket matches this number and PIN",
                    "គ្មានសំបុត្រណាត្រូវនឹងលេខ និងលេខសម្ងាត់ នេះទេ")


def _grievance(row: RowMapping) -> Grievance:
    fields = Grievance.__dataclass_fields__
    return Grievance(**{k: row[k] for k in fields if k in row})


class GrievanceService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    # --- intake -------------------------------------------------------------------------------

    def submit(self, intake: Intake, actor: Actor | None = None) -> Receipt:
        """Take a grievance in: from the public form (``actor`` None: channel web, no decider)
        or from staff for someone who phoned, came or wrote (inside the staff member's area)."""
        if actor is None and intake.channel != Channel.WEB:
            intake = Intake(**{**intake.__dict__, "channel": Channel.WEB.value})
        errors = intake_problems(intake)
        if not any(e.loc == ("commune",) for e in errors):
            unit = self.ctx.gazetteer.get(intake.area_code)
            if unit is None or unit.level not in ("commune", "village"):
                errors.append(FieldError(("commune",), "unknown_area", "no such commune",
                                         "មិនមានឃុំ/សង្កាត់នេះទេ"))
        if errors:
            raise InvalidInput(errors)
        if actor is not None and not scope.covers(actor.scope, intake.area_code):
            raise Forbidden("this commune is outside your area",
                            "ឃុំ/សង្កាត់នេះនៅក្រៅតំបន់របស់អ្នក")
        by = actor.username if actor else PUBLIC_ACTOR
        now = utcnow()
        days = parameters.deadline_days(intake.category, now.date())
        pin = pins.new_pin()
        cipher = self.ctx.cipher
        name, phone = (intake.name or "").strip(), (intake.phone or "").strip()
        office = office_of(intake.area_code)
        with UnitOfWork(self.ctx.engine) as uow:
            ticket = self._free_ticket(uow.conn)
            gid = uow.conn.execute(grievance.insert().values(
                ticket=ticket, pin_hash=pins.hash_pin(pin), kind=intake.kind,
                category=intake.category, channel=intake.channel,
                status=Status.RECEIVED.value, description=intake.description.strip(),
                anonymous=not name and not phone,
                name_enc=cipher.encrypt(name, "grievance.name") if name else None,
                phone_enc=cipher.encrypt(phone, "grievance.phone") if phone else None,
                area_code=intake.area_code, office=office,
                deadline=now + timedelta(days=days.days), received_at=now, escalations=0,
                decision_kind=intake.decision_kind if intake.kind == Kind.APPEAL else None,
                decision_ref=(intake.decision_ref or None) if intake.kind == Kind.APPEAL
                else None,
                decided_by=(intake.decided_by or None) if intake.kind == Kind.APPEAL else None,
                **audit_values(by, now),
            ).returning(grievance.c.id)).scalar_one()
            log_change(uow.conn, ENTITY, gid, 1, "create", by, None, {
                "status": [None, Status.RECEIVED.value], "office": [None, office],
                "kind": [None, intake.kind], "category": [None, intake.category],
                "channel": [None, intake.channel]}, at=now)
            outbox.queue(uow.conn, [(gid, ticket, "received", "")], now)
            uow.commit()
        return Receipt(gid, ticket, pin, now + timedelta(days=days.days))

    @staticmethod
    def _free_ticket(conn: Connection) -> str:
        for _ in range(20):
            ticket = pins.new_ticket()
            if conn.scalar(select(grievance.c.id).where(grievance.c.ticket == ticket)) is None:
                return ticket
        raise Conflict("no free ticket number; try again", "គ្មានលេខសំបុត្រទំនេរ សូមព្យាយាមម្តងទៀត")

    # --- the complainant ----------------------------------------------------------------------

    def follow(self, ticket: str, pin: str, address: str | None) -> PublicView:
        """The ticket's status and its history, for whoever holds its PIN. Failed tries are
        counted per client address and per ticket; too many give 429 (even with the right
        PIN) until they leave the window."""
        row = self._check_pin(ticket, pin, address)
        with self.ctx.engine.connect() as conn:
            history = entries(conn, ENTITY, row["id"])
        events = tuple(Event(
            e["changed_at"], e["action"],
            (e["changes"].get("status") or [None, None])[1],
            (e["changes"].get("office") or [None, None])[1],
            e["reason"] if e["action"] == "resolve" else None,
        ) for e in history)
        return PublicView(row["ticket"], row["kind"], row["category"], row["status"],
                          row["office"], row["deadline"], row["received_at"], row["resolution"],
                          row["outcome"], row["satisfaction"], events)

    def answer_satisfaction(self, ticket: str, pin: str, satisfaction: str,
                            address: str | None) -> PublicView:
        """The complainant says whether the resolution satisfies them (closes the ticket)."""
        row = self._check_pin(ticket, pin, address)
        self._close(row["id"], row["version"], satisfaction, PUBLIC_ACTOR)
        return self.follow(ticket, pin, address)

    def _check_pin(self, ticket: str, pin: str, address: str | None) -> RowMapping:
        ticket, pin = normalise_ticket(ticket), normalise_pin(pin)
        errors = []
        if not TICKET_PATTERN.match(ticket):
            errors.append(FieldError(("ticket",), "bad_ticket",
                                     "a ticket number has 8 digits, e.g. 1234-5678",
                                     "លេខសំបុត្រមាន ៨ ខ្ទង់ ឧ. ១២៣៤-៥៦៧៨"))
        if not PIN_PATTERN.match(pin):
            errors.append(FieldError(("pin",), "bad_pin", "a PIN has 6 digits",
                                     "លេខសម្ងាត់ មាន ៦ ខ្ទង់"))
        if errors:
            raise InvalidInput(errors)
        now = utcnow()
        # the attempts mechanism and limits of staff logins (spmis.auth.throttle; the
        # settings pin_address_threshold, pin_ticket_threshold and their windows)
        with UnitOfWork(self.ctx.engine) as uow:
            conn = uow.conn
            wait = throttle.pin_wait(conn, self.ctx.settings, ticket, address, now)
            if wait is not None:
                raise RateLimited(retry_after=wait)
            row = conn.execute(select(grievance).where(grievance.c.ticket == ticket)
                               ).mappings().first()
            ok = pins.pin_matches(row["pin_hash"] if row else None, pin)
            throttle.record(conn, ticket, throttle.PIN_KIND, ok,
                            "ok" if ok else throttle.PIN_FAILURE, address, now)
            uow.commit()
        if not ok or row is None:
            raise _no_match()
        return row

    # --- staff --------------------------------------------------------------------------------

    def queue(self, actor: Actor, *, open_only: bool = True, limit: int = 200,
              offset: int = 0) -> list[Grievance]:
        """The grievances the actor's area is in charge of, the nearest deadline first."""
        g = grievance
        where = scope.conditions(actor.scope, g.c.office)
        if open_only:
            where.append(g.c.status.in_(OPEN_STATUSES))
        with self.ctx.engine.connect() as conn:
            rows = conn.execute(select(g).where(*where).order_by(g.c.deadline, g.c.id)
                                .limit(limit).offset(offset)).mappings().all()
        return [_grievance(r) for r in rows]

    def _row(self, conn: Connection, actor: Actor, gid: int) -> RowMapping:
        row = conn.execute(select(grievance).where(grievance.c.id == gid)).mappings().first()
        if row is None or not scope.covers(actor.scope, row["office"]):
            raise _not_found()
        return row

    def get(self, actor: Actor, gid: int) -> Grievance:
        with self.ctx.engine.connect() as conn:
            return _grievance(self._row(conn, actor, gid))

    def history(self, actor: Actor, gid: int) -> list[RowMapping]:
        with self.ctx.engine.connect() as conn:
            self._row(conn, actor, gid)
            return entries(conn, ENTITY, gid)

    def messages(self, actor: Actor, gid: int) -> list[dict[str, object]]:
        with self.ctx.engine.connect() as conn:
            self._row(conn, actor, gid)
            return outbox.messages_of(conn, gid)

    def contact(self, actor: Actor, gid: int, reason: str,
                address: str | None = None) -> dict[str, str | None]:
        """The complainant's name and phone in clear; the read is logged (no log, no data)."""
        errors = reason_problems(reason)
        if errors:
            raise InvalidInput(errors)
        with UnitOfWork(self.ctx.engine) as uow:
            row = self._row(uow.conn, actor, gid)
            cipher = self.ctx.cipher
            out = {
                "name": cipher.decrypt(row["name_enc"], "grievance.name")
                if row["name_enc"] else None,
                "phone": cipher.decrypt(row["phone_enc"], "grievance.phone")
                if row["phone_enc"] else None,
            }
            access.log_read(uow.conn, actor.username, ENTITY, gid, "name,phone", reason.strip(),
                            address)
            uow.commit()
        return out

    def _change(self, actor: Actor, gid: int, version: int | None, action: str,
                values: dict[str, Any], reason: str | None, event: str | None,
                check: Any = None) -> Grievance:
        with UnitOfWork(self.ctx.engine) as uow:
            row = self._row(uow.conn, actor, gid)
            if check is not None:
                check(row)
            read = row["version"] if version is None else version
            changes = {k: [row[k], v] for k, v in values.items() if row[k] != v}
            update_versioned(uow.conn, grievance, ENTITY, gid, read, values, action=action,
                             by=actor.username, reason=reason, changes=changes)
            if event:
                outbox.queue(uow.conn, [(gid, row["ticket"], event, reason or "")])
            uow.commit()
        return self.get(actor, gid)

    def record_decision(self, actor: Actor, gid: int, decision_ref: str | None,
                        decided_by: str, version: int | None = None) -> Grievance:
        """For an appeal: the decision appealed against and who made it (from its record)."""
        decided_by = decided_by.strip()
        if not decided_by or len(decided_by) > 64:
            raise InvalidInput.one(("decided_by",), "decider_required",
                                   "name the staff member who made the decision",
                                   "សូមបញ្ជាក់ឈ្មោះមន្ត្រីដែលបានធ្វើសេចក្តីសម្រេច")

        def check(row: RowMapping) -> None:
            _must_be_open(row)
            if row["kind"] != Kind.APPEAL:
                raise Conflict("only an appeal is about a decision",
                               "មានតែបណ្តឹងឧទ្ធរណ៍ទេដែលពាក់ព័ន្ធនឹងសេចក្តីសម្រេច")
            if row["reviewer"]:
                raise Conflict("the appeal is already under review",
                               "បណ្តឹងឧទ្ធរណ៍កំពុងត្រូវបានពិនិត្យរួចហើយ")

        values = {"decided_by": decided_by, "decision_ref": (decision_ref or "").strip()[:64]
                  or None}
        return self._change(actor, gid, version, "decision", values, None, None, check)

    def start_review(self, actor: Actor, gid: int, version: int | None = None) -> Grievance:
        """The actor takes the grievance up (received -> in review). An appeal reopens its
        decision before this reviewer, who may not be the one who made it."""

        def check(row: RowMapping) -> None:
            if row["status"] != Status.RECEIVED:
                raise Conflict("the grievance is not waiting for review",
                               "បណ្តឹងនេះមិនកំពុងរង់ចាំការពិនិត្យទេ")
            _second_reviewer(row, actor)

        return self._change(actor, gid, version, "review",
                            {"status": Status.IN_REVIEW.value, "reviewer": actor.username},
                            None, "in_review", check)

    def resolve(self, actor: Actor, gid: int, reason: str, outcome: str | None = None,
                version: int | None = None) -> Grievance:
        """Resolve with the reason the complainant is told; an appeal also says whether the
        decision stands (``upheld``) or was changed, and only a second reviewer may."""
        errors = reason_problems(reason)
        if errors:
            raise InvalidInput(errors)

        def check(row: RowMapping) -> None:
            _must_be_open(row)
            if row["kind"] == Kind.APPEAL:
                if outcome not in {o.value for o in Outcome}:
                    raise InvalidInput.one(("outcome",), "outcome_required",
                                           "say whether the decision stands or was changed",
                                           "សូមបញ្ជាក់ថាសេចក្តីសម្រេចនៅដដែល ឬត្រូវបានផ្លាស់ប្តូរ")
                _second_reviewer(row, actor)

        now = utcnow()
        values: dict[str, Any] = {"status": Status.RESOLVED.value, "resolution": reason.strip(),
                                  "resolved_at": now}
        if outcome in {o.value for o in Outcome}:
            values["outcome"] = outcome
        return self._change(actor, gid, version, "resolve", values, reason.strip(), "resolved",
                            check)

    def record_satisfaction(self, actor: Actor, gid: int, satisfaction: str,
                            version: int | None = None) -> Grievance:
        """Staff record the complainant's answer (by phone or in person); closes the ticket."""
        with self.ctx.engine.connect() as conn:
            row = self._row(conn, actor, gid)
        self._close(gid, row["version"] if version is None else version, satisfaction,
                    actor.username)
        return self.get(actor, gid)

    def _close(self, gid: int, version: int, satisfaction: str, by: str) -> None:
        if satisfaction not in {s.value for s in Satisfaction}:
            raise InvalidInput.one(("satisfaction",), "satisfaction_required",
                                   "say whether you are satisfied",
                                   "សូមបញ្ជាក់ថាតើអ្នកពេញចិត្តឬទេ")
        with UnitOfWork(self.ctx.engine) as uow:
            row = uow.conn.execute(select(grievance).where(grievance.c.id == gid)
                                   ).mappings().one()
            if row["status"] != Status.RESOLVED:
                raise Conflict("the grievance is not resolved yet",
                               "បណ្តឹងនេះមិនទាន់ត្រូវបានដោះស្រាយនៅឡើយទេ")
            update_versioned(uow.conn, grievance, ENTITY, gid, version,
                             {"status": Status.CLOSED.value, "satisfaction": satisfaction},
                             action="satisfaction", by=by, reason=None,
                             changes={"status": [row["status"], Status.CLOSED.value],
                                      "satisfaction": [None, satisfaction]})
            outbox.queue(uow.conn, [(gid, row["ticket"], "closed", "")])
            uow.commit()

    # --- background work ----------------------------------------------------------------------

    def escalate_overdue(self, now: datetime | None = None, by: str = "system") -> int:
        """Move every open grievance whose deadline has passed to the office one level up, with
        a new deadline (``parameters.escalated_days``); set-based. Returns how many moved."""
        now = now or utcnow()
        g = grievance
        overdue = and_(g.c.status.in_(OPEN_STATUSES), g.c.deadline < now, g.c.office != "")
        days = parameters.escalated_days(now.date())
        with UnitOfWork(self.ctx.engine) as uow:
            conn = uow.conn
            before = {r.id: r for r in conn.execute(
                select(g.c.id, g.c.version, g.c.office, g.c.ticket).where(overdue))}
            if not before:
                return 0
            above = func.substr(g.c.office, 1, func.length(g.c.office) - 2)
            moved = conn.execute(
                update(g)
                .where(overdue, tuple_(g.c.id, g.c.version).in_(
                    [(r.id, r.version) for r in before.values()]))
                .values(office=above, deadline=now + timedelta(days=days.days),
                        escalations=g.c.escalations + 1, version=g.c.version + 1,
                        updated_at=now, updated_by=by)
                .returning(g.c.id, g.c.version, g.c.office, g.c.deadline)).all()
            log_changes(conn, [
                Change(ENTITY, r.id, r.version, "escalate", by,
                       f"deadline missed at {before[r.id].office or 'national'}",
                       {"office": [before[r.id].office, r.office], "deadline": [None, r.deadline]})
                for r in moved], at=now)
            outbox.queue(conn, [(r.id, before[r.id].ticket, "escalated", "") for r in moved], now)
            uow.commit()
        return len(moved)

    def deliver(self, sender: outbox.Sender | None = None, limit: int = 500) -> dict[str, int]:
        """Hand queued messages to ``sender`` (by default the log; see ``outbox``)."""
        with UnitOfWork(self.ctx.engine) as uow:
            counts = outbox.deliver(uow.conn, self.ctx.cipher, sender or outbox.LogSender(),
                                    limit)
            uow.commit()
        return counts


def _must_be_open(row: RowMapping) -> None:
    if row["status"] not in OPEN_STATUSES:
        raise Conflict("the grievance is already resolved", "បណ្តឹងនេះត្រូវបានដោះស្រាយរួចហើយ")


def _second_reviewer(row: RowMapping, actor: Actor) -> None:
    """An appeal is reviewed by someone other than who made the decision appealed against."""
    if row["kind"] != Kind.APPEAL:
        return
    if not row["decided_by"]:
        raise InvalidInput.one(("decided_by",), "decider_required",
                               "record who made the decision before reviewing the appeal",
                               "សូមកត់ត្រាអ្នកដែលបានធ្វើសេចក្តីសម្រេច មុនពេលពិនិត្យបណ្តឹងឧទ្ធរណ៍")
    if row["decided_by"] == actor.username:
        raise Forbidden("you made the decision appealed against: a second reviewer must review "
                        "the appeal",
                        "អ្នកបានធ្វើសេចក្តីសម្រេចដែលត្រូវបានប្តឹងឧទ្ធរណ៍៖ "
                        "អ្នកពិនិត្យទីពីរត្រូវពិនិត្យបណ្តឹងឧទ្ធរណ៍នេះ")
    if row["reviewer"] and row["reviewer"] != actor.username and row["status"] == Status.IN_REVIEW:
        raise Forbidden(f"the appeal is under review by {row['reviewer']}",
                        f"បណ្តឹងឧទ្ធរណ៍កំពុងត្រូវបានពិនិត្យដោយ {row['reviewer']}")
