"""registry: leaner indexes - prefix search on the village code, partial indexes where most rows
have nothing to find

Every index kept here is one a query uses. Index upkeep is close to half of the database's work
in a bulk import; the indexes dropped were paid for on every insert and used by no query:

- household: area search and scope are prefix tests on ``village_code`` (codes nest), served by
  its index once the column has collation "C" on PostgreSQL (with the database's default
  collation a btree index cannot serve ``LIKE '1201%'``); the indexes on the derived commune,
  district and province codes go.
- person: ``enterprise_id`` is indexed only where it is set; ``name_key`` is searched with
  ``LIKE '%token%'``, which a btree index cannot serve, so its index goes.
- person_identifier: look-ups of every type but phone are served by the unique owner index
  (``uq_person_identifier_owner``, partial: id_type <> 'phone'); phones get a partial index of
  their own, and the full (id_type, value_hash) index goes.

Uniqueness rules and foreign keys are unchanged.

Revision ID: 0006_registry_indexes
Revises: 0005_interop
Create Date: 2026-11-22 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006_registry_indexes'
down_revision = '0005_interop'
branch_labels = None
depends_on = None

CODE8 = sa.String(length=8).with_variant(sa.String(length=8, collation='C'), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('ix_household_province_code')
        batch_op.drop_index('ix_household_district_code')
        batch_op.drop_index('ix_household_commune_code')
    if op.get_bind().dialect.name == 'postgresql':
        # SQLite compares with its binary collation already; PostgreSQL rebuilds the index
        op.alter_column('household', 'village_code', type_=CODE8,
                        existing_type=sa.String(length=8), existing_nullable=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_name_key')
        batch_op.drop_index('ix_person_enterprise_id')
        batch_op.create_index('ix_person_enterprise_id', ['enterprise_id'], unique=False,
                              sqlite_where=sa.text('enterprise_id IS NOT NULL'),
                              postgresql_where=sa.text('enterprise_id IS NOT NULL'))

    with op.batch_alter_table('person_identifier', schema=None) as batch_op:
        batch_op.drop_index('ix_person_identifier_lookup')
        batch_op.create_index('ix_person_identifier_phone', ['value_hash'], unique=False,
                              sqlite_where=sa.text("id_type = 'phone'"),
                              postgresql_where=sa.text("id_type = 'phone'"))


def downgrade() -> None:
    with op.batch_alter_table('person_identifier', schema=None) as batch_op:
        batch_op.drop_index('ix_person_identifier_phone')
        batch_op.create_index('ix_person_identifier_lookup', ['id_type', 'value_hash'],
                              unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_enterprise_id')
        batch_op.create_index('ix_person_enterprise_id', ['enterprise_id'], unique=False)
        batch_op.create_index('ix_person_name_key', ['name_key'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('household', 'village_code', type_=sa.String(length=8),
                        existing_type=CODE8, existing_nullable=False)
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index('ix_household_commune_code', ['commune_code'], unique=False)
        batch_op.create_index('ix_household_district_code', ['district_code'], unique=False)
        batch_op.create_index('ix_household_province_code', ['province_code'], unique=False)
