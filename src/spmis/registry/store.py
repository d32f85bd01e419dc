"""Registry tables (SQLAlchemy Core) and the queries the service needs.

Design notes:
- Nothing is deleted: records carry ``status`` and ``version``; every change writes a
  ``change_log`` row (who, when, what changed, why; ``spmis.db.history``).
- A household's area codes (province/district/commune/village) are stored with it (exports,
  interoperability, rules), but scope filtering and area search are prefix tests on
  ``village_code`` alone (``village_code LIKE '1201%'``): codes nest, so the village code starts
  with the codes of its commune, district and province. On PostgreSQL the column has collation
  "C", so that one btree index serves both equality and prefix search whatever the database's
  collation; no index on the derived codes.
- ``consent``: consent events per person and purpose (given / withdrawn); the latest event
  wins (``queries.consented``).
- ``link_merge`` and ``link_merge_identifier``: merges of duplicate people and the identifiers
  each moved, so a merge can be undone exactly (``merges``).
- Identifiers live in ``person_identifier``: national ID and phone only as AES-GCM ciphertext plus a
  keyed hash (``value_hash``) for exact look-up; the others also keep their clear value.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    bindparam,
    text,
)

from spmis.db.base import Id, UTCDateTime, metadata
from spmis.db.encrypted import EncryptedColumn
from spmis.db.history import audit_columns

#: an 8-digit area code searched by prefix: collation "C" on PostgreSQL, so that a plain btree
#: index serves ``LIKE '1201%'`` (with the database's default collation it cannot)
CODE8 = String(8).with_variant(String(8, collation="C"), "postgresql")


household = Table(
    "household",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("external_key", String(100), unique=True),
    Column("village_code", CODE8, nullable=False, index=True),
    Column("commune_code", String(6), nullable=False),
    Column("district_code", String(4), nullable=False),
    Column("province_code", String(2), nullable=False),
    Column("address_detail", String(200)),
    Column("idpoor_level", SmallInteger),
    Column("idpoor_card_number", String(32)),
    Column("idpoor_valid_from", Date),
    Column("idpoor_valid_to", Date),
    Column("status", String(16), nullable=False, server_default=text("'active'")),
    *audit_columns(),
)

enterprise = Table(
    "enterprise",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("external_key", String(100), unique=True),
    Column("name_latin", String(200), nullable=False),
    Column("name_km", String(200)),
    Column("nssf_employer_number", String(32), unique=True),
    Column("moc_registration_number", String(32), unique=True),
    Column("tax_id", String(32), unique=True),
    Column("village_code", String(8), nullable=False, index=True),
    Column("commune_code", String(6), nullable=False),
    Column("district_code", String(4), nullable=False),
    Column("province_code", String(2), nullable=False, index=True),
    Column("sector", String(1)),
    Column("size_workers", Integer),
    Column("status", String(16), nullable=False, server_default=text("'active'")),
    *audit_columns(),
)

person = Table(
    "person",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("external_key", String(100), unique=True),
    Column("household_id", Id, ForeignKey("household.id"), nullable=False, index=True),
    Column("relationship", String(24), nullable=False),
    Column("family_name_km", String(100)),
    Column("given_name_km", String(100)),
    Column("family_name_latin", String(100)),
    Column("given_name_latin", String(100)),
    Column("name_key", String(200), nullable=False),
    Column("name_skeleton", String(200), nullable=False),
    Column("name_km_key", String(200), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("dob_estimated", Boolean, nullable=False, server_default=text("false")),
    Column("disability", Boolean, nullable=False, server_default=text("false")),
    Column("functional_difficulties", String(100)),
    Column("pregnant", Boolean, nullable=False, server_default=text("false")),
    Column("expected_delivery_date", Date),
    Column("occupation", String(100)),
    Column("employment_type", String(16), nullable=False, server_default=text("'none'")),
    Column("enterprise_id", Id, ForeignKey("enterprise.id")),
    Column("status", String(16), nullable=False, server_default=text("'active'")),
    Column("merged_into_id", Id, ForeignKey("person.id")),
    *audit_columns(),
    # most people have no employer: only the rows that have one are indexed
    Index(
        "ix_person_enterprise_id",
        "enterprise_id",
        sqlite_where=text("enterprise_id IS NOT NULL"),
        postgresql_where=text("enterprise_id IS NOT NULL"),
    ),
    Index(
        "uq_person_one_head",
        "household_id",
        unique=True,
        sqlite_where=text("relationship = 'head' AND status = 'active'"),
        postgresql_where=text("relationship = 'head' AND status = 'active'"),
    ),
)

person_identifier = Table(
    "person_identifier",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("person_id", Id, ForeignKey("person.id"), nullable=False),
    Column("id_type", String(24), nullable=False),
    Column("value_hash", String(64), nullable=False),
    Column("value_enc", LargeBinary),
    Column("value_clear", String(64)),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("uq_person_identifier_person_type", "person_id", "id_type", unique=True),
    # look-up by keyed hash: every type but phone through the unique owner index (one owner
    # each), phones (shared within a family) through their own index
    Index(
        "uq_person_identifier_owner",
        "id_type",
        "value_hash",
        unique=True,
        sqlite_where=text("id_type <> 'phone'"),
        postgresql_where=text("id_type <> 'phone'"),
    ),
    Index(
        "ix_person_identifier_phone",
        "value_hash",
        sqlite_where=text("id_type = 'phone'"),
        postgresql_where=text("id_type = 'phone'"),
    ),
)



def identifier_match(id_type: str, hashes: str | Sequence[str]) -> ColumnElement[bool]:
    """``person_identifier`` rows of ``id_type`` with the keyed hash ``hashes`` (one or several).
    The type is written into the SQL as a constant, not sent as a parameter, so that PostgreSQL
    always picks the partial index for it (the unique owner index, or the phone index) even
    when it reuses a generic plan."""
    kind = bindparam(None, id_type, type_=String(24), literal_execute=True)
    if isinstance(hashes, str):
        return and_(person_identifier.c.id_type == kind, person_identifier.c.value_hash == hashes)
    return and_(person_identifier.c.id_type == kind,
                person_identifier.c.value_hash.in_(list(hashes)))


consent = Table(
    "consent",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("person_id", Id, ForeignKey("person.id"), nullable=False),
    Column("purpose", String(48), nullable=False),
    Column("status", String(16), nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("note", Text),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Index("ix_consent_person_purpose", "person_id", "purpose", "id"),
)

#: merges of duplicate people (``spmis.registry.merges``). The tables keep the names they had
#: when record linkage owned them; ``run_id`` and ``review_id`` say which deduplication run or
#: review proposed the merge.
link_merge = Table(
    "link_merge",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("batch_key", String(36), nullable=False, index=True),
    Column("survivor_id", Id, ForeignKey("person.id"), nullable=False, index=True),
    Column("merged_id", Id, ForeignKey("person.id"), nullable=False, index=True),
    Column("method", String(16), nullable=False),
    Column("run_id", Id, ForeignKey("link_run.id")),
    Column("review_id", Id, ForeignKey("link_review.id")),
    Column("match_probability", Float),
    Column("status", String(16), nullable=False, server_default=text("'merged'")),
    Column("merged_at", UTCDateTime(), nullable=False),
    Column("merged_by", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("undone_at", UTCDateTime()),
    Column("undone_by", String(64)),
    Column("undo_reason", Text),
)

link_merge_identifier = Table(
    "link_merge_identifier",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("merge_id", Id, ForeignKey("link_merge.id"), nullable=False, index=True),
    Column("identifier_id", Id, ForeignKey("person_identifier.id"), nullable=False),
    Column("id_type", String(24), nullable=False),
    Column("value_hash", String(64), nullable=False),
    Column("from_person_id", Id, ForeignKey("person.id"), nullable=False),
    Column("to_person_id", Id, ForeignKey("person.id"), nullable=False),
)

import_batch = Table(
    "import_batch",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("started_by", String(64), nullable=False),
    Column("rows_read", Integer, nullable=False, server_default=text("0")),
    Column("rows_created", Integer, nullable=False, server_default=text("0")),
    Column("rows_unchanged", Integer, nullable=False, server_default=text("0")),
    Column("rows_rejected", Integer, nullable=False, server_default=text("0")),
)

#: area codes stored with a household or enterprise but derived from its village code (the first
#: 2, 4 and 6 digits); a record's creation entry in ``change_log`` leaves them out
DERIVED_AREA_CODES = ("province_code", "district_code", "commune_code")

PERSON_FIELDS = (
    "family_name_km",
    "given_name_km",
    "family_name_latin",
    "given_name_latin",
    "sex",
    "date_of_birth",
    "dob_estimated",
    "disability",
    "functional_difficulties",
    "pregnant",
    "expected_delivery_date",
    "occupation",
    "employment_type",
    "enterprise_id",
)
HOUSEHOLD_FIELDS = (
    "village_code",
    "address_detail",
    "idpoor_level",
    "idpoor_card_number",
    "idpoor_valid_from",
    "idpoor_valid_to",
)
ENTERPRISE_FIELDS = (
    "name_latin",
    "name_km",
    "nssf_employer_number",
    "moc_registration_number",
    "tax_id",
    "village_code",
    "sector",
    "size_workers",
)


#: every encrypted column, for key rotation (``spmis keys rotate``); an identifier is sealed
#: with its type as the encryption context
ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(person_identifier, "value_enc", lambda row: str(row["id_type"]),
                    ("id_type",)),
)
