"""The clerical review queue of possible duplicates, and maker-checker merges and undos.

A clerk (registrar) lists the pending pairs in their area, compares the two records side by side
(identifiers masked; whether two identifiers are equal is told from their keyed hashes, never by
decrypting), then either rejects the pair ("not the same person": recorded, nothing changes) or
accepts it. Accepting does not merge: it files a ``person_merge`` approval request that another
user with the approver role decides (``spmis.auth.approvals``); approval merges in the same
transaction. Undoing a merge is a ``person_unmerge`` request, decided the same way.

If an approver rejects (or the maker cancels) a merge request, the pair goes back to ``pending``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from spmis.auth import scope
from spmis.auth.approvals import (
    ApprovalKind,
    ApprovalRecord,
    file_request,
    filed_request,
    pending_of,
    register_kind,
    requests_of,
)
from spmis.auth.model import Actor
from spmis.auth.schemas import ApprovalOut
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.uow import UnitOfWork
from spmis.errors import Conflict, InvalidInput, NotFound
from spmis.linkage import schemas as s
from spmis.linkage.merge import undo_merge
from spmis.linkage.store import (
    AWAITING,
    MERGED,
    PENDING,
    REJECTED,
    REVIEW_STATUSES,
    link_review,
    link_run,
)
from spmis.registry import queries
from spmis.registry.merges import MERGED as MERGE_DONE
from spmis.registry.merges import MergeItem, merge_people
from spmis.registry.queries import PersonCard, person_cards

PERSON_MERGE = "person_merge"
PERSON_UNMERGE = "person_unmerge"
COMPARED_FIELDS = (
    "family_name_latin", "given_name_latin", "family_name_km", "given_name_km", "sex",
    "date_of_birth", "dob_estimated", "village_code", "employment_type", "occupation",
    "relationship",
)


def _common_area(a: str, b: str) -> str:
    """The smallest area containing both villages ('' when in different provinces)."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[: n - n % 2]


class ReviewService:
    """Review queue, merges and undos (see the module docstring)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    # ------------------------------------------------------------------ queue
    @staticmethod
    def _in_scope(actor: Actor) -> list[Any]:
        return [*scope.conditions(actor.scope, link_review.c.area_code_l),
                *scope.conditions(actor.scope, link_review.c.area_code_r)]

    @staticmethod
    def _reopen_refused(conn: Connection) -> None:
        """Pairs whose merge request was rejected or cancelled go back to the queue."""
        refused = requests_of(PERSON_MERGE, ("rejected", "cancelled"))
        conn.execute(update(link_review).where(
            link_review.c.status == AWAITING, link_review.c.approval_request_id.in_(refused),
        ).values(status=PENDING, approval_request_id=None, version=link_review.c.version + 1))

    def _row(self, conn: Connection, review_id: int, actor: Actor,
             lock: bool = False) -> dict[str, Any]:
        query = select(link_review).where(link_review.c.id == review_id)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).mappings().first()
        # a pair outside the actor's area answers exactly as a missing one (no oracle)
        if row is None or not (scope.covers(actor.scope, row["area_code_l"])
                               and scope.covers(actor.scope, row["area_code_r"])):
            raise NotFound(f"review item {review_id} not found",
                           f"រកមិនឃើញធាតុពិនិត្យលេខ {review_id}")
        return dict(row)

    def queue(self, actor: Actor, *, status: str | None = PENDING, page: int = 1,
             page_size: int = 50) -> s.ReviewPage:
        """Pairs in the actor's area, most likely matches first."""
        conditions = self._in_scope(actor)
        if status is not None:
            if status not in REVIEW_STATUSES:
                raise InvalidInput.one(("status",), "enum", f"one of {', '.join(REVIEW_STATUSES)}",
                                       "ជម្រើសមិនត្រឹមត្រូវ")
            conditions.append(link_review.c.status == status)
        with self._uow() as uow:
            conn = uow.conn
            self._reopen_refused(conn)
            uow.commit()
            total = conn.execute(select(func.count()).select_from(link_review)
                                 .where(*conditions)).scalar_one()
            rows = conn.execute(
                select(link_review).where(*conditions)
                .order_by(link_review.c.match_probability.desc(), link_review.c.id)
                .limit(page_size).offset((page - 1) * page_size)).mappings().all()
            items = [s.ReviewItemOut.model_validate(dict(r)) for r in rows]
        return s.ReviewPage(items=items, page=page, page_size=page_size, total=total)

    def compare(self, review_id: int, actor: Actor) -> s.ComparisonOut:
        """The two records side by side, field by field (identifiers masked)."""
        with self._uow() as uow:
            conn = uow.conn
            self._reopen_refused(conn)
            uow.commit()
            row = self._row(conn, review_id, actor)
            left = self._side(conn, row["person_id_l"])
            right = self._side(conn, row["person_id_r"])
            fields = [
                s.FieldComparison(
                    field=f, left=getattr(left, f), right=getattr(right, f),
                    same=None if getattr(left, f) is None or getattr(right, f) is None
                    else getattr(left, f) == getattr(right, f))
                for f in COMPARED_FIELDS
            ]
            fields += self._identifier_comparison(conn, row["person_id_l"], row["person_id_r"])
            return s.ComparisonOut(review=s.ReviewItemOut.model_validate(row), left=left,
                                   right=right, fields=fields)

    def _side(self, conn: Connection, pid: int) -> s.PersonSide:
        row = queries.person_with_village(conn, pid)
        if row is None:
            raise NotFound(f"person {pid} not found", f"រកមិនឃើញបុគ្គលលេខ {pid}")
        gaz = self.ctx.gazetteer
        area = [unit.name_en for code in gaz.ancestors(row["village_code"]).values()
                if (unit := gaz.get(code)) is not None]
        masked = queries.masked_identifiers(conn, self.ctx.cipher, [pid])[pid]
        return s.PersonSide(**{k: row[k] for k in s.PersonSide.model_fields
                               if k not in ("area", "identifiers")},
                            area=area, identifiers=masked)

    @staticmethod
    def _identifier_comparison(conn: Connection, a: int, b: int) -> list[s.FieldComparison]:
        hashes = queries.identifier_hashes(conn, (a, b))
        out = []
        for id_type in sorted(set(hashes[a]) | set(hashes[b])):
            ha, hb = hashes[a].get(id_type), hashes[b].get(id_type)
            out.append(s.FieldComparison(
                field=f"identifiers.{id_type}", left=ha is not None, right=hb is not None,
                same=None if ha is None or hb is None else ha == hb))
        return out

    # ------------------------------------------------------------------ decisions
    def accept(self, review_id: int, cmd: s.AcceptIn, actor: Actor) -> ApprovalOut:
        """The maker's half of a clerical merge: files a ``person_merge`` request."""
        with self._uow() as uow:
            conn = uow.conn
            self._reopen_refused(conn)
            row = self._row(conn, review_id, actor, lock=True)
            if row["status"] != PENDING:
                raise Conflict(f"this pair is already {row['status']}",
                               "គូនេះត្រូវបានសម្រេចរួចហើយ")
            if cmd.expected_version is not None and cmd.expected_version != row["version"]:
                raise Conflict("the pair changed since you read it; reload and try again",
                               "គូនេះត្រូវបានកែប្រែ សូមផ្ទុកឡើងវិញ")
            survivor = cmd.survivor_id or row["person_id_l"]
            if survivor not in (row["person_id_l"], row["person_id_r"]):
                raise InvalidInput.one(("survivor_id",), "not_in_pair",
                                       "must be one of the two people of the pair",
                                       "ត្រូវតែជាបុគ្គលម្នាក់ក្នុងគូ")
            merged = row["person_id_r"] if survivor == row["person_id_l"] else row["person_id_l"]
            # dry run: refuse now what could not be applied on approval
            merge_people(conn, [MergeItem(survivor, merged)], actor, method="clerical",
                         reason=cmd.reason)
            uow.rollback()
            request_id = file_request(
                self.ctx, conn, kind=PERSON_MERGE, maker=actor, reason=cmd.reason,
                payload={"review_id": review_id, "survivor_id": survivor, "merged_id": merged,
                         "match_probability": row["match_probability"],
                         "reasons": row["reasons"], "conflicts": row["conflicts"]},
                entity_type="person", entity_id=merged,
                area_code=_common_area(row["area_code_l"], row["area_code_r"]))
            conn.execute(update(link_review).where(link_review.c.id == review_id).values(
                status=AWAITING, approval_request_id=request_id, decided_at=utcnow(),
                decided_by=actor.username, decision_reason=cmd.reason,
                version=link_review.c.version + 1))
            uow.commit()
            return filed_request(conn, request_id)

    def reject(self, review_id: int, reason: str, actor: Actor) -> s.ReviewItemOut:
        """Not the same person: recorded; the pair is never merged automatically."""
        with self._uow() as uow:
            conn = uow.conn
            self._reopen_refused(conn)
            row = self._row(conn, review_id, actor, lock=True)
            if row["status"] != PENDING:
                raise Conflict(f"this pair is already {row['status']}",
                               "គូនេះត្រូវបានសម្រេចរួចហើយ")
            conn.execute(update(link_review).where(link_review.c.id == review_id).values(
                status=REJECTED, decided_at=utcnow(), decided_by=actor.username,
                decision_reason=reason, version=link_review.c.version + 1))
            uow.commit()
            return s.ReviewItemOut.model_validate(self._row(conn, review_id, actor))

    # ------------------------------------------------------------------ merges
    def _merge_in_scope(self, conn: Connection, m: dict[str, Any], actor: Actor) -> str:
        villages = queries.person_villages(conn, (m["survivor_id"], m["merged_id"]))
        if not all(scope.covers(actor.scope, v) for v in villages.values()):  # as if missing
            raise NotFound(f"merge {m['id']} not found", f"រកមិនឃើញការបញ្ចូលលេខ {m['id']}")
        return _common_area(villages[m["survivor_id"]], villages[m["merged_id"]])

    def merges(self, actor: Actor, person_id: int | None = None,
               limit: int = 100) -> list[s.MergeOut]:
        """Merges, newest first (of one person, as survivor or merged, when given)."""
        with self._uow() as uow:
            rows = queries.merges(uow.conn, scope=actor.scope, person_id=person_id, limit=limit)
            return [s.MergeOut.model_validate(dict(r)) for r in rows]

    def request_undo(self, merge_id: int, reason: str, actor: Actor) -> ApprovalOut:
        """The maker's half of an undo: files a ``person_unmerge`` request (dry run first)."""
        with self._uow() as uow:
            conn = uow.conn
            m = queries.merge_record(conn, merge_id)
            area = self._merge_in_scope(conn, m, actor)
            if m["status"] != MERGE_DONE:
                raise Conflict("this merge was already undone", "ការបញ្ចូលនេះត្រូវបានលុបចោលរួចហើយ")
            pending = pending_of(conn, PERSON_UNMERGE, m["merged_id"])
            if pending is not None:
                raise Conflict(f"an undo of this merge awaits approval (request {pending})",
                               "ការលុបចោលនេះកំពុងរង់ចាំការអនុម័ត")
            undo_merge(conn, merge_id, actor, reason)
            uow.rollback()
            request_id = file_request(
                self.ctx, conn, kind=PERSON_UNMERGE, maker=actor, reason=reason,
                payload={"merge_id": merge_id, "survivor_id": m["survivor_id"],
                         "merged_id": m["merged_id"]},
                entity_type="person", entity_id=m["merged_id"], area_code=area)
            uow.commit()
            return filed_request(conn, request_id)

    def runs(self, actor: Actor, limit: int = 20) -> list[s.RunOut]:
        query = select(link_run).order_by(link_run.c.id.desc()).limit(limit)
        query = query.where(*scope.conditions(actor.scope, link_run.c.scope))
        with self._uow() as uow:
            return [s.RunOut.model_validate(dict(r))
                    for r in uow.conn.execute(query).mappings().all()]


# ---------------------------------------------------------------- maker-checker kinds
def _apply_merge(ctx: AppContext, conn: Connection, req: ApprovalRecord,
                 secret: dict[str, Any], checker: Actor) -> dict[str, Any]:
    """Approved clerical merge: merge, and close the review item."""
    review_id = int(req.payload["review_id"])
    row = conn.execute(select(link_review).where(
        and_(link_review.c.id == review_id, link_review.c.approval_request_id == req.id,
             link_review.c.status == AWAITING)).with_for_update()).mappings().first()
    if row is None:
        raise Conflict("the review item no longer awaits this approval",
                       "ធាតុពិនិត្យនេះលែងរង់ចាំការអនុម័តនេះទៀតហើយ")
    reason = (f"{req.reason} [review {review_id}: accepted by {req.maker}, "
              f"approved by {checker.username}]")
    item = MergeItem(int(req.payload["survivor_id"]), int(req.payload["merged_id"]),
                     row["match_probability"], review_id)
    merge_id = merge_people(conn, [item], checker, method="clerical", reason=reason)[0]
    conn.execute(update(link_review).where(link_review.c.id == review_id).values(
        status=MERGED, merge_id=merge_id, version=link_review.c.version + 1))
    return {"merge_id": merge_id, "survivor_id": item.survivor_id,
            "merged_id": item.merged_id}


def _apply_unmerge(ctx: AppContext, conn: Connection, req: ApprovalRecord,
                   secret: dict[str, Any], checker: Actor) -> dict[str, Any]:
    reason = f"{req.reason} [requested by {req.maker}, approved by {checker.username}]"
    return undo_merge(conn, int(req.payload["merge_id"]), checker, reason)


@dataclass(frozen=True)
class MergeView:
    """Both people of a merge (or of its undo) as the approver sees them: the record kept and the
    one merged into it (None when outside the reader's area), and the pair's match probability
    when the merge came from the review queue."""

    survivor: PersonCard | None
    merged: PersonCard | None
    match_probability: float | None


def _describe_merge(ctx: AppContext, conn: Connection, req: ApprovalRecord,
                    secret: dict[str, Any], reader: Actor) -> MergeView:
    survivor, merged = int(req.payload["survivor_id"]), int(req.payload["merged_id"])
    cards = person_cards(ctx, conn, [survivor, merged], reader.scope)
    probability = None
    if "review_id" in req.payload:
        probability = conn.execute(select(link_review.c.match_probability).where(
            link_review.c.id == int(req.payload["review_id"]))).scalar()
    return MergeView(cards.get(survivor), cards.get(merged), probability)


register_kind(ApprovalKind(PERSON_MERGE, _apply_merge,
                           "merge two records of the same person (clerical review)",
                           describe=_describe_merge))
register_kind(ApprovalKind(PERSON_UNMERGE, _apply_unmerge,
                           "undo a merge: restore both records exactly",
                           describe=_describe_merge))
