"""Tables of the fund's claims (only ``spmis.fund`` imports them):

* ``fund_claim``: one claim of a member (maternity, childbirth, visits, occupational injury,
  old-age pension, survivors): its event, the facts it declares (``details``), what the rules
  engine computed (amount, currency, payment, ``refusal`` code, ``computed`` figures) and its
  decision workflow (submitted, under_review, approved, rejected with a reason, paid), versioned
  with its history in ``change_log`` (entity ``fund_claim``).
* ``fund_claim_document``: the documents attached to a claim, encrypted (base64 of the file,
  AES-256-GCM with the field key ring, the claim's id bound): no file in clear on disk.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.encrypted import EncryptedColumn
from spmis.db.history import audit_columns

__all__ = ["ENCRYPTED_COLUMNS", "document_context", "fund_claim", "fund_claim_document"]

fund_claim = Table(
    "fund_claim",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("person_id", Id, nullable=False, index=True),  # the member (the deceased: survivors)
    Column("employer_id", Id, index=True),  # the employer at the event (NULL: voluntary member)
    Column("village_code", String(8), nullable=False),  # the member's, for the staff's scope
    Column("event_date", Date, nullable=False),
    Column("period", String(7), nullable=False),
    Column("details", JSON, nullable=False),
    Column("claimant_name", String(200)),  # survivors: who claims
    Column("state", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment", String(8), nullable=False),  # one_off, monthly
    Column("refusal", String(32), nullable=False),  # the rules' reason ('' when due)
    Column("computed", JSON, nullable=False),
    Column("reason", Text),  # of a rejection
    Column("reviewed_by", String(64)),
    Column("decided_by", String(64)),
    Column("decided_at", UTCDateTime()),
    Column("payment_order_id", Id),
    *audit_columns(),
    Index("ix_fund_claim_state_id", "state", "id"),
)

fund_claim_document = Table(
    "fund_claim_document",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("claim_id", Id, ForeignKey("fund_claim.id"), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content_enc", LargeBinary, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
)


def document_context(claim_id: int) -> str:
    """The associated data a claim's documents are sealed with (binds them to the claim)."""
    return f"fund_claim_document:{claim_id}"


ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    # documents are up to 1 MB each: key rotation reads 20 at a time, not thousands
    EncryptedColumn(fund_claim_document, "content_enc",
                    lambda row: document_context(int(row["claim_id"])), ("claim_id",),
                    chunk_rows=20),
)
