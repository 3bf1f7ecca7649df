"""Per-chat and per-user limits on commands that may fetch from Hugging Face.

One leaky bucket (``aiolimiter``, the library PTB's rate limiter uses) per chat and per user:
``burst`` commands at once, then ``rate_per_minute``. Hugging Face allows 500 anonymous requests
per 5 minutes for the whole bot, shared with the morning fetch: a single chat must not use them.
"""

from __future__ import annotations

import math
from collections import OrderedDict

from aiolimiter import AsyncLimiter

MAX_BUCKETS = 10_000  # the least recently used are forgotten (they would be full again anyway)


class CommandLimiter:
    def __init__(self, rate_per_minute: float, burst: int) -> None:
        self.rate_per_minute = rate_per_minute
        self.burst = max(burst, 1)
        self._buckets: OrderedDict[str, AsyncLimiter] = OrderedDict()

    def _bucket(self, key: str) -> AsyncLimiter:
        bucket = self._buckets.get(key)
        if bucket is None:
            period = self.burst * 60.0 / self.rate_per_minute
            bucket = self._buckets[key] = AsyncLimiter(self.burst, period)
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket

    async def take(self, keys: list[str]) -> float | None:
        """Take one token from every key's bucket; or, if one is empty, take none and
        return how many seconds until it has one again."""
        buckets = [self._bucket(key) for key in dict.fromkeys(keys)]
        if not all(bucket.has_capacity() for bucket in buckets):
            return float(math.ceil(60.0 / self.rate_per_minute))
        for bucket in buckets:
            await bucket.acquire()  # has capacity: returns at once
        return None
