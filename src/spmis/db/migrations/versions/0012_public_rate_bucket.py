"""auth: the public endpoints' token buckets move from each process's memory to the database

With several worker processes and several application servers, a bucket kept in one process's
memory let each address through once per process; one row per client address, updated by an
atomic upsert, holds the limit across all of them.

Revision ID: 0012_public_rate_bucket
Revises: 0011_payments
Create Date: 2026-12-05 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012_public_rate_bucket'
down_revision = '0011_payments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'public_rate_bucket',
        sa.Column('client_key', sa.String(length=64), nullable=False),
        sa.Column('tokens', sa.Float(), nullable=False),
        sa.Column('touched', sa.Float(), nullable=False),
        sa.Column('granted', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('client_key', name=op.f('pk_public_rate_bucket')),
    )
    op.create_index('ix_public_rate_bucket_touched', 'public_rate_bucket', ['touched'])


def downgrade() -> None:
    op.drop_index('ix_public_rate_bucket_touched', table_name='public_rate_bucket')
    op.drop_table('public_rate_bucket')
