"""Tables of the targeting capability (identifying poor households; only this package touches
them; others read through ``spmis.targeting.queries``).

* ``targeting_round``: an assessment round: a code, its kind (``village``: every village of its
  area; ``on_demand``: households that ask at the commune office), the area it covers (a code
  prefix, '' the whole country), the dates it is open and its **parameter date**, the day whose
  scoring parameters (items' points, the Level 1 and Level 2 cut-offs) score it, so that a past
  round is recomputed with its own parameters. Status ``open`` or ``closed``. Versioned.
* ``targeting_assessment``: one questionnaire for one household in one round: the answers (JSON
  text: item name -> answer code or number, as the XLSForm names them), the OpenRosa instance id
  (unique: the same submission sent twice is one assessment), the form id and version it was
  filled in, the enumerator (a staff user name), when it was filled in and received, the
  household's village and commune when it was received (for scope), the channel (``odk`` or
  ``office``) and the status as stored (``draft`` when received; the community review adds its
  own). ``scored`` is not written here: a draft with a score reads as ``scored`` through
  ``queries`` (marking a million rows would rewrite each of them, for nothing a score row does
  not already say). Versioned: entity type ``assessment`` (``targeting_round`` for rounds).
* ``targeting_scoring``: one scoring of a round (a background job): the parameter date used, how
  many assessments it scored, when, by whom.
* ``targeting_score``: the latest score of an assessment: the total, the points of each item
  (JSON text: item -> points), the level (1: Poor Level 1, 2: Poor Level 2, 0: not poor), the
  parameter date and the scoring that computed it. Scores are derived data: a rescoring
  replaces them, and the scoring row says which run computed them. They are written only by the
  scoring, in the transaction that read the assessments (which are never deleted), so they carry
  no foreign keys: checking a million keys one by one made writing them six times slower.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.history import audit_columns

#: a village code, compared byte-wise on PostgreSQL so that a scope prefix is an index range
CODE8 = String(8).with_variant(String(8, collation="C"), "postgresql")

__all__ = ["targeting_assessment", "targeting_round", "targeting_score", "targeting_scoring"]

targeting_round = Table(
    "targeting_round",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(24), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("area_code", String(8), nullable=False),
    Column("parameter_date", Date, nullable=False),
    Column("opens_on", Date, nullable=False),
    Column("closes_on", Date, nullable=False),
    Column("status", String(12), nullable=False),
    *audit_columns(),
)

targeting_assessment = Table(
    "targeting_assessment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("round_id", Id, ForeignKey("targeting_round.id"), nullable=False),
    Column("household_id", Id, nullable=False),
    Column("village_code", CODE8, nullable=False),
    Column("commune_code", String(6), nullable=False),
    Column("instance_id", String(64), nullable=False, unique=True),
    Column("form_id", String(64), nullable=False),
    Column("form_version", String(32), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("enumerator", String(64), nullable=False),
    Column("submitted_at", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("answers", Text, nullable=False),
    Column("status", String(12), nullable=False),
    *audit_columns(),
    Index("ix_targeting_assessment_round_village", "round_id", "village_code"),
    Index("ix_targeting_assessment_household", "household_id"),
)

targeting_scoring = Table(
    "targeting_scoring",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("round_id", Id, ForeignKey("targeting_round.id"), nullable=False),
    Column("parameter_date", Date, nullable=False),
    Column("assessments", Integer, nullable=False),
    Column("scored_at", UTCDateTime(), nullable=False),
    Column("scored_by", String(64), nullable=False),
    Column("job_id", Id),
    Index("ix_targeting_scoring_round", "round_id"),
)

targeting_score = Table(
    "targeting_score",
    metadata,
    Column("assessment_id", Id, primary_key=True),
    Column("round_id", Id, nullable=False),
    Column("scoring_id", Id, nullable=False),
    Column("total", Integer, nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("points", Text, nullable=False),
    Column("parameter_date", Date, nullable=False),
    Index("ix_targeting_score_round_level", "round_id", "level"),
)
