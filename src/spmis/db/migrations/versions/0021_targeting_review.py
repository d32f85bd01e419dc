"""targeting review: commune lists of a round, their entries, changes and objections, and equity
cards (issue 19, second half)

Revision ID: 0021_targeting_review
Revises: 0020_targeting
Create Date: 2026-12-06 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021_targeting_review'
down_revision = '0020_targeting'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
CODE8 = sa.String(length=8).with_variant(sa.String(length=8, collation='C'), 'postgresql')


def _audit() -> list[sa.Column]:
    return [
        sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('targeting_list',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('round_id', ID, nullable=False),
    sa.Column('commune_code', sa.String(length=6), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('posted_on', sa.Date(), nullable=True),
    sa.Column('objections_until', sa.Date(), nullable=True),
    sa.Column('posted_by', sa.String(length=64), nullable=True),
    sa.Column('approved_by', sa.String(length=64), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issue_job_id', ID, nullable=True),
    sa.Column('cards_issued', sa.Integer(), nullable=True),
    *_audit(),
    sa.ForeignKeyConstraint(['round_id'], ['targeting_round.id'],
                            name=op.f('fk_targeting_list_round_id_targeting_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targeting_list')),
    sa.UniqueConstraint('round_id', 'commune_code',
                        name=op.f('uq_targeting_list_round_id_commune_code'))
    )
    op.create_table('targeting_list_entry',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('list_id', ID, nullable=False),
    sa.Column('household_id', ID, nullable=False),
    sa.Column('village_code', CODE8, nullable=False),
    sa.Column('assessment_id', ID, nullable=True),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('included', sa.Boolean(), nullable=False),
    sa.Column('change_reason', sa.Text(), nullable=True),
    *_audit(),
    sa.ForeignKeyConstraint(['list_id'], ['targeting_list.id'],
                            name=op.f('fk_targeting_list_entry_list_id_targeting_list')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targeting_list_entry')),
    sa.UniqueConstraint('list_id', 'household_id',
                        name=op.f('uq_targeting_list_entry_list_id_household_id'))
    )
    with op.batch_alter_table('targeting_list_entry', schema=None) as batch_op:
        batch_op.create_index('ix_targeting_list_entry_list_village', ['list_id', 'village_code'],
                              unique=False)
    op.create_table('targeting_list_change',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('list_id', ID, nullable=False),
    sa.Column('household_id', ID, nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('request_id', ID, nullable=False),
    sa.Column('made_by', sa.String(length=64), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['targeting_list.id'],
                            name=op.f('fk_targeting_list_change_list_id_targeting_list')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targeting_list_change')),
    sa.UniqueConstraint('request_id', name=op.f('uq_targeting_list_change_request_id'))
    )
    with op.batch_alter_table('targeting_list_change', schema=None) as batch_op:
        batch_op.create_index('ix_targeting_list_change_list', ['list_id'], unique=False)
    op.create_table('targeting_objection',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('list_id', ID, nullable=False),
    sa.Column('grievance_id', ID, nullable=False),
    sa.Column('ticket', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('household_id', ID, nullable=True),
    sa.Column('made_by', sa.String(length=64), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['targeting_list.id'],
                            name=op.f('fk_targeting_objection_list_id_targeting_list')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targeting_objection'))
    )
    with op.batch_alter_table('targeting_objection', schema=None) as batch_op:
        batch_op.create_index('ix_targeting_objection_list', ['list_id'], unique=False)
    op.create_table('equity_card',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('card_number', sa.String(length=20), nullable=False),
    sa.Column('household_id', ID, nullable=False),
    sa.Column('list_id', ID, nullable=False),
    sa.Column('round_id', ID, nullable=False),
    sa.Column('commune_code', sa.String(length=6), nullable=False),
    sa.Column('village_code', CODE8, nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('replaced_by', ID, nullable=True),
    *_audit(),
    sa.ForeignKeyConstraint(['list_id'], ['targeting_list.id'],
                            name=op.f('fk_equity_card_list_id_targeting_list')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equity_card')),
    sa.UniqueConstraint('card_number', name=op.f('uq_equity_card_card_number'))
    )
    with op.batch_alter_table('equity_card', schema=None) as batch_op:
        batch_op.create_index('ix_equity_card_household', ['household_id'], unique=False)
        batch_op.create_index('ix_equity_card_list', ['list_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('equity_card', schema=None) as batch_op:
        batch_op.drop_index('ix_equity_card_list')
        batch_op.drop_index('ix_equity_card_household')
    op.drop_table('equity_card')
    with op.batch_alter_table('targeting_objection', schema=None) as batch_op:
        batch_op.drop_index('ix_targeting_objection_list')
    op.drop_table('targeting_objection')
    with op.batch_alter_table('targeting_list_change', schema=None) as batch_op:
        batch_op.drop_index('ix_targeting_list_change_list')
    op.drop_table('targeting_list_change')
    with op.batch_alter_table('targeting_list_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_targeting_list_entry_list_village')
    op.drop_table('targeting_list_entry')
    op.drop_table('targeting_list')
