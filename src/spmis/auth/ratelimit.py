"""In-process token bucket per client address, for the public (no-login) endpoints.

Each address may burst ``burst`` requests and then ``per_minute`` a minute. One process keeps its
own buckets; behind several workers the effective limit is multiplied by their number (a shared
limiter at the reverse proxy is the production answer; this one protects a single server).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_TRACKED = 50_000


class TokenBucket:
    """Thread-safe token buckets keyed by client address."""

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


def retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
