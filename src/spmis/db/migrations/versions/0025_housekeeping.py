"""housekeeping: the entity type of ``change_log`` and ``audit_entry`` widens from 16 to 64
characters (three names already used all 16: payment_provider, fund_declaration,
fund_affiliation; a longer one would have failed its first write on PostgreSQL, SQLite does
not check lengths); the table ``grievance_pin_attempt``, no longer written since PIN tries went
to ``login_attempt`` (spmis.auth.throttle), is dropped.

On PostgreSQL widening a varchar is a change of the catalogue only: no row is rewritten and the
audit trail's append-only triggers are not fired. On SQLite the two tables are copied into
their new shape (batch mode), rows and indexes kept.

Revision ID: 0025_housekeeping
Revises: 0024_fund_pensions
Create Date: 2026-12-06 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0025_housekeeping'
down_revision = '0024_fund_pensions'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
WIDENED = ('change_log', 'audit_entry')


def _entity_type(old: int, new: int) -> None:
    for table in WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('entity_type', existing_type=sa.String(length=old),
                                  type_=sa.String(length=new), existing_nullable=False)


def upgrade() -> None:
    _entity_type(16, 64)
    op.drop_table('grievance_pin_attempt')  # its indexes go with it


def downgrade() -> None:
    op.create_table(
        'grievance_pin_attempt',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('ticket', sa.String(length=16), nullable=False),
        sa.Column('client_address', sa.String(length=64), nullable=True),
        sa.Column('succeeded', sa.Boolean(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grievance_pin_attempt')),
    )
    op.create_index('ix_grievance_pin_attempt_address_at', 'grievance_pin_attempt',
                    ['client_address', 'at'])
    op.create_index('ix_grievance_pin_attempt_ticket_at', 'grievance_pin_attempt',
                    ['ticket', 'at'])
    # a name longer than 16 characters written meanwhile would not fit: refused, not cut
    _entity_type(64, 16)
