"""Per-key rate limits (fixed windows). Shared through Redis when there is one, else per process.

If Redis fails mid-request we fall back to the in-process counter: a limiter outage must not
take /check down with it.
"""
from __future__ import annotations

import threading
import time


class LocalWindow:
    def __init__(self):
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, period: int, now: float) -> int:
        window = int(now // period)
        with self._lock:
            if len(self._counts) > 50_000:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        return count


class RateLimiter:
    def __init__(self, limit: int, period: int, redis=None):
        self.limit, self.period, self.redis = limit, period, redis
        self.local = LocalWindow()

    def hit(self, key: str) -> float | None:
        """Count one request; None if allowed, else seconds until the window resets."""
        if self.limit <= 0:
            return None
        now = time.time()
        count = None
        if self.redis is not None:
            window = int(now // self.period)
            name = f"auditor:rl:{key}:{window}"
            try:
                with self.redis.pipeline(transaction=False) as pipe:
                    pipe.incr(name)
                    pipe.expire(name, self.period + 1)
                    count = pipe.execute()[0]
            except Exception:   # noqa: BLE001 - see module docstring
                count = None
        if count is None:
            count = self.local.hit(key, self.limit, self.period, now)
        if count > self.limit:
            return max(1.0, self.period - (now % self.period))
        return None
