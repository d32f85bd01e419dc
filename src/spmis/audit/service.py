"""Use cases of the audit trail: recompute the chain, publish its daily roots, and let auditors
read its entries (each read of entries is an ordinary staff read: no personal data is
decrypted; payloads hold what ``change_log`` holds, encrypted identifiers only as "changed")."""

from __future__ import annotations

import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Connection

from spmis.audit import store
from spmis.audit.model import DailyRoot, Fault, Verdict
from spmis.auth.model import Actor
from spmis.auth.role_sets import READ_AUDIT
from spmis.context import AppContext
from spmis.db.chain import GENESIS, time_text
from spmis.errors import FieldError, Forbidden, InvalidInput

__all__ = ["AuditService", "verify_rows"]

MAX_PAGE = 500
#: entries a statement of the PostgreSQL check covers
CHUNK = 100_000
SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9A-F]+)?")


def verify_rows(batches: Any) -> Verdict:
    """Recompute the chain over ``batches`` of rows in ``seq`` order (``store.chain_rows``) and
    stop at the first entry that does not match."""
    prev, expected, sha = GENESIS, 1, hashlib.sha256
    last_at, at_text = None, ""
    for rows in batches:
        for seq, at, actor, etype, eid, version, action, payload, digest in rows:
            if seq != expected:
                return Verdict(expected - 1, expected - 1, prev, expected, Fault.MISSING, seq)
            if at != last_at:  # the entries of one commit share their time
                last_at, at_text = at, time_text(at)
            text = (f"{prev}\x1f{seq}\x1f{at_text}\x1f{actor}\x1f{etype}\x1f{eid}"
                    f"\x1f{version}\x1f{action}\x1f{payload}")
            if sha(text.encode()).hexdigest() != digest:
                return Verdict(expected - 1, expected - 1, prev, seq, Fault.ALTERED, seq)
            prev, expected = digest, expected + 1
    return Verdict(expected - 1, expected - 1, prev)


class AuditService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def verify(self, local: bool = False, *, chunk: int = CHUNK,
               workers: int | None = None) -> Verdict:
        """Recompute the whole chain from its first entry: on PostgreSQL in the database, set-based
        (``local``: here, entry after entry, as on SQLite). PostgreSQL checks ranges of ``chunk``
        entries side by side on ``workers`` connections (one per core by default), all reading
        one snapshot; the first range with a break names it."""
        with self.ctx.engine.connect() as conn:
            if conn.dialect.name != "postgresql" or local:
                batches = store.chain_rows(conn)
                try:
                    return verify_rows(batches)
                finally:
                    batches.close()
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar())
                head_seq, head_hash = store.head(conn)
                ranges = [(lo, min(lo + chunk - 1, head_seq))
                          for lo in range(1, head_seq + 1, max(chunk, 1))]
                bad = self._first_break(conn, snapshot, ranges, workers or os.cpu_count() or 1)
                if bad is None:
                    return Verdict(head_seq, head_seq, head_hash)
                prev_seq, prev_hash = store.before(conn, bad)
        if bad != prev_seq + 1:
            return Verdict(prev_seq, prev_seq, prev_hash, prev_seq + 1, Fault.MISSING, bad)
        return Verdict(prev_seq, prev_seq, prev_hash, bad, Fault.ALTERED, bad)

    def _first_break(self, conn: Connection, snapshot: str, ranges: list[tuple[int, int]],
                     workers: int) -> int | None:
        """The first entry of ``ranges`` (in order) that does not chain, each range checked on a
        connection of its own in the exported ``snapshot``; later ranges are dropped once an
        earlier one has a break."""
        if len(ranges) <= 1 or workers <= 1:
            for lo, hi in ranges:
                if (bad := store.first_break(conn, lo, hi)) is not None:
                    return bad
            return None
        if not SNAPSHOT_ID.fullmatch(snapshot):
            raise ValueError(f"unexpected snapshot id {snapshot!r}")

        def check(lo: int, hi: int) -> int | None:
            with self.ctx.engine.connect() as own:
                own = own.execution_options(isolation_level="REPEATABLE READ")
                with own.begin():
                    own.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                    return store.first_break(own, lo, hi)

        with ThreadPoolExecutor(min(workers, len(ranges))) as pool:
            futures = [pool.submit(check, lo, hi) for lo, hi in ranges]
            try:
                for future in futures:
                    if (bad := future.result()) is not None:
                        return bad
                return None
            finally:
                for future in futures:
                    future.cancel()

    def daily_roots(self, limit: int = 60) -> list[DailyRoot]:
        """The head hash at the end of each UTC day, newest first (public)."""
        with self.ctx.engine.connect() as conn:
            return [DailyRoot(r["day"], int(r["entries"]), int(r["last_seq"]), r["root_hash"])
                    for r in store.daily_roots(conn, limit)]

    def entries(self, actor: Actor, *, before: int | None = None, limit: int = 100,
                entity_type: str | None = None, entity_id: int | None = None,
                by: str | None = None) -> list[dict[str, Any]]:
        """Entries newest first, for auditors (and administrators)."""
        if not actor.roles & READ_AUDIT:
            raise Forbidden("only an auditor reads the audit trail",
                            "មានតែសវនករទេ ដែលអានកំណត់ត្រាសវនកម្មបាន")
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput([FieldError(
                ("limit",), "out_of_range", f"between 1 and {MAX_PAGE}",
                f"ចន្លោះ 1 និង {MAX_PAGE}")])
        with self.ctx.engine.connect() as conn:
            rows = store.page(conn, before=before, limit=limit, entity_type=entity_type,
                              entity_id=entity_id, actor=by)
        return [dict(r) for r in rows]
