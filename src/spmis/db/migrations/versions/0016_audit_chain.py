"""history: the audit chain, an append-only log of every change chained by SHA-256 (issue 16)

One row per ``change_log`` entry, appended when its transaction commits (``spmis.db.chain``).
On PostgreSQL the database itself refuses UPDATE, DELETE and TRUNCATE on it (triggers), whoever
asks; SQLite has no roles to refuse with, and ``spmis audit verify`` shows any change there.
The chain starts empty: changes recorded before this revision stay in ``change_log`` only.

Revision ID: 0016_audit_chain
Revises: 0015_grievances
Create Date: 2026-12-06 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0016_audit_chain'
down_revision = '0015_grievances'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

REFUSE = """
CREATE FUNCTION audit_entry_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        'audit_entry',
        sa.Column('seq', ID, autoincrement=False, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('entity_type', sa.String(length=16), nullable=False),
        sa.Column('entity_id', ID, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entry')),
    )
    op.create_index('ix_audit_entry_day', 'audit_entry', ['day'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REFUSE)
        op.execute("CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON "
                   "audit_entry FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse()")
        op.execute("CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_entry_no_truncate ON audit_entry")
        op.execute("DROP TRIGGER audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION audit_entry_refuse()")
    op.drop_index('ix_audit_entry_day', table_name='audit_entry')
    op.drop_table('audit_entry')
