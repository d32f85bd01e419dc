"""jobs: the record of background jobs, and on PostgreSQL the queue library's schema

``job`` is the record people see (spmis.jobs.store). On PostgreSQL the queue is procrastinate,
whose tables and functions (``procrastinate_*``) are created here from the SQL the pinned
procrastinate ships, and marked with its version (a comment on ``procrastinate_jobs``); on
SQLite the queue is huey, whose storage is a file of its own (var/jobs/queue.sqlite3), so there
is nothing to create. Upgrading procrastinate: see docs/decisions/0003-background-jobs.md.

Revision ID: 0010_jobs
Revises: 0009_rules_runs
Create Date: 2026-12-05 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010_jobs'
down_revision = '0009_rules_runs'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('job',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.JSON(), nullable=False),
    sa.Column('progress_done', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('progress_total', sa.BigInteger(), nullable=True),
    sa.Column('progress_message', sa.String(length=500), nullable=True),
    sa.Column('progress_message_km', sa.String(length=500), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error_code', sa.String(length=32), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('error_km', sa.Text(), nullable=True),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_created_by_id'), ['created_by', 'id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_job_state'), ['state'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        _create_procrastinate()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _drop_procrastinate()
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_state'))
        batch_op.drop_index(batch_op.f('ix_job_created_by_id'))
    op.drop_table('job')


# ------------------------------------------------------------------ procrastinate (PostgreSQL)
def _cursor():
    dbapi = op.get_bind().connection.dbapi_connection
    assert dbapi is not None
    return dbapi.cursor()


def _create_procrastinate() -> None:
    import procrastinate
    from procrastinate.schema import SchemaManager

    with _cursor() as cur:
        # no parameters: the SQL (function bodies with % and :) is sent as it is
        cur.execute(SchemaManager.get_schema())
        cur.execute(f"COMMENT ON TABLE procrastinate_jobs IS "
                    f"'procrastinate {procrastinate.__version__} schema (SPMIS 0010_jobs)'")


def _drop_procrastinate() -> None:
    """Drop every procrastinate_* table, routine and type of the current schema."""
    bind = op.get_bind()
    schema = bind.execute(sa.text('SELECT current_schema()')).scalar_one()
    like = r'procrastinate\_%'
    tables = bind.execute(sa.text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :s AND c.relkind IN ('r', 'p') AND c.relname LIKE :like"),
        {'s': schema, 'like': like}).scalars().all()
    routines = bind.execute(sa.text(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = :s AND p.proname LIKE :like"),
        {'s': schema, 'like': like}).scalars().all()
    types = bind.execute(sa.text(
        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = :s AND t.typname LIKE :like AND t.typtype IN ('e', 'c') "
        "AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) "
        "= 'c')"),
        {'s': schema, 'like': like}).scalars().all()
    with _cursor() as cur:
        for name in tables:
            cur.execute(f'DROP TABLE IF EXISTS "{name}" CASCADE')
        for signature in routines:
            cur.execute(f'DROP ROUTINE IF EXISTS {signature} CASCADE')
        for name in types:
            cur.execute(f'DROP TYPE IF EXISTS "{name}" CASCADE')
