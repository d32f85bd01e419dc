"""Set-based look-ups of the bulk import find exactly the keys asked for, whatever characters
they hold (the PostgreSQL array literal is written by hand: quotes, backslashes, braces, commas,
the word NULL and Khmer text must come back as sent)."""

from __future__ import annotations

import polars as pl
from sqlalchemy import insert

from spmis.context import AppContext
from spmis.db.base import utcnow
from spmis.registry.bulk_store import BulkStore
from spmis.registry.store import household

ODD_KEYS = ['a"b', "c\\d", "{x,y}", "NULL", " spaced ", "ក្រុម,១", "e\\\"f", "", "'q'"]


def test_fetch_finds_odd_keys_and_only_them(ctx: AppContext) -> None:
    now = utcnow()
    with ctx.engine.begin() as conn:
        conn.execute(insert(household), [
            {"external_key": k, "village_code": "12010101", "commune_code": "120101",
             "district_code": "1201", "province_code": "12", "created_at": now,
             "created_by": "t", "updated_at": now, "updated_by": "t"}
            for k in [*ODD_KEYS, "other", "c\\\\d"]])
        store = BulkStore(conn)
        sql = "SELECT external_key, id FROM household WHERE external_key {match}"
        schema = {"key": pl.String, "id": pl.Int64}
        found = store.fetch(sql, [*ODD_KEYS, "missing"], schema)
        assert sorted(found["key"].to_list()) == sorted(ODD_KEYS)
        ids = store.fetch("SELECT id, external_key FROM household WHERE id {match}",
                          found["id"].to_list(), {"id": pl.Int64, "key": pl.String})
        assert sorted(ids["key"].to_list()) == sorted(ODD_KEYS)
        assert store.fetch(sql, [], schema).height == 0
        # one row per key, each key through the unique index (PostgreSQL): the same rows
        one_each = store.fetch(sql, [*ODD_KEYS, "missing", "other"], schema, unique=True)
        assert sorted(one_each["key"].to_list()) == sorted([*ODD_KEYS, "other"])
        assert store.fetch(sql, [], schema, unique=True).height == 0
