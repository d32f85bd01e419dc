"""indicators: each refresh and the cells it computed (issue 16)

Revision ID: 0017_indicators
Revises: 0016_audit_chain
Create Date: 2026-12-06 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0017_indicators'
down_revision = '0016_audit_chain'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'indicator_refresh',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('refreshed_by', sa.String(length=64), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.Column('cells', sa.Integer(), nullable=False),
        sa.Column('job_id', ID, nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_refresh')),
    )
    op.create_table(
        'indicator_cell',
        sa.Column('refresh_id', ID, nullable=False),
        sa.Column('indicator', sa.String(length=32), nullable=False),
        sa.Column('programme', sa.String(length=40), server_default=sa.text("''"),
                  nullable=False),
        sa.Column('period', sa.String(length=7), server_default=sa.text("''"), nullable=False),
        sa.Column('province_code', sa.String(length=2), nullable=False),
        sa.Column('sex', sa.String(length=1), nullable=False),
        sa.Column('currency', sa.String(length=3), server_default=sa.text("''"),
                  nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['refresh_id'], ['indicator_refresh.id'],
                                name=op.f('fk_indicator_cell_refresh_id_indicator_refresh')),
        sa.PrimaryKeyConstraint('refresh_id', 'indicator', 'programme', 'period',
                                'province_code', 'sex', 'currency',
                                name=op.f('pk_indicator_cell')),
    )


def downgrade() -> None:
    op.drop_table('indicator_cell')
    op.drop_table('indicator_refresh')
