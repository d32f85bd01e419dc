"""Tables of payment delivery (only ``spmis.payments`` touches them):

* ``provider_layout``: a payment provider's file layout as data (columns, encoding, date format,
  delimiter), its account identifier type and whether it takes KHQR; one row per provider.
* ``payment_account``: where a beneficiary is paid: a provider and an account or wallet number,
  encrypted (``FieldCipher``, context ``payment_account``) with a keyed hash for look-up.
* ``reconciliation`` and ``reconciliation_line``: a provider's result file, read into lines and
  applied to the entitlement lines in one transaction, or refused whole with its report.
* ``programme_condition`` and ``compliance_event``: which components of a programme are paid
  only once an event (an antenatal visit, a vaccination...) is recorded, and the events.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.encrypted import EncryptedColumn
from spmis.db.history import audit_columns

__all__ = [
    "ENCRYPTED_COLUMNS",
    "compliance_event",
    "payment_account",
    "programme_condition",
    "provider_layout",
    "reconciliation",
    "reconciliation_line",
]

provider_layout = Table(
    "provider_layout",
    metadata,
    Column("provider_id", Id, ForeignKey("payment_provider.id"), primary_key=True),
    Column("account_type", String(16), nullable=False),  # bank_account, mobile_wallet, bakong
    Column("takes_khqr", Boolean, nullable=False),
    Column("encoding", String(16), nullable=False),
    Column("delimiter", String(1), nullable=False),
    Column("date_format", String(16), nullable=False),
    # [[header, field], ...] of the payroll file; {field: header} of the result file; the result
    # file's status words {word: paid|failed}
    Column("payroll_columns", JSON, nullable=False),
    Column("result_columns", JSON, nullable=False),
    Column("status_words", JSON, nullable=False),
    Column("khqr_city", String(15), nullable=False),
    Column("example", Boolean, nullable=False),
    Column("note", Text, nullable=False),
    *audit_columns(),
)

payment_account = Table(
    "payment_account",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("beneficiary_id", Id, ForeignKey("beneficiary.id"), nullable=False),
    Column("provider_id", Id, ForeignKey("payment_provider.id"), nullable=False),
    # the registry person the money goes to (their name is on the payroll)
    Column("holder_person_id", Id, nullable=False),
    Column("account_enc", LargeBinary, nullable=False),
    Column("account_hash", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    *audit_columns(),
    UniqueConstraint("beneficiary_id", "provider_id"),
    Index("ix_payment_account_provider_id", "provider_id", "beneficiary_id"),
)

reconciliation = Table(
    "reconciliation",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("cycle_id", Id, ForeignKey("payment_cycle.id"), nullable=False),
    Column("provider_id", Id, ForeignKey("payment_provider.id"), nullable=False),
    Column("job_id", Id),
    Column("file_name", String(200), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    # running -> applied | refused
    Column("state", String(12), nullable=False),
    Column("lines", Integer, nullable=False),
    Column("paid", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("amount_paid", BigInteger, nullable=False),
    Column("problems", Integer, nullable=False),
    Column("report", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Index("ix_reconciliation_cycle_id", "cycle_id", "id"),
)

reconciliation_line = Table(
    "reconciliation_line",
    metadata,
    Column("reconciliation_id", Id, ForeignKey("reconciliation.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("entitlement_id", Id),
    Column("attempt", Integer),
    Column("amount", BigInteger),
    Column("settled_on", Date),
    Column("reference", String(64), nullable=False),
    Column("outcome", String(8), nullable=False),  # paid, failed
    Column("reason", Text),
    PrimaryKeyConstraint("reconciliation_id", "line_no"),
    Index("ix_reconciliation_line_entitlement_id", "entitlement_id"),
)

programme_condition = Table(
    "programme_condition",
    metadata,
    Column("programme_id", Id, ForeignKey("programme.id"), nullable=False),
    Column("component", String(24), nullable=False),
    Column("event_kind", String(24), nullable=False),
    Column("legal_reference", Text, nullable=False),
    PrimaryKeyConstraint("programme_id", "component"),
)

compliance_event = Table(
    "compliance_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("person_id", Id, nullable=False),
    Column("household_id", Id, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("event_date", Date, nullable=False),
    Column("facility", String(100), nullable=False),
    Column("source", String(8), nullable=False),  # staff, import
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    UniqueConstraint("person_id", "kind", "event_date"),
    Index("ix_compliance_event_household_id", "household_id", "kind"),
)

#: re-encrypted by ``spmis keys rotate``
ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(payment_account, "account_enc", "payment_account"),
)
