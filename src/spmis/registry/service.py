"""Registry use cases: register, correct, search and restructure households, people and
enterprises. Every entry point (API, pages, CLI) calls these; each runs in one unit of work, checks
the actor's geographic scope, validates fully before writing, and records a version in the
change log. Nothing is deleted.

The use cases are grouped by record in households.py, people.py and enterprises.py, over the
shared machinery of service_base.py; ``RegistryService`` is the one entry point."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select

from spmis.auth.approvals import (
    ApprovalKind,
    ApprovalRecord,
    StaleRequest,
    register_kind,
)
from spmis.auth.model import Actor
from spmis.context import AppContext
from spmis.db import history
from spmis.db.history import update_versioned
from spmis.registry import queries as q
from spmis.registry import schemas as s
from spmis.registry.enterprises import ENTERPRISE_NUMBERS, EnterpriseUseCases
from spmis.registry.households import HouseholdUseCases
from spmis.registry.people import IDENTIFIER_CHANGE, PersonUseCases
from spmis.registry.store import enterprise, person


class RegistryService(HouseholdUseCases, PersonUseCases, EnterpriseUseCases):
    """Use cases of the registry of households, people and enterprises."""

    def history(self, entity_type: str, entity_id: int, actor: Actor) -> list[s.HistoryEntry]:
        """Every version of a record, oldest first (who, when, what changed, why)."""
        with self._uow() as uow:
            conn = uow.conn
            if entity_type == "household":
                self._household_row(conn, entity_id, actor)
            elif entity_type == "person":
                self._person_row(conn, entity_id, actor)
            else:
                self._enterprise_out(conn, entity_id, actor)
            rows = history.entries(conn, entity_type, entity_id)
            return [s.HistoryEntry(**{k: r[k] for k in s.HistoryEntry.model_fields}) for r in rows]


# ---------------------------------------------------------------- maker-checker kinds


def _apply_identifier_change(
    ctx: AppContext, conn: Connection, req: ApprovalRecord, secret: dict[str, Any], checker: Actor
) -> dict[str, Any]:
    """Apply an approved person change that includes identifiers (see request_person_update)."""
    assert req.entity_id is not None
    patch = s.PersonUpdate.model_validate(
        {**req.payload["patch"], "identifiers": secret.get("identifiers") or {}}
    )
    reason = f"{req.reason} [request {req.id} by {req.maker}, approved by {checker.username}]"
    RegistryService(ctx)._apply_person_update(conn, req.entity_id, patch, checker, reason)
    return {"person_id": req.entity_id}


def request_touches(payload: dict[str, Any]) -> set[str]:
    """What an identifier-change request changes, named as ``change_log`` names it."""
    fields = set(payload.get("patch") or {}) - {"reason", "expected_version"}
    return fields | {f"identifiers.{t}" for t in payload.get("identifiers") or {}}


def changes_since(conn: Connection, person_id: int, version: int) -> list[s.HistoryEntry]:
    """The person's history entries after ``version``, oldest first."""
    rows = history.entries(conn, "person", person_id, after_version=version)
    return [s.HistoryEntry(**{k: r[k] for k in s.HistoryEntry.model_fields}) for r in rows]


def _rebase_identifier_change(
    ctx: AppContext, conn: Connection, req: ApprovalRecord, checker: Actor
) -> dict[str, Any]:
    """The request moved onto the person's current version, when none of the fields and
    identifiers it changes was changed after it was made (``StaleRequest`` otherwise). The
    change itself is checked again when it is applied (format, another person's number)."""
    assert req.entity_id is not None
    row = RegistryService(ctx)._person_row(conn, req.entity_id, checker)
    made_on = (req.payload.get("patch") or {}).get("expected_version")
    if made_on is None or made_on == row["version"]:
        return req.payload
    later = changes_since(conn, req.entity_id, int(made_on))
    touched = request_touches(req.payload)
    clashes = [e for e in later if touched & set(e.changes)]
    if clashes:
        fields = sorted(touched & {k for e in clashes for k in e.changes})
        raise StaleRequest(tuple(fields), clashes[-1].changed_by)
    return {**req.payload, "patch": {**req.payload["patch"], "expected_version": row["version"]}}


def _describe_identifier_change(
    ctx: AppContext, conn: Connection, req: ApprovalRecord, secret: dict[str, Any], reader: Actor
) -> q.PersonChangeView | None:
    """Both sides of a requested person change for the approver: the values on the record now
    and the requested ones (identifiers masked on both sides), later changes of the record, and
    a requested identifier that another person holds by now."""
    assert req.entity_id is not None
    card = q.person_cards(ctx, conn, [req.entity_id], reader.scope).get(req.entity_id)
    if card is None:
        return None
    row = conn.execute(select(person).where(person.c.id == req.entity_id)).mappings().one()
    patch = dict(req.payload.get("patch") or {})
    try:
        typed: Any = s.PersonUpdate.model_validate({**patch, "reason": patch.get("reason")
                                                    or "..."})
    except ValidationError:  # shown as stored
        typed = None
    changes = []
    for field in patch:
        if field in {"reason", "expected_version"}:
            continue
        after = getattr(typed, field, None) if typed is not None else patch[field]
        changes.append(q.FieldChange(field, row.get(field),
                                     getattr(after, "value", after)))
    for t, masked in (req.payload.get("identifiers") or {}).items():
        changes.append(q.FieldChange(f"identifiers.{t}", card.identifiers.get(t), masked))
    made_on = patch.get("expected_version")
    later = changes_since(conn, req.entity_id, int(made_on)) if made_on else []
    touched = request_touches(req.payload)
    conflicts = []
    for t, value in (secret.get("identifiers") or {}).items():
        owner = q.identifier_owner(ctx, conn, t, value) if value else None
        if owner is not None and owner != req.entity_id:
            found = q.person_cards(ctx, conn, [owner], reader.scope).get(owner)
            conflicts.append(q.IdentifierConflict(f"identifiers.{t}", found))
    return q.PersonChangeView(
        person=card, changes=tuple(changes),
        later=tuple(q.LaterChange(e.version, e.changed_by, e.changed_at, tuple(e.changes))
                    for e in later),
        clashes=tuple(sorted(touched & {k for e in later for k in e.changes})),
        conflicts=tuple(conflicts),
    )


def _apply_enterprise_numbers(
    ctx: AppContext, conn: Connection, req: ApprovalRecord, secret: dict[str, Any], checker: Actor
) -> dict[str, Any]:
    """Set enterprise numbers held back at registration or correction (another enterprise held
    them): refused (422 ``duplicate``) while it still does, for the approver to reject."""
    assert req.entity_id is not None
    svc = RegistryService(ctx)
    svc._unique_enterprise_fields(conn, secret, own_id=req.entity_id)
    row = conn.execute(select(enterprise).where(enterprise.c.id == req.entity_id)
                       ).mappings().one()
    reason = f"{req.reason} [request {req.id} by {req.maker}, approved by {checker.username}]"
    update_versioned(conn, enterprise, "enterprise", req.entity_id, row["version"], secret,
                     action="update", by=checker.username, reason=reason,
                     changes={k: [row[k], v] for k, v in secret.items()})
    return {"enterprise_id": req.entity_id}


register_kind(ApprovalKind(ENTERPRISE_NUMBERS, _apply_enterprise_numbers,
                           "enterprise numbers another enterprise held"))

register_kind(
    ApprovalKind(
        IDENTIFIER_CHANGE,
        _apply_identifier_change,
        "change of a person's identifiers (national ID, phone, ...)",
        rebase=_rebase_identifier_change,
        describe=_describe_identifier_change,
    )
)
