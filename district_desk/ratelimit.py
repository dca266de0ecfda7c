"""Per-client token buckets: the status page's and enrolment's defence against guessing.

:class:`TokenBuckets` lives in one process's memory; :class:`SharedTokenBuckets`
lives in the district store, for limits that every receiver process must enforce
together.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


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


class SharedTokenBuckets:
    """The same bucket rule as :class:`TokenBuckets`, held in the district store
    (table ``rate_limit``) so that every receiver process over one database spends
    from one bucket per client: N processes enforce one limit, not N.

    Each :meth:`take` is one short transaction that locks the client's row (a row
    lock on PostgreSQL, SQLite's write lock), so two processes never both spend
    the last token. Times are wall-clock (processes share no monotonic clock).
    The client is kept as a hash of its address, and full buckets (no different
    from none) are deleted now and then, so the table stays small.
    """

    PRUNE_EVERY = 500

    def __init__(self, store: Any, name: str, burst: int = 5, refill_seconds: float = 10.0,
                 clock: Callable[[], float] = time.time) -> None:
        if burst < 1 or refill_seconds <= 0:
            raise ValueError("burst must be >= 1 and refill_seconds > 0")
        self.store = store
        self.name = name
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.clock = clock
        self._takes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _key(client: str) -> str:
        return hashlib.sha256(client.encode("utf-8")).hexdigest()[:32]

    def take(self, client: str) -> tuple[bool, int]:
        """Spend one token for ``client``: (allowed, whole seconds until a token is back)."""
        from district_desk.models import RateLimit

        now_ms = int(self.clock() * 1000)
        key = self._key(client)
        with self.store.db.atomic():
            RateLimit.insert(bucket=self.name, client=key, tokens=float(self.burst),
                             stamp_ms=now_ms).on_conflict_ignore().execute()
            row = self.store.backend.lock(
                RateLimit.select().where((RateLimit.bucket == self.name) & (RateLimit.client == key))
            ).get()
            elapsed = max(0, now_ms - int(row.stamp_ms)) / 1000.0
            tokens = min(float(self.burst), float(row.tokens) + elapsed / self.refill_seconds)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            RateLimit.update(tokens=tokens, stamp_ms=max(now_ms, int(row.stamp_ms))).where(
                RateLimit.id == row.id).execute()
        with self._lock:
            self._takes += 1
            prune = self._takes % self.PRUNE_EVERY == 0
        if prune:
            self.prune(now_ms)
        retry = 0 if allowed else max(1, math.ceil((1.0 - tokens) * self.refill_seconds))
        return allowed, retry

    def prune(self, now_ms: int | None = None) -> int:
        """Delete this limit's buckets that have refilled completely; returns how many."""
        from district_desk.models import RateLimit

        now_ms = int(self.clock() * 1000) if now_ms is None else now_ms
        full_after_ms = int(self.burst * self.refill_seconds * 1000)
        return int(RateLimit.delete().where(
            (RateLimit.bucket == self.name) & (RateLimit.stamp_ms < now_ms - full_after_ms)).execute())
