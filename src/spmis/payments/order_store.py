"""The table of payment orders that other capabilities place (only ``spmis.payments`` imports
it): ``payment_order``, one row per (source, source_ref), so an order placed twice is placed
once. Amounts are integers in the smallest unit of ``currency``. A monthly order (a pension) is
paid every month after its first by the pension payroll (``spmis.payments.pensions``)."""

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
    # the month the order pays (a monthly order: its first month; the pension payroll pays the
    # months after it), its last month (None: until ended) and the person whose recorded death
    # ends a monthly order (None: no death ends it, e.g. a survivors' pension)
    Column("first_period", String(7)),
    Column("last_period", String(7)),
    Column("ends_on_death_of", Id),
    *audit_columns(),
    UniqueConstraint("source", "source_ref"),
    Index("ix_payment_order_state_id", "state", "id"),
    Index("ix_payment_order_frequency_state", "frequency", "state"),
)
