"""A per-client token bucket: the status page's defence against code guessing."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class TokenBuckets:
    """``burst`` lookups at once per client, then one every ``refill_seconds``.

    Memory is bounded: at most ``max_clients`` buckets are kept, the least
    recently seen dropped first (a dropped client simply starts full again,
    which is no better than waiting for a refill).
    """

    def __init__(self, burst: int = 5, refill_seconds: float = 10.0, max_clients: int = 10_000) -> None:
        if burst < 1 or refill_seconds <= 0:
            raise ValueError("burst must be >= 1 and refill_seconds > 0")
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> bool:
        """Spend one token for ``client``; False when the client must wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, stamp = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) / self.refill_seconds)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return allowed

    def has_token(self, client: str, now: float | None = None) -> bool:
        """Whether ``client`` could spend a token now (spends nothing)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, stamp = self._buckets.get(client, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - stamp) / self.refill_seconds) >= 1.0

    def retry_after(self, client: str) -> int:
        """Whole seconds until ``client`` has a token again."""
        with self._lock:
            tokens, _ = self._buckets.get(client, (float(self.burst), 0.0))
        return max(1, round((1.0 - tokens) * self.refill_seconds))
