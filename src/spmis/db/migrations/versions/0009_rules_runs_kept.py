"""rules: every evaluation run's results are kept; the current run of a month is a pointer

``rules_result`` held only the latest evaluation of a month: each run deleted the month's rows
before writing its own, so nothing could pin which evaluation a payment or a decision used. Now:

- ``rules_result`` is keyed by run: (run_id, household_id, programme, entity_id), the only index
  (it serves "run R" and "run R, household H"); ``period`` moves to the run; a person's rows
  carry the household id (filled here from ``person``).
- ``rules_current`` (period, programme) -> run_id says which run is current.

Rows already stored are the current rows of their periods: they keep their run id and become the
current runs' rows; the rows of earlier runs were deleted by those runs and cannot be brought
back (their ``rules_run`` rows remain). The pointers are set from ``rules_run``: for each period
and programme, the newest run without a reform that evaluated it.

Downgrade keeps only the current runs' rows (the old table holds one evaluation per month).

Revision ID: 0009_rules_runs
Revises: 0008_login_by_address
Create Date: 2026-12-05 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009_rules_runs'
down_revision = '0008_login_by_address'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _old_result_columns() -> list[sa.Column[object]]:
    return [
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('programme', sa.String(length=40), nullable=False),
        sa.Column('entity', sa.String(length=10), nullable=False),
        sa.Column('entity_id', ID, nullable=False),
        sa.Column('eligible', sa.Boolean(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('run_id', ID, nullable=False),
    ]


def _new_result_table() -> None:
    op.create_table('rules_result',
    sa.Column('run_id', ID, nullable=False),
    sa.Column('household_id', ID, nullable=False),
    sa.Column('entity_id', ID, nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('programme', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=10), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('run_id', 'household_id', 'programme', 'entity_id',
                            name=op.f('pk_rules_result'))
    )


def upgrade() -> None:
    current = op.create_table('rules_current',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('programme', sa.String(length=40), nullable=False),
    sa.Column('run_id', ID, nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('period', 'programme', name=op.f('pk_rules_current'))
    )
    conn = op.get_bind()
    runs = sa.table('rules_run', sa.column('id'), sa.column('period'), sa.column('programmes'),
                    sa.column('reform'), sa.column('finished_at', sa.DateTime(timezone=True)),
                    sa.column('run_by'))
    pointers: dict[tuple[str, str], dict[str, object]] = {}
    for run in conn.execute(sa.select(runs).where(runs.c.reform.is_(None)).order_by(runs.c.id)):
        for programme in filter(None, run.programmes.split(',')):
            pointers[(run.period, programme)] = {
                'period': run.period, 'programme': programme, 'run_id': run.id,
                'set_at': run.finished_at, 'set_by': run.run_by}
    if pointers:
        op.bulk_insert(current, list(pointers.values()))

    # the stored rows move to the new shape through a copy (portable: no constraint renames)
    op.create_table('rules_result_0009', *_old_result_columns())
    op.execute('INSERT INTO rules_result_0009 SELECT period, programme, entity, entity_id, '
               'eligible, amount, currency, run_id FROM rules_result')
    with op.batch_alter_table('rules_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_result_run_id'))
    op.drop_table('rules_result')
    _new_result_table()
    op.execute(
        'INSERT INTO rules_result (run_id, household_id, entity_id, amount, eligible, programme, '
        'entity, currency) '
        'SELECT r.run_id, CASE WHEN r.entity = \'household\' THEN r.entity_id ELSE '
        '(SELECT p.household_id FROM person p WHERE p.id = r.entity_id) END, '
        'r.entity_id, r.amount, r.eligible, r.programme, r.entity, r.currency '
        'FROM rules_result_0009 r'
    )
    op.drop_table('rules_result_0009')


def downgrade() -> None:
    op.create_table('rules_result_0005', *_old_result_columns())
    op.execute(
        'INSERT INTO rules_result_0005 SELECT c.period, r.programme, r.entity, r.entity_id, '
        'r.eligible, r.amount, r.currency, r.run_id FROM rules_result r '
        'JOIN rules_current c ON c.run_id = r.run_id AND c.programme = r.programme'
    )
    op.drop_table('rules_result')
    op.create_table('rules_result', *_old_result_columns(),
    sa.PrimaryKeyConstraint('period', 'programme', 'entity', 'entity_id',
                            name=op.f('pk_rules_result'))
    )
    with op.batch_alter_table('rules_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rules_result_run_id'), ['run_id'], unique=False)
    op.execute('INSERT INTO rules_result SELECT period, programme, entity, entity_id, eligible, '
               'amount, currency, run_id FROM rules_result_0005')
    op.drop_table('rules_result_0005')
    op.drop_table('rules_current')
