"""payments: programmes, providers, budgets, enrolment runs, beneficiaries, payment cycles and
their entitlements, shocks, and the notification outbox

New tables only (issue 14). The entitlement's unique key (beneficiary, programme, period,
component) is what makes a second run of a payment cycle create nothing.

Revision ID: 0011_payments
Revises: 0010_jobs
Create Date: 2026-12-05 22:40:24.083711
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011_payments'
down_revision = '0010_jobs'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('notification_outbox',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('event', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('household_id', ID, nullable=False),
    sa.Column('beneficiary_id', ID, nullable=True),
    sa.Column('programme_id', ID, nullable=True),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('text_km', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), server_default=sa.text("'queued'"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_outbox'))
    )
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_notification_outbox_state_id', ['state', 'id'], unique=False)

    op.create_table('payment_provider',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_km', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_provider')),
    sa.UniqueConstraint('code', name=op.f('uq_payment_provider_code'))
    )
    op.create_table('programme',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_km', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('rules_programme', sa.String(length=40), nullable=False),
    sa.Column('rules_variable', sa.String(length=80), nullable=False),
    sa.Column('entity', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('frequency', sa.String(length=16), nullable=False),
    sa.Column('target_area', sa.String(length=8), server_default=sa.text("('')"), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme')),
    sa.UniqueConstraint('code', name=op.f('uq_programme_code'))
    )
    op.create_table('enrolment_run',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('programme_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('evaluation_run_id', ID, nullable=True),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('approval_request_id', ID, nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_enrolment_run_programme_id_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment_run'))
    )
    op.create_table('payment_cycle',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('programme_id', ID, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('sequence', sa.SmallInteger(), nullable=False),
    sa.Column('evaluation_run_id', ID, nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('lines', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('amount', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('approval_request_id', ID, nullable=True),
    sa.Column('job_id', ID, nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_payment_cycle_programme_id_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_cycle')),
    sa.UniqueConstraint('programme_id', 'period', 'sequence', name=op.f('uq_payment_cycle_programme_id_period_sequence'))
    )
    op.create_table('programme_budget',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('programme_id', ID, nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('legal_reference', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_programme_budget_programme_id_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_budget')),
    sa.UniqueConstraint('programme_id', 'fiscal_year', name=op.f('uq_programme_budget_programme_id_fiscal_year'))
    )
    op.create_table('programme_provider',
    sa.Column('programme_id', ID, nullable=False),
    sa.Column('provider_id', ID, nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_programme_provider_programme_id_programme')),
    sa.ForeignKeyConstraint(['provider_id'], ['payment_provider.id'], name=op.f('fk_programme_provider_provider_id_payment_provider')),
    sa.PrimaryKeyConstraint('programme_id', 'provider_id', name=op.f('pk_programme_provider'))
    )
    op.create_table('shock',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_km', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('programme_id', ID, nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('legal_reference', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('evaluation_run_id', ID, nullable=True),
    sa.Column('households', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('cost', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('approval_request_id', ID, nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_shock_programme_id_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shock'))
    )
    op.create_table('beneficiary',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('programme_id', ID, nullable=False),
    sa.Column('entity', sa.String(length=10), nullable=False),
    sa.Column('entity_id', ID, nullable=False),
    sa.Column('household_id', ID, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('state_reason', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('enrolment_run_id', ID, nullable=True),
    sa.Column('shock_id', ID, nullable=True),
    sa.Column('enrolled_on', sa.Date(), nullable=True),
    sa.Column('exited_on', sa.Date(), nullable=True),
    sa.Column('temporary_until', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_run_id'], ['enrolment_run.id'], name=op.f('fk_beneficiary_enrolment_run_id_enrolment_run')),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_beneficiary_programme_id_programme')),
    sa.ForeignKeyConstraint(['shock_id'], ['shock.id'], name=op.f('fk_beneficiary_shock_id_shock')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_beneficiary')),
    sa.UniqueConstraint('programme_id', 'entity_id', name=op.f('uq_beneficiary_programme_id_entity_id'))
    )
    with op.batch_alter_table('beneficiary', schema=None) as batch_op:
        batch_op.create_index('ix_beneficiary_household_id', ['household_id'], unique=False)

    op.create_table('shock_commune',
    sa.Column('shock_id', ID, nullable=False),
    sa.Column('commune_code', sa.String(length=6), nullable=False),
    sa.ForeignKeyConstraint(['shock_id'], ['shock.id'], name=op.f('fk_shock_commune_shock_id_shock')),
    sa.PrimaryKeyConstraint('shock_id', 'commune_code', name=op.f('pk_shock_commune'))
    )
    op.create_table('entitlement',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('cycle_id', ID, nullable=False),
    sa.Column('payroll_cycle_id', ID, nullable=False),
    sa.Column('programme_id', ID, nullable=False),
    sa.Column('beneficiary_id', ID, nullable=False),
    sa.Column('household_id', ID, nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('attempt', sa.SmallInteger(), server_default=sa.text('1'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('component', sa.String(length=24), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('commune_code', sa.String(length=6), nullable=False),
    sa.Column('recipient_sex', sa.String(length=1), nullable=False),
    sa.Column('state_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiary.id'], name=op.f('fk_entitlement_beneficiary_id_beneficiary')),
    sa.ForeignKeyConstraint(['cycle_id'], ['payment_cycle.id'], name=op.f('fk_entitlement_cycle_id_payment_cycle')),
    sa.ForeignKeyConstraint(['payroll_cycle_id'], ['payment_cycle.id'], name=op.f('fk_entitlement_payroll_cycle_id_payment_cycle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entitlement')),
    sa.UniqueConstraint('beneficiary_id', 'programme_id', 'period', 'component', name=op.f('uq_entitlement_beneficiary_id_programme_id_period_component'))
    )
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.create_index('ix_entitlement_cycle_id', ['cycle_id'], unique=False)
        batch_op.create_index('ix_entitlement_household_id', ['household_id'], unique=False)
        batch_op.create_index('ix_entitlement_payroll_cycle_id', ['payroll_cycle_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.drop_index('ix_entitlement_payroll_cycle_id')
        batch_op.drop_index('ix_entitlement_household_id')
        batch_op.drop_index('ix_entitlement_cycle_id')

    op.drop_table('entitlement')
    op.drop_table('shock_commune')
    with op.batch_alter_table('beneficiary', schema=None) as batch_op:
        batch_op.drop_index('ix_beneficiary_household_id')

    op.drop_table('beneficiary')
    op.drop_table('shock')
    op.drop_table('programme_provider')
    op.drop_table('programme_budget')
    op.drop_table('payment_cycle')
    op.drop_table('enrolment_run')
    op.drop_table('programme')
    op.drop_table('payment_provider')
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_outbox_state_id')

    op.drop_table('notification_outbox')
