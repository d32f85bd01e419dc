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

from sqlalchemy import Engine, Integer, case, cast, delete, func, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from spmis.auth.store import public_rate_bucket as bucket_table

MAX_TRACKED = 50_000
#: one take in this many also deletes the buckets that are full again
PRUNE_ONE_IN = 1000
#: an address asking again within this many seconds is busy: it takes tokens a lease at a time
HOT_SECONDS = 1.0
#: how long leased tokens may be spent before they are dropped
LEASE_SECONDS = 1.0
MAX_LEASE = 50
log = logging.getLogger(__name__)


class RateLimiter(Protocol):
    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else seconds to wait before retrying."""

    def take_local(self, key: str) -> float | None:
        """As ``take`` when this process can answer from its memory alone (no I/O: cheap enough
        for the event loop), else None (then call ``take``)."""


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

    def take_local(self, key: str) -> float:
        """The buckets are in memory: always ``take``."""
        return self.take(key)

    def _prune(self, now: float) -> None:
        if len(self._buckets) <= MAX_TRACKED:
            return
        refill = self.burst / self.rate
        for key, (_tokens, last) in list(self._buckets.items()):
            if now - last >= refill:
                del self._buckets[key]


class SharedTokenBucket:
    """Token buckets in the database, shared by every process using ``engine``.

    A busy address (one that came back within ``HOT_SECONDS``) takes up to ``lease`` tokens at a
    time (a tenth of the burst, at most ``MAX_LEASE``) and spends them here for up to
    ``LEASE_SECONDS``; what is not spent by then is dropped, never given back. The limit still
    holds across processes (every token comes out of the shared row), and the row is written
    once per lease instead of once per request: a load from one address no longer queues every
    worker on one row lock. A quiet address takes one token at a time, as before. A refusal is
    remembered until a token can have grown back (no process can get one sooner), so a flood
    from one address is refused without writing the row each time. In one process, one thread
    at a time asks the database for an address: the others wait for its lease and spend from it,
    instead of all queueing on the row's lock with a write each (a burst of requests arriving
    when a lease ran out)."""

    def __init__(self, engine: Engine, per_minute: int, burst: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.lease = max(1, min(MAX_LEASE, burst // 10))
        #: key -> (tokens leased here, usable until, last time the database was asked, the
        #: shared bucket known empty until)
        self._leases: dict[str, tuple[int, float, float, float]] = {}
        self._lock = threading.Lock()
        #: key -> the lock its database request is made under (one at a time per address)
        self._asking: dict[str, threading.Lock] = {}

    def _upsert(self, key: str, now: float, want: int) -> Any:
        t = bucket_table
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        elapsed = case((t.c.touched < now, literal(now) - t.c.touched), else_=0.0)
        grown = t.c.tokens + elapsed * self.rate
        refilled = case((grown > self.burst, self.burst), else_=grown)
        # whole tokens handed out: ``want`` when there are that many, else all the whole ones
        whole = (func.floor(refilled) if dialect is postgresql  # PostgreSQL's cast rounds
                 else cast(refilled, Integer))  # SQLite's truncates
        given = case((refilled >= want, literal(want)), (refilled >= 1.0, whole), else_=0)
        first = min(float(want), self.burst)
        stmt = dialect.insert(t).values(client_key=key, tokens=self.burst - int(first),
                                        touched=now, granted=int(first))
        return stmt.on_conflict_do_update(
            index_elements=[t.c.client_key],
            set_={"tokens": refilled - given, "granted": given, "touched": now},
        ).returning(t.c.tokens, t.c.granted)

    def _local(self, key: str, now: float) -> tuple[float | None, int]:
        """Answer from this process when it can: a leased token (0.0), or a refusal while the
        shared bucket is known to be empty (seconds to wait: no token can appear sooner). Else
        None, with how many tokens to ask the database for."""
        with self._lock:
            left, until, asked, empty_until = self._leases.get(key, (0, 0.0, -99.0, 0.0))
            if now < empty_until:
                return empty_until - now, 0
            if left > 0 and now <= until:
                self._leases[key] = (left - 1, until, asked, 0.0)
                return 0.0, 0
            return None, self.lease if now - asked < HOT_SECONDS else 1

    def take_local(self, key: str) -> float | None:
        """A leased token (0.0) or a refusal known here, else None: the database must be asked
        (``take``)."""
        return self._local(key[:64], self.clock())[0]

    def _asking_lock(self, key: str) -> threading.Lock:
        with self._lock:
            if len(self._asking) > MAX_TRACKED:
                self._asking = {}
            return self._asking.setdefault(key, threading.Lock())

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else seconds to wait before retrying."""
        key = key[:64]
        answer, _want = self._local(key, self.clock())
        if answer is not None:
            return answer
        with self._asking_lock(key):
            now = self.clock()
            answer, want = self._local(key, now)  # another thread may have just leased
            if answer is not None:
                return answer
            return self._ask(key, now, want)

    def _ask(self, key: str, now: float, want: int) -> float:
        """Take up to ``want`` tokens from the shared bucket; keep the rest as this process's
        lease."""
        try:
            with self.engine.begin() as conn:
                if self.engine.dialect.name == "postgresql":
                    # a bucket lost in a crash is harmless: do not wait for the WAL to reach the
                    # disk (the commit's fsync was most of a public request's time under load)
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                tokens, granted = conn.execute(self._upsert(key, now, want)).one()
                if secrets.randbelow(PRUNE_ONE_IN) == 0:
                    conn.execute(delete(bucket_table).where(
                        bucket_table.c.touched < now - self.burst / self.rate))
        except DBAPIError as exc:
            log.warning("rate limiter skipped: the database is unavailable (%s)",
                        type(exc).__name__)
            return 0.0
        wait = 0.0 if granted else (1.0 - float(tokens)) / self.rate
        with self._lock:
            if len(self._leases) > MAX_TRACKED:
                self._leases.clear()
            self._leases[key] = (max(0, int(granted) - 1), now + LEASE_SECONDS, now, now + wait)
        return wait


def retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
