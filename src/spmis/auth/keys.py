"""Key rotation for field encryption: re-encrypt every encrypted column with the first (primary)
key of ``SPMIS_ENCRYPTION_KEYS``.

Procedure: put the new key first in the ring and keep the old ones after it; run
``spmis keys rotate``; when it reports nothing left under an old key, remove that key from the
ring. The work is done in chunks of rows (one transaction each) by primary key; only rows still
under another key are rewritten, so the command is idempotent and can be interrupted and rerun.
Files a capability keeps encrypted on disk (the reject reports of import jobs) are sealed again
too, each replaced whole once rewritten (``Capability.encrypted_files``; ``rotate_files``).
Blind-index hashes do not depend on the encryption keys and are not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select, update

from spmis.context import AppContext
from spmis.db.encrypted import EncryptedColumn
from spmis.manifest import each, resolve


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column that a capability declares (``Capability.encrypted_columns``)."""
    return [column for _cap, ref in each("encrypted_columns") for column in resolve(ref)]


def rotate(ctx: AppContext, chunk_rows: int = 5000,
           progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Re-encrypt with the primary key every value under another key; returns rows rewritten
    per table."""
    cipher = ctx.cipher
    done: dict[str, int] = {}
    for enc in encrypted_columns():
        table, col = enc.table, enc.table.c[enc.column]
        rewritten = 0
        last_id = 0
        rows_at_once = min(chunk_rows, enc.chunk_rows or chunk_rows)
        while True:
            with ctx.engine.begin() as conn:
                rows = conn.execute(
                    select(table.c.id, col, *(table.c[e] for e in enc.extra))
                    .where(table.c.id > last_id, col.is_not(None))
                    .order_by(table.c.id).limit(rows_at_once)
                ).mappings().all()
                if not rows:
                    break
                last_id = rows[-1]["id"]
                changes: list[dict[str, Any]] = []
                for row in rows:
                    if cipher.key_id_of(row[enc.column]) == cipher.primary:
                        continue
                    context = enc.context_of(row)
                    clear = cipher.decrypt(row[enc.column], context)
                    changes.append({"row_id": row["id"], "sealed": cipher.encrypt(clear, context)})
                if changes:
                    conn.execute(
                        update(table).where(table.c.id == bindparam("row_id"))
                        .values({enc.column: bindparam("sealed")}),
                        changes,
                    )
                rewritten += len(changes)
            if progress:
                progress(table.name, rewritten)
        done[table.name] = rewritten
    return done


def rotate_files(ctx: AppContext, progress: Callable[[str, int], None] | None = None
                 ) -> tuple[int, dict[str, int]]:
    """Seal again with the primary key every encrypted file a capability keeps
    (``Capability.encrypted_files``); (files rewritten, files per key id after)."""
    rewritten = 0
    per_key: dict[str, int] = {}
    for _cap, ref in each("encrypted_files"):
        done, keys = resolve(ref)(ctx, progress)
        rewritten += done
        for kid, n in keys.items():
            per_key[kid] = per_key.get(kid, 0) + n
    return rewritten, per_key


def count_by_key(ctx: AppContext) -> dict[str, dict[str, int]]:
    """How many values each key id encrypts, per table (to know when an old key can go)."""
    out: dict[str, dict[str, int]] = {}
    with ctx.engine.connect() as conn:
        for enc in encrypted_columns():
            col = enc.table.c[enc.column]
            counts: dict[str, int] = {}
            for (blob,) in conn.execute(select(col).where(col.is_not(None))):
                kid = ctx.cipher.key_id_of(blob)
                counts[kid] = counts.get(kid, 0) + 1
            out[enc.table.name] = counts
    return out
