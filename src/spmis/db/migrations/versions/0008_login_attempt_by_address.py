"""auth: index login attempts by client address, for throttling failed logins per address

Failed logins are now counted per (account, client address) and per client address in the
``login_attempt`` table itself (the state every server process shares), instead of a counter
on the account that any stranger could drive to a lockout. The per-address count needs this
index.

Revision ID: 0008_login_by_address
Revises: 0007_khmer_loose_keys
Create Date: 2026-12-05 22:20:00
"""

from __future__ import annotations

from alembic import op

revision = '0008_login_by_address'
down_revision = '0007_khmer_loose_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_address_at', ['client_address', 'at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_address_at')
