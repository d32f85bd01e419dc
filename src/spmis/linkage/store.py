"""Tables of registry record linkage: deduplication runs, their scored pairs, the clerical review
queue, and merges (with the identifiers each merge moved, so a merge can be undone exactly).

- ``link_run``: one row per deduplication run: who, when, thresholds, counts, the trained
  Splink model (JSON) so a decision can be explained and reproduced later.
- ``link_candidate``: every pair a run scored at or above its review threshold: probability,
  weight, which fields agreed (``reasons``), which identifiers conflict, and what the run
  decided (``auto_merge``, ``review``, ``blocked``: a conflicting identifier or an earlier
  human decision stopped an automatic merge).
- ``link_review``: the clerical review queue, one row per pair of people ever (unique), so
  re-running a deduplication never queues the same pair twice. Status ``pending`` ->
  ``awaiting_approval`` (a clerk accepted; an approver must approve: maker-checker) ->
  ``merged``; or ``rejected`` (not the same person; also set when a merge is undone, so the
  pair is not merged again automatically).

Merges themselves (``link_merge``, ``link_merge_identifier``) are registry records: the registry
performs and undoes them (``spmis.registry.merges``); linkage reads them through
``spmis.registry.queries``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from spmis.db.base import Id, UTCDateTime, metadata

link_run = Table(
    "link_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("started_by", String(64), nullable=False),
    Column("scope", String(8), nullable=False, server_default=text("''")),
    Column("auto_merge_threshold", Float, nullable=False),
    Column("review_threshold", Float, nullable=False),
    Column("records", Integer, nullable=False, server_default=text("0")),
    Column("pairs_scored", BigInteger, nullable=False, server_default=text("0")),
    Column("candidates", Integer, nullable=False, server_default=text("0")),
    Column("auto_merged", Integer, nullable=False, server_default=text("0")),
    Column("queued", Integer, nullable=False, server_default=text("0")),
    Column("blocked", Integer, nullable=False, server_default=text("0")),
    Column("model", JSON),
    Column("notes", JSON),
)

link_candidate = Table(
    "link_candidate",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", Id, ForeignKey("link_run.id"), nullable=False),
    Column("person_id_l", Id, ForeignKey("person.id"), nullable=False),
    Column("person_id_r", Id, ForeignKey("person.id"), nullable=False),
    Column("match_probability", Float, nullable=False),
    Column("match_weight", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("conflicts", JSON, nullable=False),
    Column("decision", String(16), nullable=False),
    Index("ix_link_candidate_run", "run_id", "decision"),
    Index("ix_link_candidate_pair", "person_id_l", "person_id_r"),
)

link_review = Table(
    "link_review",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("person_id_l", Id, ForeignKey("person.id"), nullable=False),
    Column("person_id_r", Id, ForeignKey("person.id"), nullable=False),
    Column("first_run_id", Id, ForeignKey("link_run.id")),
    Column("last_run_id", Id, ForeignKey("link_run.id")),
    Column("match_probability", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("conflicts", JSON, nullable=False),
    Column("area_code_l", String(8), nullable=False),
    Column("area_code_r", String(8), nullable=False),
    Column("status", String(24), nullable=False, server_default=text("'pending'")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime()),
    Column("decided_by", String(64)),
    Column("decision_reason", Text),
    Column("approval_request_id", Id),
    Column("merge_id", Id),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Index("uq_link_review_pair", "person_id_l", "person_id_r", unique=True),
    Index("ix_link_review_status", "status", "area_code_l"),
)

#: review statuses
PENDING, AWAITING, MERGED, REJECTED = "pending", "awaiting_approval", "merged", "rejected"
REVIEW_STATUSES = (PENDING, AWAITING, MERGED, REJECTED)
