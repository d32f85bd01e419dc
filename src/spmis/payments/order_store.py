"""The table of payment orders that other capabilities place (only ``spmis.payments`` imports
it): ``payment_order``, one row per (source, source_ref), so an order placed twice is placed
once. Amounts are integers in the smallest unit of ``currency``."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, String, Table, Text, UniqueConstraint

from spmis.db.base import Id, metadata
from spmis.db.history import audit_columns

__all__ = ["payment_order"]

payment_order = Table(
    "payment_order",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(24), nullable=False),  # e.g. 'fund_claim'
    Column("source_ref", String(40), nullable=False),  # the source's own id
    Column("person_id", Id, nullable=False),  # the registry person paid
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("frequency", String(8), nullable=False),  # one_off, monthly
    Column("purpose_en", Text, nullable=False),
    Column("purpose_km", Text, nullable=False),
    Column("state", String(12), nullable=False),  # ordered, paid, failed, cancelled
    Column("reference", String(40)),  # the provider's reference of the payment
    Column("settled_on", Date),
    *audit_columns(),
    UniqueConstraint("source", "source_ref"),
    Index("ix_payment_order_state_id", "state", "id"),
)
