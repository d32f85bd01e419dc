"""Pages of the audit trail: the public page of daily root hashes (no login), and the auditors'
page of entries, each said in words of the reader's language (the record by its kind, the
action by its name, the change field by field); what people typed and the values are data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from spmis.audit.service import AuditService
from spmis.pagekit.labels import FIELD_LABELS
from spmis.pagekit.routing import PageRoute
from spmis.pagekit.session import app_ctx, require_actor
from spmis.pagekit.templating import render
from spmis.pagekit.texts import N_

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: what kind of record an entry is about
ENTITY_LABELS = {
    "household": N_("Household"),
    "person": N_("Person"),
    "enterprise": N_("Enterprise"),
    "staff_user": N_("Staff account"),
    "api_client": N_("Client of the interface"),
    "grievance": N_("Complaint or appeal"),
    "programme": N_("Programme"),
    "budget": N_("Budget"),
    "enrolment_run": N_("Enrolment"),
    "beneficiary": N_("Beneficiary"),
    "payment_account": N_("Payment account"),
    "payment_cycle": N_("Payment cycle"),
    "payment_provider": N_("Payment provider"),
    "prog_condition": N_("Condition of a programme"),
    "reconciliation": N_("Reconciliation"),
    "shock": N_("Shock response"),
    "entitlement": N_("Payment"),
}
#: the record's own page, where there is one
ENTITY_PAGES = {"household": "/office/households/{}", "person": "/office/people/{}",
                "staff_user": "/office/users/{}"}
#: what was done
ACTION_LABELS = {
    "create": N_("Created"),
    "update": N_("Changed"),
    "import": N_("Imported"),
    "merge": N_("Merged"),
    "unmerge": N_("Merge undone"),
    "approve": N_("Approved"),
    "reject": N_("Rejected"),
    "cancel": N_("Cancelled"),
    "retry": N_("Paid again"),
    "run": N_("Run"),
    "state": N_("State changed"),
    "escalate": N_("Passed to the office above"),
    "review": N_("Review started"),
    "resolve": N_("Resolved"),
    "decision": N_("Decision appealed against recorded"),
    "satisfaction": N_("Answer of the complainant"),
    "declare": N_("Declared"),
    "end": N_("Ended"),
    "exit": N_("Left the programme"),
    "enrolled": N_("Enrolled"),
    "candidate": N_("Candidate"),
    "notify": N_("Told"),
    "password_reset": N_("Password reset"),
    "password_set": N_("Password chosen"),
}
#: at most this many fields of a change are shown in a row
SHOWN_FIELDS = 6


@dataclass(frozen=True)
class FieldShown:
    label: str | None  # a catalogue msgid, or None: the field's own name is shown as data
    name: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class EntryShown:
    seq: int
    at: datetime
    actor: str
    entity: str | None
    entity_type: str
    entity_id: int
    link: str | None
    version: int
    action: str | None
    action_code: str
    reason: str | None
    fields: list[FieldShown]
    more: int


def _value(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, default=str)


def shown(row: dict[str, Any]) -> EntryShown:
    """An entry as the page says it: the payload's reason and ``{field: [old, new]}``."""
    try:
        payload = json.loads(row["payload"])
    except ValueError:
        payload = {}
    changes = payload.get("changes") if isinstance(payload, dict) else None
    fields = []
    for name, change in (changes or {}).items() if isinstance(changes, dict) else ():
        old, new = (change if isinstance(change, list) and len(change) == 2 else (None, change))
        fields.append(FieldShown(FIELD_LABELS.get(name), name, _value(old), _value(new)))
    etype, eid = row["entity_type"], int(row["entity_id"])
    page = ENTITY_PAGES.get(etype)
    return EntryShown(
        row["seq"], row["at"], row["actor"], ENTITY_LABELS.get(etype), etype, eid,
        page.format(eid) if page else None, int(row["version"]),
        ACTION_LABELS.get(row["action"]), row["action"],
        payload.get("reason") if isinstance(payload, dict) else None,
        fields[:SHOWN_FIELDS], max(0, len(fields) - SHOWN_FIELDS))


@router.get("/transparency/audit", response_class=HTMLResponse)
async def roots_page(request: Request) -> HTMLResponse:
    """The chain's root hash at the end of each day, for anyone to note and compare later."""
    roots = await run_in_threadpool(AuditService(app_ctx(request)).daily_roots, 60)
    return render(request, "public/audit_roots.html", {
        "roots": [(date.fromisoformat(r.day), r) for r in roots]})


@router.get("/office/audit", response_class=HTMLResponse)
async def entries_page(request: Request, before: int | None = None) -> HTMLResponse:
    """The newest entries of the audit trail (auditors), 100 a page."""
    actor = require_actor(request)
    rows = await run_in_threadpool(AuditService(app_ctx(request)).entries, actor,
                                   before=before if before and before > 0 else None)
    older = rows[-1]["seq"] if len(rows) == 100 and rows[-1]["seq"] > 1 else None
    return render(request, "office/audit.html", {"rows": [shown(r) for r in rows],
                                                 "older": older}, area="office")
