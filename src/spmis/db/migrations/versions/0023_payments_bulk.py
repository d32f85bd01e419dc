"""payments at scale: no per-row foreign keys on beneficiaries and entitlement lines, room on
their pages for the approvals' state changes

The six foreign keys of ``beneficiary`` (programme, enrolment run, shock) and ``entitlement``
(cycle, payroll cycle, beneficiary) were checked row by row on every bulk INSERT: 4.6 of an
enrolment run's 10.5 s and 11 of a cycle's 15 s at 1,000,000 households (bench/payroll.py,
issue 14). Every writer takes those ids from a row it has just read, inserted or locked, and no
such row is ever deleted. Fill factor 50 (PostgreSQL) leaves room on each page so that an
approval's change of state of every candidate or line is a HOT update (no index entries); pages
written before this migration keep their fill.

Revision ID: 0023_payments_bulk
Revises: 0022_fund_partitions
Create Date: 2026-12-06 07:30:00
"""

from __future__ import annotations

from alembic import op

revision = '0023_payments_bulk'
down_revision = '0022_fund_partitions'
branch_labels = None
depends_on = None

#: (table, constraint, column, referenced table)
KEYS = (
    ('beneficiary', 'fk_beneficiary_programme_id_programme', 'programme_id', 'programme'),
    ('beneficiary', 'fk_beneficiary_enrolment_run_id_enrolment_run', 'enrolment_run_id',
     'enrolment_run'),
    ('beneficiary', 'fk_beneficiary_shock_id_shock', 'shock_id', 'shock'),
    ('entitlement', 'fk_entitlement_beneficiary_id_beneficiary', 'beneficiary_id',
     'beneficiary'),
    ('entitlement', 'fk_entitlement_cycle_id_payment_cycle', 'cycle_id', 'payment_cycle'),
    ('entitlement', 'fk_entitlement_payroll_cycle_id_payment_cycle', 'payroll_cycle_id',
     'payment_cycle'),
)


def upgrade() -> None:
    for table in ('beneficiary', 'entitlement'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, name, _, _ in (k for k in KEYS if k[0] == table):
                batch_op.drop_constraint(name, type_='foreignkey')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE beneficiary SET (fillfactor = 50)')
        op.execute('ALTER TABLE entitlement SET (fillfactor = 50)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE entitlement RESET (fillfactor)')
        op.execute('ALTER TABLE beneficiary RESET (fillfactor)')
    for table in ('beneficiary', 'entitlement'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, name, column, referenced in (k for k in KEYS if k[0] == table):
                batch_op.create_foreign_key(name, referenced, [column], ['id'])
