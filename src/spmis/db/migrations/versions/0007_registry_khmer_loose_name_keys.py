"""registry: Khmer name keys without diacritic signs, so a name typed without a sign is found

``person.name_km_key`` held the Khmer names in one normal form (``names.khmer_key``); search
compared it exactly, so "ហុន" did not find "ហ៊ុន". It now holds ``names.khmer_loose_key``: the
same normal form without the signs people leave out or add (``names.KHMER_LOOSE_SIGNS``) and with
qoo written one way (``names.KHMER_LOOSE_FOLDS``). Dropping characters keeps the order of the
marks left, so the new key of a stored key is the stored key with those characters replaced:
one UPDATE with nested REPLACE (the same function in SQLite and PostgreSQL), only on the rows
that hold one of them.

Downgrade leaves the loose keys: they are a derived search key, and the old code searching them
with a strict key finds a name typed with a sign only if it is stored with it (no data is lost;
every name is kept as typed in ``family_name_km`` and ``given_name_km``).

Revision ID: 0007_khmer_loose_keys
Revises: 0006_registry_indexes
Create Date: 2026-12-05 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007_khmer_loose_keys'
down_revision = '0006_registry_indexes'
branch_labels = None
depends_on = None

#: a copy of names.KHMER_LOOSE_SIGNS and KHMER_LOOSE_FOLDS as of this revision (a migration
#: never imports code that may change later)
SIGNS = "\u17c9\u17ca\u17cb\u17cc\u17cd\u17ce\u17cf\u17d0\u17d1\u17d3\u17dd"
FOLDS = (("\u17b2", "\u17b1"),)


def upgrade() -> None:
    person = sa.table('person', sa.column('name_km_key', sa.String))
    key: sa.ColumnElement[str] = person.c.name_km_key
    replacements = [(sign, "") for sign in SIGNS] + list(FOLDS)
    for old, new in replacements:
        key = sa.func.replace(key, old, new)
    has_one = sa.or_(*(person.c.name_km_key.contains(old) for old, _new in replacements))
    op.execute(person.update().where(has_one).values(name_km_key=key))


def downgrade() -> None:
    pass
