"""auth: one-time activation links for staff accounts (issue 12 #4, issue 13 #19)

A new account, or one whose password an administrator reset, gets no usable password: the
person sets their own through a single-use, expiring link; only a SHA-256 of its token is kept.

Revision ID: 0014_account_activation
Revises: 0013_payment_delivery
Create Date: 2026-12-06 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0014_account_activation'
down_revision = '0013_payment_delivery'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'account_activation',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', ID, nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('issued_by', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'],
                                name=op.f('fk_account_activation_user_id_staff_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_activation')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_activation_token_hash')),
    )
    op.create_index(op.f('ix_account_activation_user_id'), 'account_activation', ['user_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_account_activation_user_id'), table_name='account_activation')
    op.drop_table('account_activation')
