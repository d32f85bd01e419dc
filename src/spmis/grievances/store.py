"""Tables of the grievances capability (only this package touches them).

* ``grievance``: one complaint or appeal: its ticket number and the hash of its PIN, category,
  channel, status, the office in charge (an area code: commune, district, province, '' national)
  and its deadline, the resolution and the complainant's satisfaction; for an appeal, the
  decision appealed against and who made it. Contact details (name, phone) only as ciphertext.
  Versioned: every change is a ``change_log`` entry (entity type 'grievance').
* The tries of a ticket and PIN on the follow-up page are recorded and throttled with the
  staff logins' attempts (``spmis.auth.throttle``, kind ``grievance_pin``; limits in the
  ``pin_*`` settings); their old table ``grievance_pin_attempt`` was dropped (migration 0025).
* ``grievance_message``: the outbox of messages to complainants (Khmer and English); a sender
  hands them on (the default writes them to the log and never claims to have sent them).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    text,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.encrypted import EncryptedColumn
from spmis.db.history import audit_columns

__all__ = ["ENCRYPTED_COLUMNS", "grievance", "grievance_message"]

grievance = Table(
    "grievance",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ticket", String(9), nullable=False, unique=True),
    Column("pin_hash", String(128), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("category", String(24), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("status", String(12), nullable=False),
    Column("description", Text, nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("name_enc", LargeBinary),
    Column("phone_enc", LargeBinary),
    Column("area_code", String(8), nullable=False),
    Column("office", String(6), nullable=False),
    Column("deadline", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("escalations", Integer, nullable=False, server_default=text("0")),
    Column("resolved_at", UTCDateTime()),
    Column("resolution", Text),
    Column("outcome", String(12)),
    Column("satisfaction", String(16)),
    Column("decision_kind", String(12)),
    Column("decision_ref", String(64)),
    Column("decided_by", String(64)),
    Column("reviewer", String(64)),
    *audit_columns(),
    Index("ix_grievance_office_status_deadline", "office", "status", "deadline"),
    Index("ix_grievance_status_deadline", "status", "deadline"),
)

grievance_message = Table(
    "grievance_message",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("grievance_id", Id, nullable=False),
    Column("event", String(16), nullable=False),
    Column("text_en", Text, nullable=False),
    Column("text_km", Text, nullable=False),
    # queued, logged (written to the log, not sent), sent, failed, no_contact
    Column("state", String(12), nullable=False, server_default=text("'queued'")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("handled_at", UTCDateTime()),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Index("ix_grievance_message_state_id", "state", "id"),
    Index("ix_grievance_message_grievance_id", "grievance_id"),
)

#: contact details, sealed with the column's name as the encryption context
ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(grievance, "name_enc", "grievance.name"),
    EncryptedColumn(grievance, "phone_enc", "grievance.phone"),
)
