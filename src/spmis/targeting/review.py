"""Community review use cases: a commune's list of poor households for a round, changes to it
(add or remove a household, with a reason, decided by another person through the maker-checker
queue, ``spmis.auth.approvals``), posting it for objections, objections (filed as grievances,
``spmis.grievances``), and the final approval that has the cards issued by a background job
(``issue_job``). Each use case runs in one unit of work, keeps to the actor's area
(``spmis.auth.scope``) and writes its history (``spmis.db.history``); set-based throughout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    and_,
    case,
    func,
    insert,
    literal,
    select,
    update,
)

from spmis.auth import scope
from spmis.auth.approvals import (
    PENDING,
    ApprovalKind,
    ApprovalRecord,
    ApprovalService,
    decisions,
    file_request,
    may_decide,
    register_kind,
    requests_of,
)
from spmis.auth.model import Actor
from spmis.auth.roles import Role
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.history import audit_values, log_change, stale_version, update_versioned
from spmis.db.uow import UnitOfWork
from spmis.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from spmis.grievances.model import Category, Channel, Intake
from spmis.grievances.service import GrievanceService
from spmis.jobs import JobService
from spmis.registry import queries as registry
from spmis.targeting import queries as targeting
from spmis.targeting.cards import LIST_ENTITY, card_parameters
from spmis.targeting.review_model import (
    ChangeAction,
    EntrySource,
    ListStatus,
    ObjectionKind,
    level_problems,
    may_change,
    objection_problems,
    reason_problems,
)
from spmis.targeting.review_store import (
    targeting_list,
    targeting_list_change,
    targeting_list_entry,
    targeting_objection,
)

__all__ = ["CHANGE_KIND", "ISSUE_KIND", "ReviewService", "Summary", "card_holders", "round_row"]

#: the maker-checker kind of a change of a list
CHANGE_KIND = "targeting_list_change"
#: the background job that issues a round's cards (``issue_job``)
ISSUE_KIND = "targeting.issue_cards"
ENTRY_ENTITY = "targeting_entry"


@dataclass(frozen=True)
class Summary:
    """One commune's list of a round, as the list of lists shows it."""

    id: int
    round_id: int
    commune_code: str
    status: str
    version: int
    households: int
    level1: int
    level2: int
    pending: int
    posted_on: date | None
    objections_until: date | None
    posted_by: str | None
    approved_by: str | None
    cards_issued: int | None
    issue_job_id: int | None


def _not_found() -> NotFound:
    return NotFound("no such list in your area", "រកមិនឃើញបញ្ជីនេះក្នុងតំបន់របស់អ្នកទេ")


def _outside() -> Forbidden:
    return Forbidden("this commune is outside your area", "ឃុំ/សង្កាត់នេះនៅក្រៅតំបន់របស់អ្នក")


class ReviewService:
    """The community review of a round, commune by commune."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    # --- reading ------------------------------------------------------------------------------

    def _list_row(self, conn: Connection, actor: Actor, list_id: int,
                  lock: bool = False) -> RowMapping:
        query = select(targeting_list).where(targeting_list.c.id == list_id)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).mappings().first()
        if row is None or not scope.overlaps(actor.scope, row["commune_code"]):
            raise _not_found()
        return row

    def _round(self, conn: Connection, round_id: int, actor: Actor | None = None) -> RowMapping:
        """A round (one whose area overlaps the actor's when given: a round elsewhere answers
        as a missing one)."""
        row = targeting.round_by_id(conn, round_id)
        if row is None or (actor is not None
                           and not scope.overlaps(actor.scope, row["area_code"])):
            raise NotFound("no such round in your area", "រកមិនឃើញជុំនេះក្នុងតំបន់របស់អ្នកទេ")
        return row

    def rounds(self, actor: Actor) -> list[dict[str, Any]]:
        """The rounds whose area overlaps the actor's, newest first."""
        with self._uow() as uow:
            return [dict(r) for r in targeting.rounds(uow.conn, actor.scope)]

    def round(self, actor: Actor, round_id: int) -> dict[str, Any]:
        """A round whose area overlaps the actor's."""
        with self._uow() as uow:
            return dict(self._round(uow.conn, round_id, actor))

    def summaries(self, actor: Actor, round_id: int) -> list[Summary]:
        """The commune lists of a round inside the actor's area, with their counts."""
        e, t, c = targeting_list_entry, targeting_list, targeting_list_change
        counts = (select(e.c.list_id,
                         func.count().label("households"),
                         func.sum(case((e.c.level == 1, 1), else_=0)).label("level1"),
                         func.sum(case((e.c.level == 2, 1), else_=0)).label("level2"))
                  .where(e.c.included.is_(True)).group_by(e.c.list_id).subquery())
        pending = (select(c.c.list_id, func.count().label("pending"))
                   .where(c.c.request_id.in_(requests_of(CHANGE_KIND, (PENDING,))))
                   .group_by(c.c.list_id).subquery())
        query = (select(t, func.coalesce(counts.c.households, 0).label("households"),
                        func.coalesce(counts.c.level1, 0).label("level1"),
                        func.coalesce(counts.c.level2, 0).label("level2"),
                        func.coalesce(pending.c.pending, 0).label("pending"))
                 .select_from(t.outerjoin(counts, counts.c.list_id == t.c.id)
                              .outerjoin(pending, pending.c.list_id == t.c.id))
                 .where(t.c.round_id == round_id).order_by(t.c.commune_code))
        with self._uow() as uow:
            self._round(uow.conn, round_id, actor)
            rows = uow.conn.execute(query).mappings().all()
        return [Summary(**{k: r[k] for k in Summary.__dataclass_fields__})
                for r in rows if scope.overlaps(actor.scope, r["commune_code"])]

    def summary(self, actor: Actor, list_id: int) -> Summary:
        with self._uow() as uow:
            row = self._list_row(uow.conn, actor, list_id)
        for s in self.summaries(actor, row["round_id"]):
            if s.id == list_id:
                return s
        raise _not_found()

    def communes_to_review(self, actor: Actor, round_id: int) -> list[dict[str, Any]]:
        """Communes of the actor's area with scored households in the round: how many, and
        the list's id once started."""
        scored = targeting.scored_assessments(round_id, actor.scope).subquery()
        with self._uow() as uow:
            self._round(uow.conn, round_id, actor)
            rows = uow.conn.execute(
                select(scored.c.commune_code, func.count(func.distinct(scored.c.household_id))
                       .label("scored"))
                .group_by(scored.c.commune_code).order_by(scored.c.commune_code)).all()
            lists = dict(uow.conn.execute(select(targeting_list.c.commune_code,
                                                 targeting_list.c.id)
                                          .where(targeting_list.c.round_id == round_id)).all())
        return [{"commune_code": r.commune_code, "scored": r.scored,
                 "list_id": lists.get(r.commune_code)} for r in rows]

    def entries(self, actor: Actor, list_id: int, village: str | None = None,
                included_only: bool = False) -> list[dict[str, Any]]:
        """The households of a list (in a village when given) with the head's name, the number
        of members, the level, why they are there and any pending change; by village, then
        name."""
        e = targeting_list_entry
        p = registry.people()
        head = (select(p.c.household_id, p.c.family_name_km, p.c.given_name_km,
                       p.c.family_name_latin, p.c.given_name_latin)
                .where(p.c.relationship == "head", p.c.status == "active").subquery())
        members = (select(p.c.household_id, func.count().label("members"))
                   .where(p.c.status == "active",
                          p.c.household_id.in_(select(e.c.household_id)
                                               .where(e.c.list_id == list_id)))
                   .group_by(p.c.household_id).subquery())
        c = targeting_list_change
        pending = (select(c.c.household_id, c.c.id.label("change_id"),
                          c.c.action.label("pending_action"), c.c.made_by.label("pending_by"))
                   .where(c.c.list_id == list_id,
                          c.c.request_id.in_(requests_of(CHANGE_KIND, (PENDING,))))
                   .subquery())
        conditions = [e.c.list_id == list_id]
        if village:
            conditions.append(e.c.village_code == village)
        if included_only:
            conditions.append(e.c.included.is_(True))
        query = (select(e, head.c.family_name_km, head.c.given_name_km,
                        head.c.family_name_latin, head.c.given_name_latin,
                        func.coalesce(members.c.members, 0).label("members"),
                        pending.c.change_id, pending.c.pending_action, pending.c.pending_by)
                 .select_from(e.outerjoin(head, head.c.household_id == e.c.household_id)
                              .outerjoin(members, members.c.household_id == e.c.household_id)
                              .outerjoin(pending, pending.c.household_id == e.c.household_id))
                 .where(*conditions, *scope.conditions(actor.scope, e.c.village_code))
                 .order_by(e.c.village_code, head.c.family_name_km, head.c.given_name_km,
                           e.c.household_id))
        with self._uow() as uow:
            self._list_row(uow.conn, actor, list_id)
            return [dict(r) for r in uow.conn.execute(query).mappings().all()]

    def changes(self, actor: Actor, list_id: int) -> list[dict[str, Any]]:
        """Every change asked of a list with its request's status and decision, newest first."""
        c = targeting_list_change
        with self._uow() as uow:
            self._list_row(uow.conn, actor, list_id)
            rows = uow.conn.execute(select(c).where(c.c.list_id == list_id)
                                    .order_by(c.c.id.desc())).mappings().all()
            decided = decisions(uow.conn, [r["request_id"] for r in rows])
        out = []
        for r in rows:
            req = decided.get(r["request_id"])
            out.append({**dict(r), "status": req.status if req else PENDING,
                        "checker": req.checker if req else None,
                        "decision_reason": req.decision_reason if req else None})
        return out

    def objections(self, actor: Actor, list_id: int) -> list[dict[str, Any]]:
        o = targeting_objection
        with self._uow() as uow:
            self._list_row(uow.conn, actor, list_id)
            return [dict(r) for r in uow.conn.execute(
                select(o).where(o.c.list_id == list_id).order_by(o.c.id)).mappings().all()]

    # --- starting a list ----------------------------------------------------------------------

    def start(self, actor: Actor, round_id: int, commune_code: str) -> int:
        """Open (or bring up to date) the commune's list of the round from its scores: every
        household whose latest scored assessment gives Poor Level 1 or 2. While the list is in
        review, a later scoring updates the levels of the households its score put there and
        adds new ones; households added or removed by review keep what review decided.
        Returns the list's id."""
        with self._uow() as uow:
            conn = uow.conn
            self._round(conn, round_id, actor)
            if not scope.covers(actor.scope, commune_code) or len(commune_code) != 6:
                raise _outside()
            now = utcnow()
            t = targeting_list
            row = conn.execute(select(t).where(t.c.round_id == round_id,
                                               t.c.commune_code == commune_code)
                               ).mappings().first()
            if row is None:
                list_id = int(conn.execute(insert(t).values(
                    round_id=round_id, commune_code=commune_code,
                    status=ListStatus.DRAFT.value, **audit_values(actor.username, now))
                    .returning(t.c.id)).scalar_one())
                log_change(conn, LIST_ENTITY, list_id, 1, "create", actor.username, None,
                           {"round_id": round_id, "commune_code": commune_code}, at=now)
            else:
                list_id = int(row["id"])
                if row["status"] != ListStatus.DRAFT:
                    raise Conflict("this list is no longer in review",
                                   "បញ្ជីនេះលែងស្ថិតក្នុងការពិនិត្យទៀតហើយ")
            added, updated = self._sync(conn, round_id, commune_code, list_id, actor, now)
            if row is not None and (added or updated):
                update_versioned(conn, t, LIST_ENTITY, list_id, row["version"], {},
                                 action="refresh", by=actor.username, reason=None,
                                 changes={"added_by_score": added, "level_changed": updated})
            uow.commit()
            return list_id

    def _sync(self, conn: Connection, round_id: int, commune_code: str, list_id: int,
              actor: Actor, now: Any) -> tuple[int, int]:
        """Set-based: insert the newly scored poor households, update the level of those the
        score put on the list."""
        scored = targeting.scored_assessments(round_id, commune_code).subquery()
        latest = (select(scored.c.household_id, func.max(scored.c.id).label("assessment_id"))
                  .group_by(scored.c.household_id).subquery())
        current = (select(scored.c.household_id, scored.c.id.label("assessment_id"),
                          scored.c.village_code, scored.c.level)
                   .join(latest, and_(latest.c.assessment_id == scored.c.id))
                   .where(scored.c.level.in_([1, 2])).subquery())
        e = targeting_list_entry
        audit = audit_values(actor.username, now)
        new_rows = (select(literal(list_id), current.c.household_id, current.c.village_code,
                           current.c.assessment_id, current.c.level,
                           literal(EntrySource.SCORE.value), literal(True),
                           *(literal(v) for v in audit.values()))
                    .where(~current.c.household_id.in_(
                        select(e.c.household_id).where(e.c.list_id == list_id))))
        columns = ["list_id", "household_id", "village_code", "assessment_id", "level",
                   "source", "included", *audit]
        added = conn.execute(insert(e).from_select(columns, new_rows)).rowcount
        new_level = (select(current.c.level).where(current.c.household_id == e.c.household_id)
                     .scalar_subquery())
        by_score = and_(e.c.list_id == list_id, e.c.source == EntrySource.SCORE.value)
        bump = {"version": e.c.version + 1, "updated_at": now, "updated_by": actor.username}
        updated = conn.execute(update(e).where(
            by_score, new_level.is_not(None), e.c.level != new_level).values(
            level=new_level, included=True, **bump)).rowcount
        # a household the latest scoring no longer finds poor leaves the list
        updated += conn.execute(update(e).where(
            by_score, e.c.included.is_(True),
            ~e.c.household_id.in_(select(current.c.household_id))).values(
            included=False, change_reason="not poor by the latest score", **bump)).rowcount
        return int(added or 0), int(updated or 0)

    # --- changes (maker-checker) --------------------------------------------------------------

    def request_change(self, actor: Actor, list_id: int, household_id: int, action: str,
                       reason: str | None, level: int | None = None) -> int:
        """Ask to add a household (with its level) to a list or remove one from it, with the
        reason; another person decides (``decide``). Returns the change's id."""
        errors: list[FieldError] = reason_problems(reason)
        if action not in {a.value for a in ChangeAction}:
            errors.append(FieldError(("action",), "invalid_choice", "add or remove",
                                     "បន្ថែម ឬដកចេញ"))
        if action == ChangeAction.ADD:
            errors += level_problems(level)
        if errors:
            raise InvalidInput(errors)
        with self._uow() as uow:
            conn = uow.conn
            row = self._list_row(conn, actor, list_id, lock=True)
            village = self._check_change(conn, row, household_id, action)
            if not scope.covers(actor.scope, village):
                raise _outside()
            request_id = file_request(
                self.ctx, conn, kind=CHANGE_KIND, maker=actor, reason=(reason or "").strip(),
                payload={"list_id": list_id, "household_id": household_id, "action": action,
                         "level": level if action == ChangeAction.ADD else None},
                entity_type=LIST_ENTITY, entity_id=list_id, area_code=village)
            change_id = int(conn.execute(insert(targeting_list_change).values(
                list_id=list_id, household_id=household_id, action=action,
                level=level if action == ChangeAction.ADD else None,
                reason=(reason or "").strip(), request_id=request_id,
                made_by=actor.username, made_at=utcnow()).returning(
                    targeting_list_change.c.id)).scalar_one())
            uow.commit()
            return change_id

    def _check_change(self, conn: Connection, row: RowMapping, household_id: int,
                      action: str) -> str:
        """The household's village, once the change may be made: the list still takes changes,
        the household is in the list's commune, and the change is not already made or asked."""
        if not may_change(row["status"]):
            raise Conflict("this list no longer takes changes", "បញ្ជីនេះលែងទទួលការកែប្រែទៀតហើយ")
        village = registry.household_village_code(conn, household_id)
        if village is None or not village.startswith(row["commune_code"]):
            raise InvalidInput.one(("household_id",), "not_in_commune",
                                   "no household with this number in the list's commune",
                                   "គ្មានគ្រួសារលេខនេះក្នុងឃុំ/សង្កាត់នៃបញ្ជីទេ")
        e, c = targeting_list_entry, targeting_list_change
        included = conn.execute(select(e.c.included).where(
            e.c.list_id == row["id"], e.c.household_id == household_id)).scalar()
        if action == ChangeAction.ADD and included:
            raise InvalidInput.one(("household_id",), "already_listed",
                                   "this household is already on the list",
                                   "គ្រួសារនេះមាននៅក្នុងបញ្ជីរួចហើយ")
        if action == ChangeAction.REMOVE and not included:
            raise InvalidInput.one(("household_id",), "not_listed",
                                   "this household is not on the list",
                                   "គ្រួសារនេះមិនមាននៅក្នុងបញ្ជីទេ")
        waiting = conn.execute(select(c.c.id).where(
            c.c.list_id == row["id"], c.c.household_id == household_id,
            c.c.request_id.in_(requests_of(CHANGE_KIND, (PENDING,))))).scalar()
        if waiting is not None:
            raise Conflict("a change of this household is already waiting for a decision",
                           "ការកែប្រែគ្រួសារនេះកំពុងរង់ចាំការសម្រេចរួចហើយ")
        return village

    def decide(self, actor: Actor, change_id: int, approve: bool, reason: str | None) -> None:
        """The second person accepts (the change is made) or refuses a change, with a reason
        (an approver who did not ask for it, inside their area)."""
        if not may_decide(actor, CHANGE_KIND):
            raise Forbidden("only an approver can decide a change of the list",
                            "មានតែអ្នកអនុម័តប៉ុណ្ណោះដែលអាចសម្រេចការកែប្រែបញ្ជីបាន")
        errors = reason_problems(reason)
        if errors:
            raise InvalidInput(errors)
        with self._uow() as uow:
            change = uow.conn.execute(select(targeting_list_change).where(
                targeting_list_change.c.id == change_id)).mappings().first()
            village = (registry.household_village_code(uow.conn, change["household_id"])
                       if change is not None else None)
            if change is None or village is None or not scope.covers(actor.scope, village):
                raise NotFound("no such change in your area",
                               "រកមិនឃើញការកែប្រែនេះក្នុងតំបន់របស់អ្នកទេ")
        approvals = ApprovalService(self.ctx)
        if approve:
            approvals.approve(change["request_id"], actor, (reason or "").strip())
        else:
            approvals.reject(change["request_id"], actor, (reason or "").strip())

    def apply_change(self, conn: Connection, req: ApprovalRecord, checker: Actor
                     ) -> dict[str, Any]:
        """Make an accepted change (the approval's handler, in its transaction)."""
        payload = req.payload
        list_id, household_id = int(payload["list_id"]), int(payload["household_id"])
        action = payload["action"]
        row = conn.execute(select(targeting_list).where(targeting_list.c.id == list_id)
                           .with_for_update()).mappings().one()
        if not may_change(row["status"]):
            raise Conflict("this list no longer takes changes", "បញ្ជីនេះលែងទទួលការកែប្រែទៀតហើយ")
        village = registry.household_village_code(conn, household_id) or ""
        reason = f"{req.reason} [request {req.id} by {req.maker}, accepted by {checker.username}]"
        e = targeting_list_entry
        entry = conn.execute(select(e).where(e.c.list_id == list_id,
                                             e.c.household_id == household_id)
                             ).mappings().first()
        now = utcnow()
        if action == ChangeAction.ADD:
            level = int(payload["level"])
            if entry is None:
                entry_id = int(conn.execute(insert(e).values(
                    list_id=list_id, household_id=household_id, village_code=village,
                    level=level, source=EntrySource.ADDED.value, included=True,
                    change_reason=req.reason, **audit_values(checker.username, now))
                    .returning(e.c.id)).scalar_one())
                log_change(conn, ENTRY_ENTITY, entry_id, 1, "add", checker.username, reason,
                           {"household_id": household_id, "level": level}, at=now)
            else:
                update_versioned(conn, e, ENTRY_ENTITY, entry["id"], entry["version"], {
                    "included": True, "level": level, "source": EntrySource.ADDED.value,
                    "change_reason": req.reason}, action="add", by=checker.username,
                    reason=reason, changes={"included": [entry["included"], True],
                                            "level": [entry["level"], level]})
        else:
            if entry is None or not entry["included"]:
                raise Conflict("this household is no longer on the list",
                               "គ្រួសារនេះលែងមាននៅក្នុងបញ្ជីទៀតហើយ")
            update_versioned(conn, e, ENTRY_ENTITY, entry["id"], entry["version"], {
                "included": False, "source": EntrySource.REMOVED.value,
                "change_reason": req.reason}, action="remove",
                by=checker.username, reason=reason, changes={"included": [True, False]})
        update_versioned(conn, targeting_list, LIST_ENTITY, list_id, row["version"], {},
                         action=action, by=checker.username, reason=reason,
                         changes={"household_id": household_id, "request_id": req.id})
        return {"list_id": list_id, "household_id": household_id, "action": action}

    # --- posting, objections, approval --------------------------------------------------------

    def post(self, actor: Actor, list_id: int, posted_on: date | None = None,
             version: int | None = None) -> Summary:
        """Post the list in the villages for objections: open until ``objection_days`` (a dated
        parameter) after ``posted_on`` (today)."""
        day = posted_on or utcnow().date()
        days = card_parameters(day).objection_days
        with self._uow() as uow:
            row = self._list_row(uow.conn, actor, list_id, lock=True)
            if not scope.covers(actor.scope, row["commune_code"]):
                raise _outside()
            if version is not None and version != row["version"]:
                raise stale_version()
            if row["status"] != ListStatus.DRAFT:
                raise Conflict("only a list in review can be posted",
                               "មានតែបញ្ជីដែលកំពុងពិនិត្យប៉ុណ្ណោះដែលអាចបិទផ្សាយបាន")
            until = day + timedelta(days=days)
            update_versioned(uow.conn, targeting_list, LIST_ENTITY, list_id, row["version"], {
                "status": ListStatus.POSTED.value, "posted_on": day, "objections_until": until,
                "posted_by": actor.username}, action="post", by=actor.username, reason=None,
                changes={"status": [row["status"], ListStatus.POSTED.value],
                         "posted_on": [None, day], "objections_until": [None, until]})
            uow.commit()
        return self.summary(actor, list_id)

    def object(self, actor: Actor, list_id: int, kind: str, description: str | None,
               household_id: int | None = None, name: str | None = None,
               phone: str | None = None) -> dict[str, Any]:
        """Take in an objection to a posted list (at a village meeting or the commune office):
        it becomes a grievance in the grievance queue (with its ticket and PIN for the person
        objecting), and is listed with the list."""
        errors = objection_problems(kind, description)
        if errors:
            raise InvalidInput(errors)
        with self._uow() as uow:
            row = self._list_row(uow.conn, actor, list_id)
            if row["status"] != ListStatus.POSTED:
                raise Conflict("objections are taken while the list is posted",
                               "ការជំទាស់ត្រូវទទួលតែពេលបញ្ជីកំពុងបិទផ្សាយប៉ុណ្ណោះ")
            area = row["commune_code"]
            if household_id is not None:
                village = registry.household_village_code(uow.conn, household_id)
                if village is None or not village.startswith(row["commune_code"]):
                    raise InvalidInput.one(("household_id",), "not_in_commune",
                                           "no household with this number in the commune",
                                           "គ្មានគ្រួសារលេខនេះក្នុងឃុំ/សង្កាត់ទេ")
                area = village
            round_row = self._round(uow.conn, row["round_id"])
        reference = f"IDPOOR {round_row['code']} {row['commune_code']}"
        what = ("household missing from the list" if kind == ObjectionKind.MISSING
                else "household wrongly on the list")
        intake = Intake(
            category=(Category.EXCLUSION.value if kind == ObjectionKind.MISSING
                      else Category.OTHER.value),
            description=f"[{reference}: {what}"
                        f"{f', household {household_id}' if household_id else ''}] "
                        f"{(description or '').strip()}"[:2000],
            area_code=area, channel=Channel.VISIT.value, name=name, phone=phone)
        receipt = GrievanceService(self.ctx).submit(intake, actor)
        with self._uow() as uow:
            uow.conn.execute(insert(targeting_objection).values(
                list_id=list_id, grievance_id=receipt.id, ticket=receipt.ticket, kind=kind,
                household_id=household_id, made_by=actor.username, made_at=utcnow()))
            uow.commit()
        return {"grievance_id": receipt.id, "ticket": receipt.ticket, "pin": receipt.pin}

    def approve(self, actor: Actor, list_id: int, reason: str | None,
                today: date | None = None) -> int | None:
        """The final approval of a posted list, by an approver who did not post it, once the
        objection period is over and no change waits for a decision. The round's cards are then
        issued by a background job; returns its id."""
        errors = reason_problems(reason)
        if errors:
            raise InvalidInput(errors)
        day = today or utcnow().date()
        with self._uow() as uow:
            conn = uow.conn
            row = self._list_row(conn, actor, list_id, lock=True)
            if not actor.has_role(Role.APPROVER.value):
                raise Forbidden("only an approver can approve a list",
                                "មានតែអ្នកអនុម័តប៉ុណ្ណោះដែលអាចអនុម័តបញ្ជីបាន")
            if not scope.covers(actor.scope, row["commune_code"]):
                raise _outside()
            if row["status"] != ListStatus.POSTED:
                raise Conflict("only a posted list can be approved",
                               "មានតែបញ្ជីដែលបានបិទផ្សាយប៉ុណ្ណោះដែលអាចអនុម័តបាន")
            if row["posted_by"] == actor.username:
                raise Forbidden("you posted this list; another approver must approve it",
                                "អ្នកបានបិទផ្សាយបញ្ជីនេះ អ្នកអនុម័តម្នាក់ទៀតត្រូវអនុម័ត")
            if row["objections_until"] is not None and day <= row["objections_until"]:
                raise Conflict(
                    f"objections are taken until {row['objections_until'].isoformat()}; "
                    "approve the list after that day",
                    f"ការជំទាស់ទទួលរហូតដល់ {row['objections_until'].isoformat()} "
                    "សូមអនុម័តបញ្ជីក្រោយថ្ងៃនោះ")
            c = targeting_list_change
            waiting = conn.execute(select(func.count()).select_from(c).where(
                c.c.list_id == list_id,
                c.c.request_id.in_(requests_of(CHANGE_KIND, (PENDING,))))).scalar_one()
            if waiting:
                raise Conflict("changes of this list wait for a decision; decide them first",
                               "ការកែប្រែនៃបញ្ជីនេះកំពុងរង់ចាំការសម្រេច សូមសម្រេចវាជាមុនសិន")
            now = utcnow()
            update_versioned(conn, targeting_list, LIST_ENTITY, list_id, row["version"], {
                "status": ListStatus.APPROVED.value, "approved_by": actor.username,
                "approved_at": now}, action="approve", by=actor.username,
                reason=(reason or "").strip(),
                changes={"status": [row["status"], ListStatus.APPROVED.value]})
            uow.commit()
        return self._submit_issue(actor, row["round_id"], list_id)

    def _submit_issue(self, actor: Actor, round_id: int, list_id: int) -> int | None:
        job = JobService(self.ctx).submit(actor, ISSUE_KIND, {"round_id": round_id},
                                          check_roles=False)
        with self._uow() as uow:
            uow.conn.execute(update(targeting_list).where(targeting_list.c.id == list_id)
                             .values(issue_job_id=job.id))
            uow.commit()
        return job.id

    def approved_lists(self, round_id: int) -> list[int]:
        """The lists of a round approved and not yet issued (what the issuing job does)."""
        with self._uow() as uow:
            return list(uow.conn.execute(select(targeting_list.c.id).where(
                targeting_list.c.round_id == round_id,
                targeting_list.c.status == ListStatus.APPROVED.value)
                .order_by(targeting_list.c.id)).scalars())


def round_row(ctx: AppContext, round_id: int) -> dict[str, Any] | None:
    """A round (code, name, kind, area, dates), or None."""
    with ctx.engine.connect() as conn:
        row = targeting.round_by_id(conn, round_id)
    return None if row is None else dict(row)


def card_holders(ctx: AppContext, household_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The head's name and the number of members of each household, for cards the caller has
    already read inside the actor's area."""
    if not household_ids:
        return {}
    p = registry.people()
    with ctx.engine.connect() as conn:
        heads = conn.execute(select(p.c.household_id, p.c.family_name_km, p.c.given_name_km,
                                    p.c.family_name_latin, p.c.given_name_latin).where(
            p.c.household_id.in_(household_ids), p.c.relationship == "head",
            p.c.status == "active")).mappings().all()
        members: dict[int, int] = dict(conn.execute(select(p.c.household_id, func.count()).where(
            p.c.household_id.in_(household_ids), p.c.status == "active")
            .group_by(p.c.household_id)).all())
    return {h["household_id"]: {**dict(h), "members": members.get(h["household_id"], 0)}
            for h in heads}


def _apply(ctx: AppContext, conn: Connection, req: ApprovalRecord, secret: dict[str, Any],
           checker: Actor) -> dict[str, Any]:
    return ReviewService(ctx).apply_change(conn, req, checker)


register_kind(ApprovalKind(
    CHANGE_KIND, _apply,
    description="add a household to, or remove one from, a commune's list of poor households"))
