"""Use cases of the audit trail: recompute the chain, publish its daily roots, and let auditors
read its entries (each read of entries is an ordinary staff read: no personal data is
decrypted; payloads hold what ``change_log`` holds, encrypted identifiers only as "changed")."""

from __future__ import annotations

import hashlib
from typing import Any

from spmis.audit import store
from spmis.audit.model import DailyRoot, Fault, Verdict
from spmis.auth.model import Actor
from spmis.auth.role_sets import READ_AUDIT
from spmis.context import AppContext
from spmis.db.chain import GENESIS, time_text
from spmis.errors import FieldError, Forbidden, InvalidInput

__all__ = ["AuditService", "verify_rows"]

MAX_PAGE = 500


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

    def verify(self, local: bool = False) -> Verdict:
        """Recompute the whole chain from its first entry: on PostgreSQL in the database (one
        set-based statement; ``local``: here, entry after entry, as on SQLite)."""
        with self.ctx.engine.connect() as conn:
            if conn.dialect.name == "postgresql" and not local:
                found = store.first_break(conn)
                if found is None:
                    seq, digest = store.head(conn)
                    return Verdict(seq, seq, digest)
                seq, prev_seq, prev_hash = found
                if seq != prev_seq + 1:
                    return Verdict(prev_seq, prev_seq, prev_hash, prev_seq + 1, Fault.MISSING,
                                   seq)
                return Verdict(prev_seq, prev_seq, prev_hash, seq, Fault.ALTERED, seq)
            batches = store.chain_rows(conn)
            try:
                return verify_rows(batches)
            finally:
                batches.close()

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
