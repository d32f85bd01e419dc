"""Maker-checker: a generic approval-request mechanism.

A *maker* files a request of some *kind* (``identifier_change`` now; enrolment approval, payroll
approval and merges later) with a reason; a *checker* holding the approver role, who is not the
maker and whose scope covers the request's area, approves or rejects it with a reason. Approval
runs the kind's handler in the same transaction as the status change, so a request is applied
exactly once or not at all. Decisions are kept (nothing is deleted).

Plugging in a new kind::

    register_kind(ApprovalKind("payroll_approval", apply=_apply_payroll, description="..."))

in the capability's module, and list that module in the capability's manifest
(``Capability.approval_kinds``) so it is imported before a request is decided. The service files
requests with ``file_request(conn, ...)`` inside its own unit of work, after validating the
change (a dry run), so a request that cannot apply is refused at once. Sensitive payload parts
(identifier values) go in ``secret``: stored only encrypted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import JSON, Connection, Select, Text, bindparam, cast, insert, select, update
from sqlalchemy.engine import RowMapping

from spmis.auth import messages, scope
from spmis.auth.model import Actor
from spmis.auth.roles import Role
from spmis.auth.schemas import ApprovalOut
from spmis.auth.store import PAYLOAD_CONTEXT, approval_request
from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.db.uow import UnitOfWork
from spmis.errors import Conflict, Forbidden, InvalidInput, NotFound
from spmis.manifest import each, resolve

PENDING, APPROVED, REJECTED, CANCELLED = "pending", "approved", "rejected", "cancelled"
STATUSES = (PENDING, APPROVED, REJECTED, CANCELLED)
#: roles that see every request in their scope (others see only the requests they made)
OVERSIGHT_ROLES = (Role.APPROVER.value, Role.AUDITOR.value, Role.ADMIN.value)
#: the key of a handler's result that goes to the checker once and is never stored (an
#: activation link for the person a staff account is for)
ONCE = "once"



@dataclass(frozen=True)
class ApprovalRecord:
    """A request as a handler sees it."""

    id: int
    kind: str
    entity_type: str | None
    entity_id: int | None
    area_code: str | None
    payload: dict[str, Any]
    reason: str
    maker: str


#: (ctx, conn, request, decrypted secret payload, checker) -> result stored with the decision
Handler = Callable[[AppContext, Connection, ApprovalRecord, dict[str, Any], Actor], dict[str, Any]]
#: (ctx, conn, request, checker) -> the request's payload moved onto the record as it is now;
#: raises ``StaleRequest`` when what the request changes was changed since it was made
Rebaser = Callable[[AppContext, Connection, ApprovalRecord, Actor], dict[str, Any]]


#: (ctx, conn, request, decrypted secret payload, reader) -> what the request is about and what
#: it changes, for the approver's page (a kind's own view object; identifier values masked)
Describer = Callable[[AppContext, Connection, ApprovalRecord, dict[str, Any], Actor], object]


@dataclass(frozen=True)
class ApprovalKind:
    name: str
    apply: Handler
    description: str = ""
    #: for a kind whose requests name the version of the record they were made on: moves a
    #: request made on an older version onto the current one, when it still applies
    rebase: Rebaser | None = None
    #: shows both sides of the change (old and new) and the records it is about
    describe: Describer | None = None
    #: the roles one of which the checker must hold (staff-account requests: administrators)
    checkers: frozenset[str] = frozenset({Role.APPROVER.value})


class StaleRequest(Conflict):
    """The record changed after the request was made, in a part the request changes too: it no
    longer applies and can only be rejected (or cancelled by its maker). ``fields`` names those
    parts (``given_name_latin``, ``identifiers.phone``)."""

    def __init__(self, fields: tuple[str, ...], changed_by: str) -> None:
        names = ", ".join(fields)
        super().__init__(
            f"this request no longer applies: {names} changed after it was made (by "
            f"{changed_by}); reject it and file a new one if still needed",
            f"សំណើនេះលែងអនុវត្តបានទៀតហើយ៖ {names} ត្រូវបានកែប្រែក្រោយពេលធ្វើសំណើ (ដោយ "
            f"{changed_by}) សូមបដិសេធវា ហើយធ្វើសំណើថ្មីប្រសិនបើនៅត្រូវការ")
        self.fields = fields
        self.changed_by = changed_by


_KINDS: dict[str, ApprovalKind] = {}


def register_kind(kind: ApprovalKind) -> None:
    """Make ``kind`` decidable. Registering the same name twice replaces it (module reloads)."""
    _KINDS[kind.name] = kind


def get_kind(name: str) -> ApprovalKind:
    if name not in _KINDS:
        for _cap, module in each("approval_kinds"):
            resolve(module)
    try:
        return _KINDS[name]
    except KeyError:
        raise Conflict(f"no handler for requests of kind {name}",
                       f"មិនមានអ្នកដោះស្រាយសំណើប្រភេទ {name}") from None


def file_request(
    ctx: AppContext, conn: Connection, *, kind: str, maker: Actor, reason: str,
    payload: dict[str, Any], secret: dict[str, Any] | None = None,
    entity_type: str | None = None, entity_id: int | None = None, area_code: str | None = None,
) -> int:
    """File a pending request inside the caller's transaction; returns its id."""
    if kind not in _KINDS:
        get_kind(kind)
    sealed = (ctx.cipher.encrypt(json.dumps(secret, sort_keys=True), PAYLOAD_CONTEXT)
              if secret is not None else None)
    request_id: int = conn.execute(insert(approval_request).values(
        kind=kind, entity_type=entity_type, entity_id=entity_id, area_code=area_code,
        payload=payload, payload_enc=sealed, reason=reason, status=PENDING,
        maker=maker.username, made_at=utcnow(),
    ).returning(approval_request.c.id)).scalar_one()
    return request_id


@dataclass(frozen=True)
class Filing:
    """Many requests of one kind, maker and reason filed at once (``file_requests``), one
    position per request: the record each is about, its area, its payload and its secret part
    as JSON text (built set-based by the caller, e.g. a bulk import)."""

    entity_type: str
    entity_ids: Sequence[int]
    area_codes: Sequence[str | None]
    payloads: Sequence[str]
    secrets: Sequence[str]


def file_requests(ctx: AppContext, conn: Connection, *, kind: str, maker: Actor, reason: str,
                  filing: Filing) -> int:
    """File the pending requests of ``filing`` in one statement inside the caller's transaction
    (an ``executemany`` the driver sends as multi-row inserts); returns how many. Each secret is
    encrypted as ``file_request`` does (AES-GCM runs per value)."""
    if kind not in _KINDS:
        get_kind(kind)
    count = len(filing.entity_ids)
    if count == 0:
        return 0
    seal = ctx.cipher.encrypt
    sealed = [seal(text, PAYLOAD_CONTEXT) for text in filing.secrets]
    # the payloads come as JSON text: PostgreSQL casts it, SQLite stores it as it is (JSON
    # there is text; its CAST to JSON would make a number of it)
    text = bindparam("payload_text", type_=Text())
    payload = cast(text, JSON) if conn.dialect.name == "postgresql" else text
    statement = insert(approval_request).values(
        kind=kind, entity_type=filing.entity_type, entity_id=bindparam("entity"),
        area_code=bindparam("area"), payload=payload, payload_enc=bindparam("sealed"),
        reason=reason, status=PENDING, maker=maker.username, made_at=utcnow())
    columns = {"entity": filing.entity_ids, "area": filing.area_codes,
               "payload_text": filing.payloads, "sealed": sealed}
    rows = [dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)]
    conn.execute(statement, rows)
    return count


def pending_among(conn: Connection, kind: str, entity_type: str,
                  entity_ids: Sequence[int]) -> set[int]:
    """Which of ``entity_ids`` already have a pending request of ``kind`` (one query per
    10,000 ids)."""
    found: set[int] = set()
    ids = list(entity_ids)
    for start in range(0, len(ids), 10_000):
        found.update(conn.execute(select(approval_request.c.entity_id).where(
            approval_request.c.kind == kind, approval_request.c.entity_type == entity_type,
            approval_request.c.status == PENDING,
            approval_request.c.entity_id.in_(ids[start:start + 10_000]))).scalars())
    return found


def approval_out(row: RowMapping) -> ApprovalOut:
    return ApprovalOut(**{k: row[k] for k in ApprovalOut.model_fields if k != ONCE})


def may_decide(actor: Actor, kind: str) -> bool:
    """Whether ``actor`` holds a role that decides requests of ``kind`` (scope and "not the
    maker" are checked on the request itself)."""
    return actor.has_role(*get_kind(kind).checkers)


class ApprovalService:
    """List, approve, reject and cancel maker-checker requests."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    @staticmethod
    def _visible(actor: Actor) -> list[Any]:
        if not actor.has_role(*OVERSIGHT_ROLES):
            return [approval_request.c.maker == actor.username]
        return scope.conditions(actor.scope, approval_request.c.area_code)

    def _row(self, conn: Connection, request_id: int, actor: Actor,
             for_update: bool = False) -> RowMapping:
        query = select(approval_request).where(approval_request.c.id == request_id,
                                               *self._visible(actor))
        if for_update:
            query = query.with_for_update()
        row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"approval request {request_id} not found",
                           f"រកមិនឃើញសំណើអនុម័តលេខ {request_id}")
        return row

    def list(self, actor: Actor, *, status: str | None = None, kind: str | None = None,
             limit: int = 100, offset: int = 0) -> list[ApprovalOut]:
        conditions = self._visible(actor)
        if status is not None:
            if status not in STATUSES:
                raise InvalidInput.one(("status",), "enum", f"one of {', '.join(STATUSES)}",
                                       "ជម្រើសមិនត្រឹមត្រូវ")
            conditions.append(approval_request.c.status == status)
        if kind is not None:
            conditions.append(approval_request.c.kind == kind)
        with self._uow() as uow:
            rows = uow.conn.execute(select(approval_request).where(*conditions)
                                    .order_by(approval_request.c.id.desc())
                                    .limit(limit).offset(offset)).mappings().all()
            return [approval_out(r) for r in rows]

    def describe(self, requests: Sequence[ApprovalOut], reader: Actor) -> dict[int, object]:
        """What each request is about and what it changes, by its kind's ``describe`` (kinds
        without one, and requests whose records the reader may not see, are left out). The
        secret payload is read to compare, never returned: identifier values stay masked."""
        out: dict[int, object] = {}
        with self._uow() as uow:
            sealed = dict(uow.conn.execute(
                select(approval_request.c.id, approval_request.c.payload_enc).where(
                    approval_request.c.id.in_([r.id for r in requests]),
                    *self._visible(reader))).all())
            for r in requests:
                kind = get_kind(r.kind)
                if kind.describe is None or r.id not in sealed:
                    continue
                secret: dict[str, Any] = {}
                if sealed[r.id] is not None:
                    secret = json.loads(self.ctx.cipher.decrypt(sealed[r.id], PAYLOAD_CONTEXT))
                record = ApprovalRecord(r.id, r.kind, r.entity_type, r.entity_id, r.area_code,
                                        dict(r.payload), r.reason, r.maker)
                try:
                    out[r.id] = kind.describe(self.ctx, uow.conn, record, secret, reader)
                except (NotFound, Forbidden):
                    continue
        return out

    def get(self, request_id: int, actor: Actor) -> ApprovalOut:
        with self._uow() as uow:
            return approval_out(self._row(uow.conn, request_id, actor))

    def _check_checker(self, row: RowMapping, checker: Actor) -> None:
        if not may_decide(checker, row["kind"]):
            if get_kind(row["kind"]).checkers == frozenset({Role.APPROVER.value}):
                raise Forbidden("only an approver can decide this request",
                                "មានតែអ្នកអនុម័តប៉ុណ្ណោះដែលអាចសម្រេចសំណើនេះ")
            raise Forbidden("only another administrator can decide this request",
                            "មានតែអ្នកគ្រប់គ្រងម្នាក់ទៀតប៉ុណ្ណោះដែលអាចសម្រេចសំណើនេះ")
        if row["status"] != PENDING:
            raise Conflict(f"this request is already {row['status']}",
                           "សំណើនេះត្រូវបានសម្រេចរួចហើយ")
        if row["maker"] == checker.username:
            raise Forbidden("you made this request; another approver must decide it",
                            "អ្នកបានធ្វើសំណើនេះ អ្នកអនុម័តម្នាក់ទៀតត្រូវសម្រេច")
        if row["area_code"] is not None and not scope.covers(checker.scope, row["area_code"]):
            raise messages.outside_scope()

    def _decide(self, conn: Connection, row: RowMapping, status: str, checker: Actor,
                reason: str, result: dict[str, Any] | None) -> None:
        done = conn.execute(update(approval_request).where(
            approval_request.c.id == row["id"], approval_request.c.status == PENDING,
        ).values(status=status, checker=checker.username, decided_at=utcnow(),
                 decision_reason=reason, result=result))
        if done.rowcount != 1:
            raise Conflict("this request was decided by someone else meanwhile",
                           "សំណើនេះត្រូវបានសម្រេចដោយអ្នកផ្សេងរួចហើយ")

    def approve(self, request_id: int, checker: Actor, reason: str, *,
                rebase: bool = False) -> ApprovalOut:
        """Approve and apply a request (one transaction); refuses the maker themself.

        A request names the version of the record it was made on; when the record changed since,
        applying it is refused (409). With ``rebase``, the request is first checked against the
        record as it is now (``ApprovalKind.rebase``): when nothing it changes was changed
        since, it is moved onto the current version and applied, and the result keeps the
        payload it was made with (``rebased_from``); otherwise ``StaleRequest`` (409)."""
        with self._uow() as uow:
            conn = uow.conn
            row = self._row(conn, request_id, checker, for_update=True)
            self._check_checker(row, checker)
            kind = get_kind(row["kind"])
            secret: dict[str, Any] = {}
            if row["payload_enc"] is not None:
                secret = json.loads(self.ctx.cipher.decrypt(row["payload_enc"], PAYLOAD_CONTEXT))
            record = ApprovalRecord(row["id"], row["kind"], row["entity_type"], row["entity_id"],
                                    row["area_code"], dict(row["payload"]), row["reason"],
                                    row["maker"])
            moved: dict[str, Any] = {}
            if rebase:
                if kind.rebase is None:
                    raise Conflict("a request of this kind cannot be checked again; reject it",
                                   "សំណើប្រភេទនេះមិនអាចពិនិត្យឡើងវិញបានទេ សូមបដិសេធវា")
                payload = kind.rebase(self.ctx, conn, record, checker)
                if payload != record.payload:
                    conn.execute(update(approval_request).where(
                        approval_request.c.id == record.id).values(payload=payload))
                    moved = {"rebased_from": record.payload}
                    record = replace(record, payload=payload)
            result = {**kind.apply(self.ctx, conn, record, secret, checker), **moved}
            once = result.pop(ONCE, None)
            self._decide(conn, row, APPROVED, checker, reason, result)
            uow.commit()
            out = approval_out(self._row(conn, request_id, checker))
            return out.model_copy(update={"once": once}) if once else out

    def reject(self, request_id: int, checker: Actor, reason: str) -> ApprovalOut:
        with self._uow() as uow:
            row = self._row(uow.conn, request_id, checker, for_update=True)
            self._check_checker(row, checker)
            self._decide(uow.conn, row, REJECTED, checker, reason, None)
            uow.commit()
            return approval_out(self._row(uow.conn, request_id, checker))

    def cancel(self, request_id: int, maker: Actor, reason: str) -> ApprovalOut:
        """The maker withdraws their own pending request."""
        with self._uow() as uow:
            row = self._row(uow.conn, request_id, maker, for_update=True)
            if row["maker"] != maker.username:
                raise Forbidden("only the maker can cancel a request",
                                "មានតែអ្នកធ្វើសំណើប៉ុណ្ណោះដែលអាចលុបចោល")
            if row["status"] != PENDING:
                raise Conflict(f"this request is already {row['status']}",
                               "សំណើនេះត្រូវបានសម្រេចរួចហើយ")
            self._decide(uow.conn, row, CANCELLED, maker, reason, None)
            uow.commit()
            return approval_out(self._row(uow.conn, request_id, maker))


def filed_request(conn: Connection, request_id: int) -> ApprovalOut:
    """A request as just filed (``file_request``) in the caller's transaction, to return it."""
    return approval_out(conn.execute(select(approval_request).where(
        approval_request.c.id == request_id)).mappings().one())


def requests_of(kind: str, statuses: tuple[str, ...]) -> Select[Any]:
    """Ids of the requests of ``kind`` in one of ``statuses``, as a sub-select (so a capability
    can react to its requests' decisions in one statement)."""
    return select(approval_request.c.id).where(approval_request.c.kind == kind,
                                               approval_request.c.status.in_(statuses))


def pending_of(conn: Connection, kind: str, entity_id: int) -> int | None:
    """The id of a pending request of ``kind`` about record ``entity_id``, if any."""
    found: int | None = conn.execute(select(approval_request.c.id).where(
        approval_request.c.kind == kind, approval_request.c.entity_id == entity_id,
        approval_request.c.status == PENDING).order_by(approval_request.c.id)).scalar()
    return found


def decisions(conn: Connection, request_ids: Sequence[int]) -> dict[int, ApprovalOut]:
    """The requests ``request_ids`` as they stand (status, checker, decision and its reason),
    for a capability that lists its own records' requests to whoever may read those records."""
    if not request_ids:
        return {}
    rows = conn.execute(select(approval_request).where(
        approval_request.c.id.in_(list(request_ids)))).mappings().all()
    return {int(r["id"]): approval_out(r) for r in rows}
