"""Claims of the fund's members: submission with attached documents, the rules engine's amount
and reason, the decision workflow (submitted -> under review -> approved or rejected with a
reason -> paid) with maker-checker, and payment through ``spmis.payments.orders``.

Who does what:

- submit: a fund officer or an administrator (in their area), or an employer for its own
  workers; the person must be a member at the event;
- review: a fund officer or an administrator, in their area;
- approve or reject: a fund officer other than the one who submitted or reviewed it
  (maker-checker); approving needs an amount the rules give, and orders the payment;
- pay: a finance officer other than the one who approved it (``payments.orders.settle``).

An employer account sees only the claims of its own enterprise's workers: any other claim
answers as a missing one. Every change is versioned and logged (entity ``fund_claim``); reading a
claim's documents is a staff read of personal data (access log)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from spmis.auth import access, scope
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import audit_values, entries, log_change, update_versioned
from spmis.db.uow import UnitOfWork
from spmis.errors import Conflict, Forbidden, InvalidInput, NotFound
from spmis.fund import queries
from spmis.fund.claims_model import (
    KIND_NAMES,
    KINDS,
    MAX_DOCUMENTS,
    MOVES,
    OPEN_STATES,
    Document,
    State,
    can_move,
    check_details,
    check_document,
    check_event_date,
    refusal_text,
)
from spmis.fund.claims_store import document_context, fund_claim, fund_claim_document
from spmis.payments import orders
from spmis.payments import queries as payments
from spmis.registry import queries as registry
from spmis.rules.claims import claim_amounts, pension_conditions
from spmis.rules.contributions import fund_start

__all__ = ["ClaimService", "NewClaim"]

ENTITY = "fund_claim"
ADMIN, FUND, AUDITOR, FINANCE, EMPLOYER = (
    "admin", "fund_officer", "auditor", "finance_officer", "employer")
SUBMITTERS = (ADMIN, FUND, EMPLOYER)
REVIEWERS = (ADMIN, FUND)
DECIDERS = (FUND,)
READERS = (ADMIN, FUND, AUDITOR, FINANCE, EMPLOYER)
#: an injury's earlier incapacity and the visits already paid are counted over this window
WINDOW_DAYS = 365


@dataclass(frozen=True)
class NewClaim:
    """What a claim declares: the member, the kind, the day of the event and its facts."""

    person_id: int
    kind: str
    event_date: date
    details: dict[str, Any] = field(default_factory=dict)
    claimant_name: str | None = None
    documents: tuple[tuple[str, str, bytes], ...] = ()  # (kind, filename, bytes)


def _missing(claim_id: int) -> NotFound:
    return NotFound(f"there is no claim {claim_id} that you may see",
                    f"គ្មានពាក្យស្នើសុំលេខ {claim_id} ដែលអ្នកអាចមើលបានទេ")


def _need(actor: Actor, roles: tuple[str, ...]) -> None:
    if not actor.has_role(*roles):
        names = ", ".join(roles)
        raise Forbidden(f"this needs one of the roles: {names}",
                        f"សកម្មភាពនេះត្រូវការតួនាទីមួយក្នុងចំណោម៖ {names}")


def _period(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def _months_before(period: str, count: int) -> list[str]:
    year, month = int(period[:4]), int(period[5:])
    out = []
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        out.append(f"{year}-{month:02d}")
    return out


class ClaimService:
    """The use cases of claims (API, pages and CLI call these)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    # --- access --------------------------------------------------------------------------------

    def _employer_of(self, conn: Connection, actor: Actor) -> int | None:
        """The employer an account of role ``employer`` acts for; None for fund staff."""
        if actor.has_role(ADMIN, FUND, AUDITOR, FINANCE):
            return None
        found = queries.employer_of_user(conn, actor.username)
        if found is None:
            raise Forbidden("this employer account is not linked to an enterprise",
                            "គណនីនិយោជកនេះមិនទាន់ភ្ជាប់នឹងសហគ្រាសទេ")
        return found

    def _visible(self, conn: Connection, actor: Actor) -> list[Any]:
        """Conditions on ``fund_claim`` for the claims ``actor`` may see."""
        _need(actor, READERS)
        employer = self._employer_of(conn, actor)
        if employer is not None:
            return [fund_claim.c.employer_id == employer]
        return scope.conditions(actor.scope, fund_claim.c.village_code)

    def _claim(self, conn: Connection, actor: Actor, claim_id: int) -> Any:
        row = conn.execute(select(fund_claim).where(
            fund_claim.c.id == claim_id, *self._visible(conn, actor))).mappings().first()
        if row is None:
            raise _missing(claim_id)
        return row

    # --- the rules -----------------------------------------------------------------------------

    def _facts(self, conn: Connection, kind: str, person: Any, event: date,
               details: dict[str, int], exclude: int | None = None) -> tuple[dict[str, Any],
                                                                           list[int]]:
        """The rules inputs of one claim from the member's record, and the wages of the six
        months before the event (newest first)."""
        period = _period(event)
        months = queries.member_months(conn, person["id"])
        by_month: dict[str, dict[str, int]] = {}
        for row in months:
            m = by_month.setdefault(row["period"], {"wage": 0, "base": 0, "worker": 0,
                                                    "employer": 0})
            m["wage"] += int(row["wage_khr"])
            m["base"] += int(row["base_pension"])
            m["worker"] += int(row["pension_worker"])
            m["employer"] += int(row["pension_employer"])
        wages = [by_month.get(p, {}).get("wage", 0) for p in _months_before(period, 6)]
        paid = [m for p, m in by_month.items() if p < period and m["worker"] + m["employer"] > 0]
        inputs: dict[str, Any] = {}
        if kind == "maternity":
            inputs["maternity_leave_days"] = [details["leave_days"]]
        elif kind == "childbirth":
            inputs["number_of_babies"] = [details["babies"]]
        elif kind in ("visits", "injury"):
            name = "visits" if kind == "visits" else "incapacity_days"
            inputs[{"visits": "nssf_maternity_visits",
                    "injury": "injury_incapacity_days"}[kind]] = [details[name]]
            inputs[{"visits": "nssf_maternity_visits_before",
                    "injury": "injury_incapacity_days_before"}[kind]] = [
                self._earlier(conn, kind, person["id"], event, name, exclude)]
        else:
            base = [m["base"] for m in paid]
            inputs.update(
                nssf_contribution_months=[len(paid)],
                pension_reference_wage=[sum(base) // len(base) if base else 0],
                pension_contributions_worker_total=[sum(m["worker"] for m in paid)],
                pension_contributions_employer_total=[sum(m["employer"] for m in paid)],
                date_of_birth=[person["date_of_birth"].isoformat()])
            if kind == "survivors":
                inputs = {k: inputs[k] for k in ("nssf_contribution_months",
                                                 "pension_reference_wage")}
        return inputs, [[w] for w in wages]  # type: ignore[misc]

    def _earlier(self, conn: Connection, kind: str, person_id: int, event: date, name: str,
                 exclude: int | None) -> int:
        """Days (or visits) of the member's approved or paid claims of ``kind`` in the year
        before ``event``."""
        rows = conn.execute(select(fund_claim.c.details).where(
            fund_claim.c.person_id == person_id, fund_claim.c.kind == kind,
            fund_claim.c.state.in_((State.APPROVED, State.PAID)),
            fund_claim.c.event_date >= event - timedelta(days=WINDOW_DAYS),
            fund_claim.c.event_date <= event,
            fund_claim.c.id != (exclude or 0))).scalars()
        return sum(int((d or {}).get(name, 0)) for d in rows)

    def _compute(self, conn: Connection, kind: str, person: Any, event: date,
                 details: dict[str, int], member: bool, exclude: int | None = None
                 ) -> dict[str, Any]:
        inputs, wages = self._facts(conn, kind, person, event, details, exclude)
        result = claim_amounts(kind, _period(event), inputs, list(wages))
        computed = {k: (bool(v[0]) if v.dtype == bool else int(v[0]))
                    for k, v in result.detail.items()}
        computed.update({k: (v[0] if isinstance(v, list) else v) for k, v in inputs.items()})
        refusal = str(result.refusal[0]) if member else "not_a_member"
        return {"amount": int(result.amount[0]) if not refusal else 0,
                "currency": str(result.currency[0]), "payment": str(result.payment[0]),
                "refusal": refusal, "computed": computed}

    # --- submit ---------------------------------------------------------------------------------

    def submit(self, actor: Actor, new: NewClaim, today: date) -> dict[str, Any]:
        """Record a claim with its documents and the amount the rules give."""
        _need(actor, SUBMITTERS)
        if new.kind not in KINDS:
            raise InvalidInput.one(("kind",), "unknown_claim_kind",
                                   f"kind must be one of {', '.join(KINDS)}",
                                   "ប្រភេទពាក្យស្នើសុំមិនត្រឹមត្រូវ")
        details = check_details(new.kind, new.details)
        check_event_date(new.event_date, today, fund_start())
        if len(new.documents) > MAX_DOCUMENTS:
            raise InvalidInput.one(("documents",), "too_many_documents",
                                   f"at most {MAX_DOCUMENTS} documents",
                                   f"ឯកសារយ៉ាងច្រើន {MAX_DOCUMENTS}")
        documents = [check_document(i, *d) for i, d in enumerate(new.documents)]
        claimant = (new.claimant_name or "").strip() or None
        if new.kind == "survivors" and not claimant:
            raise InvalidInput.one(("claimant_name",), "missing",
                                   "a survivors' claim names the survivor who claims",
                                   "ពាក្យស្នើសុំសោធនអ្នកនៅរស់ត្រូវមានឈ្មោះអ្នកស្នើសុំ")
        with UnitOfWork(self.ctx.engine) as uow:
            conn = uow.conn
            person = registry.person_with_village(conn, new.person_id)
            employer = self._employer_of(conn, actor)
            if person is None or (employer is None and not scope.covers(
                    actor.scope, person["village_code"])):
                raise InvalidInput.one(("person_id",), "unknown_person",
                                       "no such person in your area",
                                       "គ្មានបុគ្គលនេះក្នុងតំបន់របស់អ្នកទេ")
            at_event = [a for a in queries.member_affiliations(conn, new.person_id)
                        if a["start_date"] <= new.event_date
                        and (a["end_date"] is None or a["end_date"] >= new.event_date)]
            ever = bool(queries.member_affiliations(conn, new.person_id))
            employer_id = next((a["employer_id"] for a in at_event if a["employer_id"]), None)
            if employer is not None:
                mine = [a for a in at_event if a["employer_id"] == employer]
                if not mine:  # an employer declares only its own workers' events
                    raise InvalidInput.one(("person_id",), "not_your_worker",
                                           "this person did not work for your enterprise then",
                                           "បុគ្គលនេះមិនបានធ្វើការនៅសហគ្រាសរបស់អ្នកនៅពេលនោះទេ")
                employer_id = employer
            member = bool(at_event) or (new.kind in ("old_age", "survivors") and ever)
            figures = self._compute(conn, new.kind, person, new.event_date, details, member)
            claim_id = int(conn.execute(fund_claim.insert().returning(fund_claim.c.id).values(
                kind=new.kind, person_id=new.person_id, employer_id=employer_id,
                village_code=person["village_code"], event_date=new.event_date,
                period=_period(new.event_date), details=details, claimant_name=claimant,
                state=State.SUBMITTED, **figures, **audit_values(actor.username),
            )).scalar_one())
            self._attach(conn, actor, claim_id, documents)
            log_change(conn, ENTITY, claim_id, 1, "submit", actor.username, None,
                       {"kind": [None, new.kind], "state": [None, State.SUBMITTED],
                        "amount": [None, figures["amount"]], "documents": [0, len(documents)]})
            uow.commit()
        return self.get(actor, claim_id)

    def _attach(self, conn: Connection, actor: Actor, claim_id: int,
                documents: list[Document]) -> None:
        now = utcnow()
        for doc in documents:
            conn.execute(fund_claim_document.insert().values(
                claim_id=claim_id, kind=doc.kind, filename=doc.filename,
                content_type=doc.content_type, size=len(doc.data), sha256=doc.sha256,
                content_enc=self.ctx.cipher.encrypt(doc.sealed_text(),
                                                    document_context(claim_id)),
                uploaded_by=actor.username, uploaded_at=now))

    # --- read -----------------------------------------------------------------------------------

    def get(self, actor: Actor, claim_id: int) -> dict[str, Any]:
        """A claim with its documents (names and sizes), history and the rules' reason."""
        with UnitOfWork(self.ctx.engine) as uow:
            row = self._claim(uow.conn, actor, claim_id)
            docs = uow.conn.execute(select(
                fund_claim_document.c.id, fund_claim_document.c.kind,
                fund_claim_document.c.filename, fund_claim_document.c.content_type,
                fund_claim_document.c.size, fund_claim_document.c.sha256,
                fund_claim_document.c.uploaded_at).where(
                fund_claim_document.c.claim_id == claim_id).order_by(fund_claim_document.c.id)
            ).mappings().all()
            history = entries(uow.conn, ENTITY, claim_id)
            order = orders.of_sources(uow.conn, ENTITY, [str(claim_id)]).get(str(claim_id))
            if order is not None and order["frequency"] == "monthly":
                order["months"] = payments.pension_months(uow.conn, row["person_id"],
                                                          order["id"])
        return self._view(row, [dict(d) for d in docs], history, order)

    def _view(self, row: Any, docs: list[dict[str, Any]], history: Any = None,
              order: dict[str, Any] | None = None) -> dict[str, Any]:
        claim = dict(row)
        conditions = pension_conditions(claim["event_date"].isoformat())
        en, km = refusal_text(claim["refusal"], claim["computed"] or {}, conditions)
        claim.update(kind_en=KIND_NAMES[claim["kind"]][0], kind_km=KIND_NAMES[claim["kind"]][1],
                     refusal_en=en, refusal_km=km, documents=docs,
                     history=[dict(h) if not isinstance(h, dict) else h
                              for h in (history or [])],
                     payment_order=order)
        return claim

    def list(self, actor: Actor, *, state: str | None = None, limit: int = 100,
             before_id: int | None = None) -> list[dict[str, Any]]:
        """Claims ``actor`` may see, newest first (``state`` 'open': submitted or under review)."""
        with UnitOfWork(self.ctx.engine) as uow:
            where = self._visible(uow.conn, actor)
            if state == "open":
                where.append(fund_claim.c.state.in_(OPEN_STATES))
            elif state:
                where.append(fund_claim.c.state == state)
            if before_id:
                where.append(fund_claim.c.id < before_id)
            rows = uow.conn.execute(select(fund_claim).where(*where)
                                    .order_by(fund_claim.c.id.desc()).limit(limit)).mappings()
            return [self._view(r, []) for r in rows]

    def counts(self, actor: Actor) -> dict[str, int]:
        """How many claims ``actor`` may see are in each state."""
        with UnitOfWork(self.ctx.engine) as uow:
            rows = uow.conn.execute(select(fund_claim.c.state, func.count()).where(
                *self._visible(uow.conn, actor)).group_by(fund_claim.c.state)).all()
        return {str(s): int(n) for s, n in rows}

    def document(self, actor: Actor, claim_id: int, document_id: int,
                 client_address: str | None = None) -> tuple[dict[str, Any], bytes]:
        """A document of a claim, decrypted; the read is logged."""
        with UnitOfWork(self.ctx.engine) as uow:
            self._claim(uow.conn, actor, claim_id)
            row = uow.conn.execute(select(fund_claim_document).where(
                fund_claim_document.c.id == document_id,
                fund_claim_document.c.claim_id == claim_id)).mappings().first()
            if row is None:
                raise NotFound(f"claim {claim_id} has no document {document_id}",
                               f"ពាក្យស្នើសុំ {claim_id} គ្មានឯកសារ {document_id}")
            access.log_read(uow.conn, actor.username, "fund_claim_document", document_id,
                            "content", f"claim {claim_id}", client_address)
            uow.commit()
        data = base64.b64decode(self.ctx.cipher.decrypt(row["content_enc"],
                                                         document_context(claim_id)))
        meta = {k: row[k] for k in ("id", "kind", "filename", "content_type", "size")}
        return meta, data

    # --- decide ---------------------------------------------------------------------------------

    def act(self, actor: Actor, claim_id: int, action: str, *, reason: str | None = None,
            reference: str | None = None, expected_version: int | None = None,
            today: date) -> dict[str, Any]:
        """Move a claim: ``review``, ``approve``, ``reject`` (with a reason) or ``pay`` (with the
        payment's reference)."""
        if action not in MOVES:
            raise InvalidInput.one(("action",), "unknown_action",
                                   f"action must be one of {', '.join(MOVES)}",
                                   "សកម្មភាពមិនត្រឹមត្រូវ")
        _need(actor, {"review": REVIEWERS, "approve": DECIDERS, "reject": DECIDERS,
                      "pay": (FINANCE,)}[action])
        reason = (reason or "").strip() or None
        if action == "reject" and not reason:
            raise InvalidInput.one(("reason",), "reason_required",
                                   "a rejection gives its reason",
                                   "ការបដិសេធត្រូវមានហេតុផល")
        with UnitOfWork(self.ctx.engine) as uow:
            conn = uow.conn
            row = self._claim(conn, actor, claim_id)
            if expected_version is not None and expected_version != row["version"]:
                raise Conflict("the claim was changed by someone else; reload and try again",
                               "ពាក្យស្នើសុំត្រូវបានកែប្រែដោយអ្នកផ្សេង សូមផ្ទុកឡើងវិញ")
            if not can_move(row["state"], action):
                raise Conflict(f"a claim that is {row['state']} cannot take '{action}'",
                               "ពាក្យស្នើសុំក្នុងស្ថានភាពនេះ មិនអាចធ្វើសកម្មភាពនេះបានទេ")
            values: dict[str, Any] = {"state": MOVES[action][1]}
            changes: dict[str, Any] = {"state": [row["state"], MOVES[action][1]]}
            if action == "review":
                values["reviewed_by"] = actor.username
            elif action in ("approve", "reject"):
                if actor.username in (row["created_by"], row["reviewed_by"]):
                    raise Forbidden("the person who submitted or reviewed a claim cannot decide it",
                                    "អ្នកដាក់ ឬពិនិត្យពាក្យស្នើសុំ មិនអាចសម្រេចលើវាបានទេ")
                values.update(decided_by=actor.username, decided_at=utcnow(), reason=reason)
                if action == "approve":
                    values.update(self._approve(conn, actor, row, changes))
            else:  # pay
                self._pay(conn, actor, row, reference, today)
            update_versioned(conn, fund_claim, ENTITY, claim_id, row["version"], values,
                             action=action, by=actor.username, reason=reason, changes=changes)
            uow.commit()
        return self.get(actor, claim_id)

    def end_pension(self, actor: Actor, claim_id: int, last_period: str, reason: str | None,
                    expected_version: int | None = None) -> dict[str, Any]:
        """End an approved pension with its last month due (a fund officer, with a reason):
        ``payments.orders.end`` on its monthly order; the claim's history records it."""
        _need(actor, DECIDERS)
        with UnitOfWork(self.ctx.engine) as uow:
            conn = uow.conn
            row = self._claim(conn, actor, claim_id)
            order = orders.of_sources(conn, ENTITY, [str(claim_id)]).get(str(claim_id))
            if order is None or order["frequency"] != "monthly":
                raise Conflict("this claim is not a pension paid every month",
                               "ពាក្យស្នើសុំនេះមិនមែនជាសោធនដែលបង់ប្រចាំខែទេ")
            if expected_version is not None and expected_version != row["version"]:
                raise Conflict("the claim was changed by someone else; reload and try again",
                               "ពាក្យស្នើសុំត្រូវបានកែប្រែដោយអ្នកផ្សេង សូមផ្ទុកឡើងវិញ")
            ended = orders.end(conn, actor, int(order["id"]), last_period, reason)
            update_versioned(conn, fund_claim, ENTITY, claim_id, row["version"], {},
                             action="end_pension", by=actor.username,
                             reason=(reason or "").strip(),
                             changes={"last_period": [order["last_period"], last_period],
                                      "cancelled_lines": ended["cancelled_lines"]})
            uow.commit()
        return self.get(actor, claim_id)

    def _approve(self, conn: Connection, actor: Actor, row: Any,
                 changes: dict[str, Any]) -> dict[str, Any]:
        """Recompute the amount from the record as it is now; refuse with the rules' reason when
        nothing is due; else order the payment."""
        person = registry.person_with_village(conn, row["person_id"])
        if person is None:
            raise _missing(row["id"])
        member = row["refusal"] != "not_a_member"
        figures = self._compute(conn, row["kind"], person, row["event_date"],
                                dict(row["details"] or {}), member, exclude=row["id"])
        if figures["refusal"]:
            conditions = pension_conditions(row["event_date"].isoformat())
            en, km = refusal_text(figures["refusal"], figures["computed"], conditions)
            raise InvalidInput.one(("claim",), figures["refusal"],
                                   f"the rules give nothing: {en}", f"តាមវិធាន មិនមានសិទ្ធិ៖ {km}")
        name_en, name_km = KIND_NAMES[row["kind"]]
        order = orders.place(conn, actor, source=ENTITY, source_ref=str(row["id"]),
                             person_id=row["person_id"], amount=figures["amount"],
                             currency=figures["currency"],
                             frequency="monthly" if figures["payment"] == "monthly" else "one_off",
                             purpose_en=f"{name_en}, claim {row['id']}",
                             purpose_km=f"{name_km} ពាក្យស្នើសុំលេខ {row['id']}",
                             first_period=row["period"],
                             # a survivors' pension is paid on the deceased member's record
                             ends_on_death_of=(row["person_id"] if row["kind"] == "old_age"
                                               else None))
        if figures["amount"] != row["amount"]:
            changes["amount"] = [row["amount"], figures["amount"]]
        return {**figures, "payment_order_id": order["id"]}

    def _pay(self, conn: Connection, actor: Actor, row: Any, reference: str | None,
             today: date) -> None:
        if row["payment_order_id"] is None:  # pragma: no cover - approval always orders
            raise Conflict("the claim has no payment order", "ពាក្យស្នើសុំគ្មានការបញ្ជាទូទាត់")
        orders.settle(conn, actor, int(row["payment_order_id"]), paid=True, reference=reference,
                      day=today)
