"""Tables of the community review and of equity cards (only ``spmis.targeting`` touches them;
docs/targeting.md, "Community review and equity cards").

* ``targeting_list``: one commune's list of one round: its status (``draft``, ``posted``,
  ``approved``, ``issued``; ``review_model.ListStatus``), when and by whom it was posted and until
  when objections are taken, who approved it, the card-issuing job and how many cards it issued.
  Versioned: entity type ``targeting_list``; every change of the list (an entry added or
  removed, posting, approval, issue) is an entry of its history.
* ``targeting_list_entry``: a household on a list (or taken off it: ``included`` false), its
  level, its village (for scope and the village posting lists), the assessment it was scored
  by (none for a household added by review), why it is there (``score`` or ``added``) and the
  reason of the last change. Versioned: entity type ``targeting_entry``.
* ``targeting_list_change``: a requested change of a list (add a household with its level, or
  remove one, with the reason) and the maker-checker request (``approval_request``) that decides
  it; the request's status is the change's.
* ``targeting_objection``: an objection to a posted list: the grievance it was filed as (the
  grievance queue follows it up), its kind and the household it names, if any.
* ``equity_card``: an equity card: its random number (unique), the household, the list and
  round that issued it, the level, validity dates and status (``issued``, or ``replaced`` by a
  later round's card, ``replaced_by``). Versioned: entity type ``equity_card``.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.history import audit_columns

#: a village code, compared byte-wise on PostgreSQL so that a scope prefix is an index range
CODE8 = String(8).with_variant(String(8, collation="C"), "postgresql")

__all__ = ["equity_card", "targeting_list", "targeting_list_change", "targeting_list_entry",
           "targeting_objection"]

targeting_list = Table(
    "targeting_list",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("round_id", Id, ForeignKey("targeting_round.id"), nullable=False),
    Column("commune_code", String(6), nullable=False),
    Column("status", String(12), nullable=False),
    Column("posted_on", Date),
    Column("objections_until", Date),
    Column("posted_by", String(64)),
    Column("approved_by", String(64)),
    Column("approved_at", UTCDateTime()),
    Column("issue_job_id", Id),
    Column("cards_issued", Integer),
    *audit_columns(),
    UniqueConstraint("round_id", "commune_code"),
)

targeting_list_entry = Table(
    "targeting_list_entry",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("list_id", Id, ForeignKey("targeting_list.id"), nullable=False),
    Column("household_id", Id, nullable=False),
    Column("village_code", CODE8, nullable=False),
    Column("assessment_id", Id),
    Column("level", SmallInteger, nullable=False),
    Column("source", String(8), nullable=False),
    Column("included", Boolean, nullable=False),
    Column("change_reason", Text),
    *audit_columns(),
    UniqueConstraint("list_id", "household_id"),
    Index("ix_targeting_list_entry_list_village", "list_id", "village_code"),
)

targeting_list_change = Table(
    "targeting_list_change",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("list_id", Id, ForeignKey("targeting_list.id"), nullable=False),
    Column("household_id", Id, nullable=False),
    Column("action", String(8), nullable=False),
    Column("level", SmallInteger),
    Column("reason", Text, nullable=False),
    Column("request_id", Id, nullable=False, unique=True),
    Column("made_by", String(64), nullable=False),
    Column("made_at", UTCDateTime(), nullable=False),
    Index("ix_targeting_list_change_list", "list_id"),
)

targeting_objection = Table(
    "targeting_objection",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("list_id", Id, ForeignKey("targeting_list.id"), nullable=False),
    Column("grievance_id", Id, nullable=False),
    Column("ticket", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("household_id", Id),
    Column("made_by", String(64), nullable=False),
    Column("made_at", UTCDateTime(), nullable=False),
    Index("ix_targeting_objection_list", "list_id"),
)

equity_card = Table(
    "equity_card",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("card_number", String(20), nullable=False, unique=True),
    Column("household_id", Id, nullable=False),
    Column("list_id", Id, ForeignKey("targeting_list.id"), nullable=False),
    Column("round_id", Id, nullable=False),
    Column("commune_code", String(6), nullable=False),
    Column("village_code", CODE8, nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("status", String(10), nullable=False),
    Column("replaced_by", Id),
    *audit_columns(),
    Index("ix_equity_card_household", "household_id"),
    Index("ix_equity_card_list", "list_id"),
)
