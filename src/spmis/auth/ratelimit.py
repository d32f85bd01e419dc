"""Token buckets per client address, for the public (no-login) endpoints.

Each address may burst ``burst`` requests and then ``per_minute`` a minute.

- ``SharedTokenBucket`` (what the application uses) keeps the buckets in the database
  (``public_rate_bucket``): one atomic upsert per request refills and takes a token, so the limit
  holds across every worker process and every application server that share the database. A
  bucket idle long enough to be full again is deleted now and then. On PostgreSQL the commit does
  not wait for the disk (``synchronous_commit`` off for that transaction only). When the database
  cannot be reached the request is let through (logged): the limiter must not turn a database
  restart into refusals of ``/health``, and whatever the request does next meets the same
  database.
- ``TokenBucket`` keeps them in this process's memory: for one process only (tests, tools).

Behind a reverse proxy the client address is the one the proxy forwards
(``SPMIS_FORWARDED_ALLOW_IPS``, docs/operations.md); otherwise every caller would share the
proxy's bucket.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import Engine, case, delete, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from spmis.auth.store import public_rate_bucket as bucket_table

MAX_TRACKED = 50_000
#: one take in this many also deletes the buckets that are full again
PRUNE_ONE_IN = 1000
log = logging.getLogger(__name__)


class RateLimiter(Protocol):
    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else seconds to wait before retrying."""


class TokenBucket:
    """Thread-safe token buckets keyed by client address, in this process's memory."""

    def __init__(self, per_minute: int, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else seconds to wait before retrying."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                self._prune(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        if len(self._buckets) <= MAX_TRACKED:
            return
        refill = self.burst / self.rate
        for key, (_tokens, last) in list(self._buckets.items()):
            if now - last >= refill:
                del self._buckets[key]


class SharedTokenBucket:
    """Token buckets in the database, shared by every process using ``engine``."""

    def __init__(self, engine: Engine, per_minute: int, burst: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock

    def _upsert(self, key: str, now: float) -> Any:
        t = bucket_table
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        elapsed = case((t.c.touched < now, literal(now) - t.c.touched), else_=0.0)
        grown = t.c.tokens + elapsed * self.rate
        refilled = case((grown > self.burst, self.burst), else_=grown)
        stmt = dialect.insert(t).values(client_key=key, tokens=self.burst - 1.0, touched=now,
                                        granted=1)
        return stmt.on_conflict_do_update(
            index_elements=[t.c.client_key],
            set_={"tokens": case((refilled >= 1.0, refilled - 1.0), else_=refilled),
                  "granted": case((refilled >= 1.0, 1), else_=0),
                  "touched": now},
        ).returning(t.c.tokens, t.c.granted)

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else seconds to wait before retrying."""
        now = self.clock()
        try:
            with self.engine.begin() as conn:
                if self.engine.dialect.name == "postgresql":
                    # a bucket lost in a crash is harmless: do not wait for the WAL to reach the
                    # disk (the commit's fsync was most of a public request's time under load)
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                tokens, granted = conn.execute(self._upsert(key[:64], now)).one()
                if secrets.randbelow(PRUNE_ONE_IN) == 0:
                    conn.execute(delete(bucket_table).where(
                        bucket_table.c.touched < now - self.burst / self.rate))
        except DBAPIError as exc:
            log.warning("rate limiter skipped: the database is unavailable (%s)",
                        type(exc).__name__)
            return 0.0
        return 0.0 if granted else (1.0 - float(tokens)) / self.rate


def retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
