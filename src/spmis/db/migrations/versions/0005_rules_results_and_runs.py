"""rules: results of programme evaluation per period and the runs that wrote them

Revision ID: 0005_rules
Revises: 0004_linkage
Create Date: 2026-11-22 02:36:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005_rules'
down_revision = '0004_linkage'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rules_result',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('programme', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=10), nullable=False),
    sa.Column('entity_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('period', 'programme', 'entity', 'entity_id', name=op.f('pk_rules_result'))
    )
    with op.batch_alter_table('rules_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rules_result_run_id'), ['run_id'], unique=False)

    op.create_table('rules_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('programmes', sa.Text(), nullable=False),
    sa.Column('reform', sa.Text(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('rows_written', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rules_run'))
    )
    with op.batch_alter_table('rules_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rules_run_period'), ['period'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rules_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_run_period'))
    op.drop_table('rules_run')
    with op.batch_alter_table('rules_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_result_run_id'))
    op.drop_table('rules_result')
