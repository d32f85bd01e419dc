"""Tables of the payments capability (only this package touches them; others read through
``spmis.payments.queries``).

* ``payment_provider``: who pays out (a bank, a wallet, Cambodia Post); layouts and accounts are
  added by the providers' part.
* ``programme``, ``programme_provider``, ``programme_budget``: programmes as data, their payment
  providers and a budget per fiscal year (integer smallest unit + currency).
* ``enrolment_run``: candidates taken from a pinned evaluation run, with their counts; decided
  by an approver other than the maker.
* ``beneficiary``: one row per programme and entity (household or person) ever considered; its
  state history is in ``change_log`` (entity type 'beneficiary').
* ``payment_cycle`` and ``entitlement``: a programme's month, pinned to the evaluation run it used,
  and its lines: ONE row per (beneficiary, programme, period, component), the unique key that
  makes a second run create nothing and a double payment impossible.
* ``shock`` and ``shock_commune``: a declared shock and where it struck.
* ``notification_outbox``: texts to send (enrolled, payment sent or failed, exit), in Khmer and
  English; a sender delivers them.
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
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.history import audit_columns

__all__ = [
    "beneficiary",
    "enrolment_run",
    "entitlement",
    "notification_outbox",
    "payment_cycle",
    "payment_provider",
    "programme",
    "programme_budget",
    "programme_provider",
    "shock",
    "shock_commune",
]

payment_provider = Table(
    "payment_provider",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name_en", String(200), nullable=False),
    Column("name_km", String(200), nullable=False),
    *audit_columns(),
)

programme = Table(
    "programme",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name_en", String(200), nullable=False),
    Column("name_km", String(200), nullable=False),
    Column("kind", String(24), nullable=False),
    # the catalogue programme whose evaluation results give the amount, and its variable
    Column("rules_programme", String(40), nullable=False),
    Column("rules_variable", String(80), nullable=False),
    Column("entity", String(10), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("frequency", String(16), nullable=False),
    # an NCDD code prefix: '' the whole country
    Column("target_area", String(8), nullable=False, server_default=text("''")),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("state", String(16), nullable=False),
    *audit_columns(),
)

programme_provider = Table(
    "programme_provider",
    metadata,
    Column("programme_id", Id, ForeignKey("programme.id"), nullable=False),
    Column("provider_id", Id, ForeignKey("payment_provider.id"), nullable=False),
    PrimaryKeyConstraint("programme_id", "provider_id"),
)

programme_budget = Table(
    "programme_budget",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("programme_id", Id, ForeignKey("programme.id"), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("legal_reference", Text, nullable=False),
    *audit_columns(),
    UniqueConstraint("programme_id", "fiscal_year"),
)

shock = Table(
    "shock",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name_en", String(200), nullable=False),
    Column("name_km", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    # top-up: the programme whose beneficiaries get it; expansion: the programme whose rule
    # the households must meet and that pays them
    Column("programme_id", Id, ForeignKey("programme.id"), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    # top-up amount a month (smallest unit); NULL for an expansion (the rules give it)
    Column("amount", BigInteger),
    Column("currency", String(3), nullable=False),
    Column("legal_reference", Text, nullable=False),
    Column("state", String(16), nullable=False),
    # an expansion's evaluation of the shock's households (its pinned run)
    Column("evaluation_run_id", Id),
    Column("households", Integer, nullable=False, server_default=text("0")),
    Column("cost", BigInteger, nullable=False, server_default=text("0")),
    Column("approval_request_id", Id),
    *audit_columns(),
)

shock_commune = Table(
    "shock_commune",
    metadata,
    Column("shock_id", Id, ForeignKey("shock.id"), nullable=False),
    Column("commune_code", String(6), nullable=False),
    PrimaryKeyConstraint("shock_id", "commune_code"),
)

enrolment_run = Table(
    "enrolment_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("programme_id", Id, ForeignKey("programme.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # 'run' or 'application'
    Column("evaluation_run_id", Id),  # NULL for an application (evaluated on its own)
    Column("period", String(7), nullable=False),
    Column("state", String(16), nullable=False),
    Column("candidates", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    # counts and amounts by province, commune and sex
    Column("summary", JSON, nullable=False),
    Column("approval_request_id", Id),
    *audit_columns(),
)

beneficiary = Table(
    "beneficiary",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("programme_id", Id, nullable=False),
    Column("entity", String(10), nullable=False),  # 'household' or 'person'
    Column("entity_id", Id, nullable=False),
    Column("household_id", Id, nullable=False),
    Column("state", String(16), nullable=False),
    Column("state_reason", String(32)),
    Column("source", String(16), nullable=False),  # 'run', 'application', 'shock'
    # no foreign keys: every writer takes these ids from the row it has just read, inserted or
    # locked, and nothing is ever deleted; a per-row check cost 4.6 of an enrolment run's
    # 10.5 s at 1,000,000 households (bench/payroll.py)
    Column("enrolment_run_id", Id),
    Column("shock_id", Id),
    Column("enrolled_on", Date),
    Column("exited_on", Date),
    Column("temporary_until", Date),
    *audit_columns(),
    UniqueConstraint("programme_id", "entity_id"),
    Index("ix_beneficiary_household_id", "household_id"),
    # room on each page: an approval's state change of every candidate stays on its page (a
    # HOT update, no index entries written)
    postgresql_with={"fillfactor": 50},
)

payment_cycle = Table(
    "payment_cycle",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("programme_id", Id, ForeignKey("programme.id"), nullable=False),
    Column("period", String(7), nullable=False),
    Column("sequence", SmallInteger, nullable=False),  # 1; 2+ are supplementary cycles
    # None for the pension payroll: its amounts were fixed when each pension was approved
    Column("evaluation_run_id", Id),
    Column("state", String(20), nullable=False),
    Column("lines", Integer, nullable=False, server_default=text("0")),
    Column("amount", BigInteger, nullable=False, server_default=text("0")),
    Column("currency", String(3), nullable=False),
    Column("approval_request_id", Id),
    Column("job_id", Id),
    *audit_columns(),
    UniqueConstraint("programme_id", "period", "sequence"),
)

# fixed-width columns first: PostgreSQL packs the row without alignment padding
entitlement = Table(
    "entitlement",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # no foreign keys, as on the beneficiary: a cycle's lines are inserted set-based from the
    # beneficiaries they join and the cycle row locked for the run (a retry moves a line to a
    # cycle it has read); the per-row checks were 11 of the 15 s of a cycle's INSERT
    Column("cycle_id", Id, nullable=False),
    # the cycle whose payroll carries the line now (a retry moves it to a later cycle)
    Column("payroll_cycle_id", Id, nullable=False),
    Column("programme_id", Id, nullable=False),
    Column("beneficiary_id", Id, nullable=False),
    Column("household_id", Id, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("settled_on", Date),
    Column("attempt", SmallInteger, nullable=False, server_default=text("1")),
    Column("period", String(7), nullable=False),
    Column("component", String(24), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("state", String(12), nullable=False),
    Column("province_code", String(2), nullable=False),
    Column("commune_code", String(6), nullable=False),
    Column("recipient_sex", String(1), nullable=False),
    Column("state_reason", Text),
    UniqueConstraint("beneficiary_id", "programme_id", "period", "component"),
    Index("ix_entitlement_cycle_id", "cycle_id"),
    Index("ix_entitlement_payroll_cycle_id", "payroll_cycle_id"),
    Index("ix_entitlement_household_id", "household_id"),
    # room on each page: the approval's state change of every line is a HOT update
    postgresql_with={"fillfactor": 50},
)

notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event", String(24), nullable=False),  # enrolled, payment_sent, payment_failed, exit
    Column("channel", String(8), nullable=False),  # sms, letter
    Column("household_id", Id, nullable=False),
    Column("beneficiary_id", Id),
    Column("programme_id", Id),
    Column("text_en", Text, nullable=False),
    Column("text_km", Text, nullable=False),
    Column("state", String(12), nullable=False, server_default=text("'queued'")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Index("ix_notification_outbox_state_id", "state", "id"),
)
