"""grievances: complaints and appeals with a ticket and a hashed PIN, their PIN tries and the
complainants' outbox

Revision ID: 0015_grievances
Revises: 0014_account_activation
Create Date: 2026-12-06 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015_grievances'
down_revision = '0014_account_activation'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'grievance',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('ticket', sa.String(length=9), nullable=False),
        sa.Column('pin_hash', sa.String(length=128), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('category', sa.String(length=24), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('anonymous', sa.Boolean(), nullable=False),
        sa.Column('name_enc', sa.LargeBinary(), nullable=True),
        sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
        sa.Column('area_code', sa.String(length=8), nullable=False),
        sa.Column('office', sa.String(length=6), nullable=False),
        sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('escalations', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolution', sa.Text(), nullable=True),
        sa.Column('outcome', sa.String(length=12), nullable=True),
        sa.Column('satisfaction', sa.String(length=16), nullable=True),
        sa.Column('decision_kind', sa.String(length=12), nullable=True),
        sa.Column('decision_ref', sa.String(length=64), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('reviewer', sa.String(length=64), nullable=True),
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grievance')),
        sa.UniqueConstraint('ticket', name=op.f('uq_grievance_ticket')),
    )
    op.create_index('ix_grievance_office_status_deadline', 'grievance',
                    ['office', 'status', 'deadline'])
    op.create_index('ix_grievance_status_deadline', 'grievance', ['status', 'deadline'])
    op.create_table(
        'grievance_pin_attempt',
        sa.Column('id', Id, autoincrement=True, nullable=False),
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
    op.create_table(
        'grievance_message',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('grievance_id', Id, nullable=False),
        sa.Column('event', sa.String(length=16), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.Column('text_km', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=12), server_default=sa.text("'queued'"),
                  nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grievance_message')),
    )
    op.create_index('ix_grievance_message_state_id', 'grievance_message', ['state', 'id'])
    op.create_index('ix_grievance_message_grievance_id', 'grievance_message', ['grievance_id'])


def downgrade() -> None:
    op.drop_index('ix_grievance_message_grievance_id', table_name='grievance_message')
    op.drop_index('ix_grievance_message_state_id', table_name='grievance_message')
    op.drop_table('grievance_message')
    op.drop_index('ix_grievance_pin_attempt_ticket_at', table_name='grievance_pin_attempt')
    op.drop_index('ix_grievance_pin_attempt_address_at', table_name='grievance_pin_attempt')
    op.drop_table('grievance_pin_attempt')
    op.drop_index('ix_grievance_status_deadline', table_name='grievance')
    op.drop_index('ix_grievance_office_status_deadline', table_name='grievance')
    op.drop_table('grievance')
