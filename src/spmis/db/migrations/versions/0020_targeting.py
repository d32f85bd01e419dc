"""targeting: assessment rounds, assessments (questionnaires received over OpenRosa), scorings
and scores (issue 19)

Revision ID: 0020_targeting
Revises: 0019_fund_claims
Create Date: 2026-12-06 03:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020_targeting'
down_revision = '0019_fund_claims'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
CODE8 = sa.String(length=8).with_variant(sa.String(length=8, collation='C'), 'postgresql')


def upgrade() -> None:
    op.create_table('targeting_round',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('area_code', sa.String(length=8), nullable=False),
    sa.Column('parameter_date', sa.Date(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targeting_round')),
    sa.UniqueConstraint('code', name=op.f('uq_targeting_round_code'))
    )
    op.create_table('targeting_assessment',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('round_id', ID, nullable=False),
    sa.Column('household_id', ID, nullable=False),
    sa.Column('village_code', CODE8, nullable=False),
    sa.Column('commune_code', sa.String(length=6), nullable=False),
    sa.Column('instance_id', sa.String(length=64), nullable=False),
    sa.Column('form_id', sa.String(length=64), nullable=False),
    sa.Column('form_version', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('enumerator', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['targeting_round.id'],
                            name=op.f('fk_targeting_assessment_round_id_targeting_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targeting_assessment')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_targeting_assessment_instance_id'))
    )
    with op.batch_alter_table('targeting_assessment', schema=None) as batch_op:
        batch_op.create_index('ix_targeting_assessment_household', ['household_id'], unique=False)
        batch_op.create_index('ix_targeting_assessment_round_village', ['round_id', 'village_code'],
                              unique=False)

    op.create_table('targeting_scoring',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('round_id', ID, nullable=False),
    sa.Column('parameter_date', sa.Date(), nullable=False),
    sa.Column('assessments', sa.Integer(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scored_by', sa.String(length=64), nullable=False),
    sa.Column('job_id', ID, nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['targeting_round.id'],
                            name=op.f('fk_targeting_scoring_round_id_targeting_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targeting_scoring'))
    )
    with op.batch_alter_table('targeting_scoring', schema=None) as batch_op:
        batch_op.create_index('ix_targeting_scoring_round', ['round_id'], unique=False)

    op.create_table('targeting_score',
    sa.Column('assessment_id', ID, nullable=False),
    sa.Column('round_id', ID, nullable=False),
    sa.Column('scoring_id', ID, nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('points', sa.Text(), nullable=False),
    sa.Column('parameter_date', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('assessment_id', name=op.f('pk_targeting_score'))
    )
    with op.batch_alter_table('targeting_score', schema=None) as batch_op:
        batch_op.create_index('ix_targeting_score_round_level', ['round_id', 'level'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('targeting_score', schema=None) as batch_op:
        batch_op.drop_index('ix_targeting_score_round_level')

    op.drop_table('targeting_score')
    with op.batch_alter_table('targeting_scoring', schema=None) as batch_op:
        batch_op.drop_index('ix_targeting_scoring_round')

    op.drop_table('targeting_scoring')
    with op.batch_alter_table('targeting_assessment', schema=None) as batch_op:
        batch_op.drop_index('ix_targeting_assessment_round_village')
        batch_op.drop_index('ix_targeting_assessment_household')

    op.drop_table('targeting_assessment')
    op.drop_table('targeting_round')
