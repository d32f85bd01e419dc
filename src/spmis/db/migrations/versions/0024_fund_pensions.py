"""fund pensions: a monthly payment order keeps its first month, its last month (if it has one)
and the person whose recorded death ends it, so the pension payroll pays it every month through
a payment cycle (which then has no evaluation run); the fund invoice's stored KHQR column goes
(the string is made when the invoice is shown: it pays what is left and carries its time).

Revision ID: 0024_fund_pensions
Revises: 0023_payments_bulk
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024_fund_pensions'
down_revision = '0023_payments_bulk'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('payment_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_period', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('last_period', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('ends_on_death_of', ID, nullable=True))
        batch_op.create_index('ix_payment_order_frequency_state', ['frequency', 'state'],
                              unique=False)
    # the orders approved claims placed before: their month, and an old-age pension ends on
    # the pensioner's death (a survivors' pension is paid on the deceased member's record)
    op.execute(sa.text(
        "UPDATE payment_order SET "
        "first_period = (SELECT c.period FROM fund_claim c "
        "WHERE c.payment_order_id = payment_order.id), "
        "ends_on_death_of = CASE WHEN (SELECT c.kind FROM fund_claim c "
        "WHERE c.payment_order_id = payment_order.id) = 'old_age' THEN person_id END "
        "WHERE source = 'fund_claim'"))
    with op.batch_alter_table('payment_cycle', schema=None) as batch_op:
        batch_op.alter_column('evaluation_run_id', existing_type=ID, nullable=True)
    with op.batch_alter_table('fund_invoice', schema=None) as batch_op:
        batch_op.drop_column('khqr')


def downgrade() -> None:
    with op.batch_alter_table('fund_invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('khqr', sa.Text(), nullable=True))
    with op.batch_alter_table('payment_cycle', schema=None) as batch_op:
        batch_op.alter_column('evaluation_run_id', existing_type=ID, nullable=False)
    with op.batch_alter_table('payment_order', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_order_frequency_state')
        batch_op.drop_column('ends_on_death_of')
        batch_op.drop_column('last_period')
        batch_op.drop_column('first_period')
