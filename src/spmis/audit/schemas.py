"""HTTP shapes of the audit trail."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class RootOut(BaseModel):
    day: str
    entries: int
    last_seq: int
    root_hash: str


class EntryOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    entity_type: str
    entity_id: int
    version: int
    action: str
    payload: str
    hash: str


class VerdictOut(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None
    fault: str | None
    message: str
    message_km: str
