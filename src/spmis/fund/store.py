"""Tables of the social security fund capability (only this package touches them; others read
through ``spmis.fund.queries``).

* ``fund_employer``: an enterprise of the registry (``enterprise.id``) registered with the fund:
  employer number, sector, address, contact, the day its first worker was hired (the obligation
  starts then), the registration day and the 30-day deadline.
* ``fund_employer_user``: the staff accounts of role ``employer`` and the one enterprise each may
  act for (an employer sees that enterprise and nothing else).
* ``fund_affiliation``: a registry person (``person.id``) affiliated with the fund: a worker of an
  enterprise (start, end, position, wage and its currency; the 3-day declaration deadline), or a
  member of the voluntary health care scheme (self-employed, or a dependant of another
  affiliation). One person may hold several affiliations at once (several employers).
* ``fund_exchange_rate``: the riel rate of the US dollar the fund notifies for each month, with
  its source (the wages of that month paid in dollars are converted with it).
* ``fund_declaration`` and ``fund_declaration_line``: an employer's monthly declaration of its
  workers' wages, a draft until submitted; after submission only a correcting declaration
  (``sequence`` 2, 3, ..., ``corrects_id``) changes it, and every one is kept.
* ``fund_contribution``: ONE row per (month, employer, worker), with the contributory wages and
  the contribution of each scheme in its own columns (occupational risk, health care employer /
  worker, pension employer / worker), in riel; computed by the rules engine from the month's
  latest submitted declaration. The primary key makes a second run create nothing. On
  PostgreSQL it is partitioned by month (``spmis.fund.bulk``).
* ``fund_contribution_run``: each monthly run (a background job) and what it did.
* ``fund_invoice``: what an employer owes: the month's contributions (kind ``contribution``,
  due the 15th of the next month, with its KHQR string), the difference a correcting declaration
  makes (``adjustment``), a late surcharge (``surcharge``); ``paid`` is what allocations cover.
* ``fund_payment`` and ``fund_allocation``: money received from an employer and how it was spread
  over its debts, oldest first; what is left over stays ``unallocated`` (a credit).
* ``fund_outbox``: reminders to employers (Khmer and English) that a sender delivers later.
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.history import audit_columns

__all__ = [
    "fund_affiliation",
    "fund_allocation",
    "fund_contribution",
    "fund_contribution_run",
    "fund_declaration",
    "fund_declaration_line",
    "fund_employer",
    "fund_employer_user",
    "fund_exchange_rate",
    "fund_invoice",
    "fund_outbox",
    "fund_payment",
]

fund_employer = Table(
    "fund_employer",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # the registry's enterprise (read through spmis.registry.queries; no cross-package key)
    Column("enterprise_id", Id, nullable=False, unique=True),
    Column("employer_number", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("sector", String(40), nullable=False),
    Column("village_code", String(8), nullable=False, index=True),
    Column("address", String(300), nullable=False),
    Column("contact_name", String(200), nullable=False),
    Column("contact_phone", String(20)),
    Column("contact_email", String(200)),
    # the obligation to register starts when the first worker is hired
    Column("first_hire_date", Date, nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("registration_due", Date, nullable=False),
    Column("state", String(16), nullable=False, server_default=text("'active'")),
    *audit_columns(),
)

fund_employer_user = Table(
    "fund_employer_user",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("employer_id", Id, ForeignKey("fund_employer.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
)

fund_affiliation = Table(
    "fund_affiliation",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("person_id", Id, nullable=False, index=True),  # the registry's person
    # NULL for the voluntary health care scheme (self-employed members and dependants)
    Column("employer_id", Id, ForeignKey("fund_employer.id")),
    # 'employee', 'self_employed' or 'dependant'
    Column("kind", String(16), nullable=False),
    # 'formal' (every scheme through an employer) or 'voluntary_health'
    Column("scheme", String(24), nullable=False),
    # a dependant's member (the self-employed or employee affiliation it depends on)
    Column("principal_id", Id, ForeignKey("fund_affiliation.id")),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("declared_on", Date, nullable=False),
    Column("declaration_due", Date, nullable=False),
    Column("position", String(100)),
    # the wage agreed at hiring, smallest unit of ``currency`` (the monthly declarations say
    # what was paid)
    Column("wage", BigInteger),
    Column("currency", String(3), nullable=False, server_default=text("'KHR'")),
    *audit_columns(),
    Index("ix_fund_affiliation_employer_id_person_id", "employer_id", "person_id"),
)

fund_exchange_rate = Table(
    "fund_exchange_rate",
    metadata,
    Column("period", String(7), primary_key=True),  # 'YYYY-MM'
    Column("khr_per_usd", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("notified_on", Date, nullable=False),
    *audit_columns(),
)

fund_declaration = Table(
    "fund_declaration",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("employer_id", Id, ForeignKey("fund_employer.id"), nullable=False),
    Column("period", String(7), nullable=False),
    # 1: the month's declaration; 2, 3...: correcting declarations, each kept
    Column("sequence", SmallInteger, nullable=False),
    Column("corrects_id", Id, ForeignKey("fund_declaration.id")),
    Column("state", String(12), nullable=False),  # 'draft' or 'submitted'
    Column("source", String(8), nullable=False),  # 'upload', 'typed' or 'api'
    Column("filename", String(200)),
    # SHA-256 of the declared lines, sorted: an identical upload is recognised
    Column("content_hash", String(64), nullable=False),
    Column("workers", Integer, nullable=False),
    Column("wage_total", BigInteger, nullable=False),  # riel, after conversion
    Column("submitted_at", UTCDateTime()),
    Column("submitted_by", String(64)),
    *audit_columns(),
    UniqueConstraint("employer_id", "period", "sequence"),
)

fund_declaration_line = Table(
    "fund_declaration_line",
    metadata,
    Column("declaration_id", Id, ForeignKey("fund_declaration.id"), nullable=False),
    Column("person_id", Id, nullable=False),
    Column("affiliation_id", Id, ForeignKey("fund_affiliation.id"), nullable=False),
    Column("wage", BigInteger, nullable=False),  # as declared, smallest unit of ``currency``
    Column("currency", String(3), nullable=False),
    Column("wage_khr", BigInteger, nullable=False),  # converted with the month's notified rate
    PrimaryKeyConstraint("declaration_id", "person_id"),
)

fund_contribution_run = Table(
    "fund_contribution_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("period", String(7), nullable=False, index=True),
    Column("state", String(12), nullable=False),  # 'running', 'done' or 'failed'
    Column("job_id", Id),
    Column("employers", Integer, nullable=False, server_default=text("0")),
    Column("workers", Integer, nullable=False, server_default=text("0")),
    Column("invoices", Integer, nullable=False, server_default=text("0")),
    Column("amount", BigInteger, nullable=False, server_default=text("0")),
    Column("currency", String(3), nullable=False, server_default=text("'KHR'")),
    Column("seconds", Integer, nullable=False, server_default=text("0")),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("created_by", String(64), nullable=False),
)

fund_contribution = Table(
    "fund_contribution",
    metadata,
    Column("period", String(7), nullable=False),
    Column("employer_id", Id, nullable=False),
    Column("person_id", Id, nullable=False),
    Column("declaration_id", Id, nullable=False),
    Column("run_id", Id, nullable=False),
    Column("wage_khr", BigInteger, nullable=False),
    # contributory wages: occupational risk and health care (banded), pension (floor/ceiling)
    Column("base_occupational", BigInteger, nullable=False),
    Column("base_pension", BigInteger, nullable=False),
    Column("occupational_risk", BigInteger, nullable=False),
    Column("health_care_employer", BigInteger, nullable=False),
    Column("health_care_worker", BigInteger, nullable=False),
    Column("pension_employer", BigInteger, nullable=False),
    Column("pension_worker", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, server_default=text("'KHR'")),
    PrimaryKeyConstraint("period", "employer_id", "person_id"),
    # a member's statement reads every month of one person
    Index("ix_fund_contribution_person_id_period", "person_id", "period"),
    # PostgreSQL: one partition per month, attached by the month's first run (spmis.fund.bulk)
    postgresql_partition_by="LIST (period)",
)
# PostgreSQL: the rows of a month that has no partition of its own
event.listen(fund_contribution, "after_create", DDL(
    "CREATE TABLE fund_contribution_default PARTITION OF fund_contribution DEFAULT",
).execute_if(dialect="postgresql"))

fund_invoice = Table(
    "fund_invoice",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("employer_id", Id, ForeignKey("fund_employer.id"), nullable=False),
    Column("period", String(7), nullable=False),
    Column("kind", String(12), nullable=False),  # 'contribution', 'adjustment' or 'surcharge'
    Column("sequence", SmallInteger, nullable=False),
    Column("declaration_id", Id),
    Column("run_id", Id),
    Column("amount", BigInteger, nullable=False),
    Column("paid", BigInteger, nullable=False, server_default=text("0")),
    Column("currency", String(3), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("state", String(12), nullable=False),  # 'open', 'partly_paid', 'paid'
    *audit_columns(),
    UniqueConstraint("employer_id", "period", "kind", "sequence"),
    Index("ix_fund_invoice_employer_id_state_due_date", "employer_id", "state", "due_date"),
)

fund_payment = Table(
    "fund_payment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("employer_id", Id, ForeignKey("fund_employer.id"), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("unallocated", BigInteger, nullable=False),
    *audit_columns(),
    UniqueConstraint("employer_id", "reference"),
)

fund_allocation = Table(
    "fund_allocation",
    metadata,
    Column("payment_id", Id, ForeignKey("fund_payment.id"), nullable=False),
    Column("invoice_id", Id, ForeignKey("fund_invoice.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("payment_id", "invoice_id"),
)

fund_outbox = Table(
    "fund_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event", String(24), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("employer_id", Id, ForeignKey("fund_employer.id"), nullable=False),
    Column("invoice_id", Id, ForeignKey("fund_invoice.id")),
    Column("text_en", Text, nullable=False),
    Column("text_km", Text, nullable=False),
    Column("state", String(12), nullable=False, server_default=text("'queued'")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Index("ix_fund_outbox_state_id", "state", "id"),
)
