"""fund: employers, their staff accounts, affiliations, exchange rates, monthly declarations
and their lines, contribution runs and contributions, invoices, payments, allocations and the
reminder outbox (issue 15). New tables only.

Revision ID: 0018_fund
Revises: 0017_indicators
Create Date: 2026-12-06 03:32:38.150834
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0018_fund'
down_revision = '0017_indicators'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('fund_contribution',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('employer_id', ID, nullable=False),
    sa.Column('person_id', ID, nullable=False),
    sa.Column('declaration_id', ID, nullable=False),
    sa.Column('run_id', ID, nullable=False),
    sa.Column('wage_khr', sa.BigInteger(), nullable=False),
    sa.Column('base_occupational', sa.BigInteger(), nullable=False),
    sa.Column('base_pension', sa.BigInteger(), nullable=False),
    sa.Column('occupational_risk', sa.BigInteger(), nullable=False),
    sa.Column('health_care_employer', sa.BigInteger(), nullable=False),
    sa.Column('health_care_worker', sa.BigInteger(), nullable=False),
    sa.Column('pension_employer', sa.BigInteger(), nullable=False),
    sa.Column('pension_worker', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), server_default=sa.text("'KHR'"), nullable=False),
    sa.PrimaryKeyConstraint('period', 'employer_id', 'person_id', name=op.f('pk_fund_contribution'))
    )
    with op.batch_alter_table('fund_contribution', schema=None) as batch_op:
        batch_op.create_index('ix_fund_contribution_person_id_period', ['person_id', 'period'], unique=False)

    op.create_table('fund_contribution_run',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('job_id', ID, nullable=True),
    sa.Column('employers', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('workers', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('invoices', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('amount', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('currency', sa.String(length=3), server_default=sa.text("'KHR'"), nullable=False),
    sa.Column('seconds', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_contribution_run'))
    )
    with op.batch_alter_table('fund_contribution_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_contribution_run_period'), ['period'], unique=False)

    op.create_table('fund_employer',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('enterprise_id', ID, nullable=False),
    sa.Column('employer_number', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.String(length=40), nullable=False),
    sa.Column('village_code', sa.String(length=8), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=True),
    sa.Column('contact_email', sa.String(length=200), nullable=True),
    sa.Column('first_hire_date', sa.Date(), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('registration_due', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), server_default=sa.text("'active'"), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_employer')),
    sa.UniqueConstraint('employer_number', name=op.f('uq_fund_employer_employer_number')),
    sa.UniqueConstraint('enterprise_id', name=op.f('uq_fund_employer_enterprise_id'))
    )
    with op.batch_alter_table('fund_employer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_employer_village_code'), ['village_code'], unique=False)

    op.create_table('fund_exchange_rate',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('khr_per_usd', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('notified_on', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_fund_exchange_rate'))
    )
    op.create_table('fund_affiliation',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('person_id', ID, nullable=False),
    sa.Column('employer_id', ID, nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('scheme', sa.String(length=24), nullable=False),
    sa.Column('principal_id', ID, nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('declared_on', sa.Date(), nullable=False),
    sa.Column('declaration_due', sa.Date(), nullable=False),
    sa.Column('position', sa.String(length=100), nullable=True),
    sa.Column('wage', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), server_default=sa.text("'KHR'"), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['fund_employer.id'], name=op.f('fk_fund_affiliation_employer_id_fund_employer')),
    sa.ForeignKeyConstraint(['principal_id'], ['fund_affiliation.id'], name=op.f('fk_fund_affiliation_principal_id_fund_affiliation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_affiliation'))
    )
    with op.batch_alter_table('fund_affiliation', schema=None) as batch_op:
        batch_op.create_index('ix_fund_affiliation_employer_id_person_id', ['employer_id', 'person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_affiliation_person_id'), ['person_id'], unique=False)

    op.create_table('fund_declaration',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('employer_id', ID, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('sequence', sa.SmallInteger(), nullable=False),
    sa.Column('corrects_id', ID, nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('workers', sa.Integer(), nullable=False),
    sa.Column('wage_total', sa.BigInteger(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['corrects_id'], ['fund_declaration.id'], name=op.f('fk_fund_declaration_corrects_id_fund_declaration')),
    sa.ForeignKeyConstraint(['employer_id'], ['fund_employer.id'], name=op.f('fk_fund_declaration_employer_id_fund_employer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_declaration')),
    sa.UniqueConstraint('employer_id', 'period', 'sequence', name=op.f('uq_fund_declaration_employer_id_period_sequence'))
    )
    op.create_table('fund_employer_user',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('employer_id', ID, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['fund_employer.id'], name=op.f('fk_fund_employer_user_employer_id_fund_employer')),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_fund_employer_user'))
    )
    with op.batch_alter_table('fund_employer_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_employer_user_employer_id'), ['employer_id'], unique=False)

    op.create_table('fund_invoice',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('employer_id', ID, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('sequence', sa.SmallInteger(), nullable=False),
    sa.Column('declaration_id', ID, nullable=True),
    sa.Column('run_id', ID, nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('khqr', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['fund_employer.id'], name=op.f('fk_fund_invoice_employer_id_fund_employer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_invoice')),
    sa.UniqueConstraint('employer_id', 'period', 'kind', 'sequence', name=op.f('uq_fund_invoice_employer_id_period_kind_sequence'))
    )
    with op.batch_alter_table('fund_invoice', schema=None) as batch_op:
        batch_op.create_index('ix_fund_invoice_employer_id_state_due_date', ['employer_id', 'state', 'due_date'], unique=False)

    op.create_table('fund_payment',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('employer_id', ID, nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('unallocated', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['fund_employer.id'], name=op.f('fk_fund_payment_employer_id_fund_employer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_payment')),
    sa.UniqueConstraint('employer_id', 'reference', name=op.f('uq_fund_payment_employer_id_reference'))
    )
    op.create_table('fund_allocation',
    sa.Column('payment_id', ID, nullable=False),
    sa.Column('invoice_id', ID, nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['fund_invoice.id'], name=op.f('fk_fund_allocation_invoice_id_fund_invoice')),
    sa.ForeignKeyConstraint(['payment_id'], ['fund_payment.id'], name=op.f('fk_fund_allocation_payment_id_fund_payment')),
    sa.PrimaryKeyConstraint('payment_id', 'invoice_id', name=op.f('pk_fund_allocation'))
    )
    with op.batch_alter_table('fund_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_allocation_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('fund_declaration_line',
    sa.Column('declaration_id', ID, nullable=False),
    sa.Column('person_id', ID, nullable=False),
    sa.Column('affiliation_id', ID, nullable=False),
    sa.Column('wage', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('wage_khr', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['affiliation_id'], ['fund_affiliation.id'], name=op.f('fk_fund_declaration_line_affiliation_id_fund_affiliation')),
    sa.ForeignKeyConstraint(['declaration_id'], ['fund_declaration.id'], name=op.f('fk_fund_declaration_line_declaration_id_fund_declaration')),
    sa.PrimaryKeyConstraint('declaration_id', 'person_id', name=op.f('pk_fund_declaration_line'))
    )
    op.create_table('fund_outbox',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('event', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('employer_id', ID, nullable=False),
    sa.Column('invoice_id', ID, nullable=True),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('text_km', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), server_default=sa.text("'queued'"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['employer_id'], ['fund_employer.id'], name=op.f('fk_fund_outbox_employer_id_fund_employer')),
    sa.ForeignKeyConstraint(['invoice_id'], ['fund_invoice.id'], name=op.f('fk_fund_outbox_invoice_id_fund_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_outbox'))
    )
    with op.batch_alter_table('fund_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_fund_outbox_state_id', ['state', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fund_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_fund_outbox_state_id')

    op.drop_table('fund_outbox')
    op.drop_table('fund_declaration_line')
    with op.batch_alter_table('fund_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_allocation_invoice_id'))

    op.drop_table('fund_allocation')
    op.drop_table('fund_payment')
    with op.batch_alter_table('fund_invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_fund_invoice_employer_id_state_due_date')

    op.drop_table('fund_invoice')
    with op.batch_alter_table('fund_employer_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_employer_user_employer_id'))

    op.drop_table('fund_employer_user')
    op.drop_table('fund_declaration')
    with op.batch_alter_table('fund_affiliation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_affiliation_person_id'))
        batch_op.drop_index('ix_fund_affiliation_employer_id_person_id')

    op.drop_table('fund_affiliation')
    op.drop_table('fund_exchange_rate')
    with op.batch_alter_table('fund_employer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_employer_village_code'))

    op.drop_table('fund_employer')
    with op.batch_alter_table('fund_contribution_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_contribution_run_period'))

    op.drop_table('fund_contribution_run')
    with op.batch_alter_table('fund_contribution', schema=None) as batch_op:
        batch_op.drop_index('ix_fund_contribution_person_id_period')

    op.drop_table('fund_contribution')
