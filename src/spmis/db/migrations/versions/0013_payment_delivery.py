"""payments: delivery - provider file layouts, payment accounts (encrypted), reconciliation files
and their lines, programme conditions and compliance events (issue 14)

New tables only.

Revision ID: 0013_payment_delivery
Revises: 0012_public_rate_bucket
Create Date: 2026-12-06 00:36:37.107045
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013_payment_delivery'
down_revision = '0012_public_rate_bucket'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('compliance_event',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('person_id', ID, nullable=False),
    sa.Column('household_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('facility', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_event')),
    sa.UniqueConstraint('person_id', 'kind', 'event_date', name=op.f('uq_compliance_event_person_id_kind_event_date'))
    )
    with op.batch_alter_table('compliance_event', schema=None) as batch_op:
        batch_op.create_index('ix_compliance_event_household_id', ['household_id', 'kind'], unique=False)

    op.create_table('programme_condition',
    sa.Column('programme_id', ID, nullable=False),
    sa.Column('component', sa.String(length=24), nullable=False),
    sa.Column('event_kind', sa.String(length=24), nullable=False),
    sa.Column('legal_reference', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_programme_condition_programme_id_programme')),
    sa.PrimaryKeyConstraint('programme_id', 'component', name=op.f('pk_programme_condition'))
    )
    op.create_table('provider_layout',
    sa.Column('provider_id', ID, nullable=False),
    sa.Column('account_type', sa.String(length=16), nullable=False),
    sa.Column('takes_khqr', sa.Boolean(), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=False),
    sa.Column('delimiter', sa.String(length=1), nullable=False),
    sa.Column('date_format', sa.String(length=16), nullable=False),
    sa.Column('payroll_columns', sa.JSON(), nullable=False),
    sa.Column('result_columns', sa.JSON(), nullable=False),
    sa.Column('status_words', sa.JSON(), nullable=False),
    sa.Column('khqr_city', sa.String(length=15), nullable=False),
    sa.Column('example', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['payment_provider.id'], name=op.f('fk_provider_layout_provider_id_payment_provider')),
    sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_provider_layout'))
    )
    op.create_table('reconciliation',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('cycle_id', ID, nullable=False),
    sa.Column('provider_id', ID, nullable=False),
    sa.Column('job_id', ID, nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('paid', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('amount_paid', sa.BigInteger(), nullable=False),
    sa.Column('problems', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['payment_cycle.id'], name=op.f('fk_reconciliation_cycle_id_payment_cycle')),
    sa.ForeignKeyConstraint(['provider_id'], ['payment_provider.id'], name=op.f('fk_reconciliation_provider_id_payment_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation'))
    )
    with op.batch_alter_table('reconciliation', schema=None) as batch_op:
        batch_op.create_index('ix_reconciliation_cycle_id', ['cycle_id', 'id'], unique=False)

    op.create_table('payment_account',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('beneficiary_id', ID, nullable=False),
    sa.Column('provider_id', ID, nullable=False),
    sa.Column('holder_person_id', ID, nullable=False),
    sa.Column('account_enc', sa.LargeBinary(), nullable=False),
    sa.Column('account_hash', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiary.id'], name=op.f('fk_payment_account_beneficiary_id_beneficiary')),
    sa.ForeignKeyConstraint(['provider_id'], ['payment_provider.id'], name=op.f('fk_payment_account_provider_id_payment_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_account')),
    sa.UniqueConstraint('beneficiary_id', 'provider_id', name=op.f('uq_payment_account_beneficiary_id_provider_id'))
    )
    with op.batch_alter_table('payment_account', schema=None) as batch_op:
        batch_op.create_index('ix_payment_account_provider_id', ['provider_id', 'beneficiary_id'], unique=False)

    op.create_table('reconciliation_line',
    sa.Column('reconciliation_id', ID, nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('entitlement_id', ID, nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['reconciliation_id'], ['reconciliation.id'], name=op.f('fk_reconciliation_line_reconciliation_id_reconciliation')),
    sa.PrimaryKeyConstraint('reconciliation_id', 'line_no', name=op.f('pk_reconciliation_line'))
    )
    with op.batch_alter_table('reconciliation_line', schema=None) as batch_op:
        batch_op.create_index('ix_reconciliation_line_entitlement_id', ['entitlement_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reconciliation_line', schema=None) as batch_op:
        batch_op.drop_index('ix_reconciliation_line_entitlement_id')

    op.drop_table('reconciliation_line')
    with op.batch_alter_table('payment_account', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_account_provider_id')

    op.drop_table('payment_account')
    with op.batch_alter_table('reconciliation', schema=None) as batch_op:
        batch_op.drop_index('ix_reconciliation_cycle_id')

    op.drop_table('reconciliation')
    op.drop_table('provider_layout')
    op.drop_table('programme_condition')
    with op.batch_alter_table('compliance_event', schema=None) as batch_op:
        batch_op.drop_index('ix_compliance_event_household_id')

    op.drop_table('compliance_event')
