"""fund claims: claims of members with their encrypted documents and decision workflow, and
payment orders (payments) that approved claims place (issue 15). New tables only.

Revision ID: 0019_fund_claims
Revises: 0018_fund
Create Date: 2026-12-06 03:48:18.279941
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0019_fund_claims'
down_revision = '0018_fund'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('fund_claim',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('person_id', ID, nullable=False),
    sa.Column('employer_id', ID, nullable=True),
    sa.Column('village_code', sa.String(length=8), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('claimant_name', sa.String(length=200), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment', sa.String(length=8), nullable=False),
    sa.Column('refusal', sa.String(length=32), nullable=False),
    sa.Column('computed', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payment_order_id', ID, nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_claim'))
    )
    with op.batch_alter_table('fund_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_claim_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_claim_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_fund_claim_state_id', ['state', 'id'], unique=False)

    op.create_table('payment_order',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('source_ref', sa.String(length=40), nullable=False),
    sa.Column('person_id', ID, nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('frequency', sa.String(length=8), nullable=False),
    sa.Column('purpose_en', sa.Text(), nullable=False),
    sa.Column('purpose_km', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=True),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_order')),
    sa.UniqueConstraint('source', 'source_ref', name=op.f('uq_payment_order_source_source_ref'))
    )
    with op.batch_alter_table('payment_order', schema=None) as batch_op:
        batch_op.create_index('ix_payment_order_state_id', ['state', 'id'], unique=False)

    op.create_table('fund_claim_document',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('claim_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_enc', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['fund_claim.id'], name=op.f('fk_fund_claim_document_claim_id_fund_claim')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_claim_document'))
    )
    with op.batch_alter_table('fund_claim_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fund_claim_document_claim_id'), ['claim_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fund_claim_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_claim_document_claim_id'))

    op.drop_table('fund_claim_document')
    with op.batch_alter_table('payment_order', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_order_state_id')

    op.drop_table('payment_order')
    with op.batch_alter_table('fund_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_fund_claim_state_id')
        batch_op.drop_index(batch_op.f('ix_fund_claim_person_id'))
        batch_op.drop_index(batch_op.f('ix_fund_claim_employer_id'))

    op.drop_table('fund_claim')
