"""PTB's rate limiter slot, filled with the core's pacer (``bot/pacing.py``).

Every call that puts a message into a chat (``send*``, ``copyMessage``, ``forwardMessage``...)
waits for its slot: replies first, the morning post (``rate_limit_args={"lane": "bulk"}``) takes
what is left; groups and channels (negative ids, ``@username``) also keep 20 a minute. A 429 that
still comes is honoured: wait ``retry_after``, take a new slot, send again — a reply until it goes
through, a bulk send up to ``bulk_retries`` times (the ledger retries it on a later tick).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.pacing import Lane, PaceConfig, Pacer, PaceStats, SlotClock

log = logging.getLogger(__name__)

PER_SECOND = 30  # Telegram: messages per second per bot, overall
GROUP_PER_MINUTE = 20  # Telegram: messages per minute to one group or channel
# endpoints that create a message in a chat (what Telegram's flood limits count)
_PACED_PREFIXES = ("send", "copyMessage", "forwardMessage")

RateLimitArgs = dict[str, Any]


def bulk(paid: bool = False) -> RateLimitArgs:
    """``rate_limit_args`` for a fan-out send (``paid``: it carries allow_paid_broadcast)."""
    return {"lane": Lane.BULK.value, "paid": paid}


def is_group(chat_id: object) -> bool:
    """Groups, supergroups and channels have negative ids (or a public @username)."""
    return isinstance(chat_id, str | int) and str(chat_id).startswith(("-", "@"))


def seconds(retry_after: int | float | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after


class PacedRateLimiter(BaseRateLimiter[RateLimitArgs]):
    """Paces with a :class:`Pacer`; counts 429s in :attr:`stats` (``pacer.stats``)."""

    def __init__(
        self,
        pacer: Pacer,
        *,
        bulk_retries: int = 5,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
        on_retry_after: Callable[[], None] | None = None,
    ) -> None:
        self.pacer = pacer
        self.bulk_retries = bulk_retries
        self.sleep = sleep
        self.on_retry_after = on_retry_after  # every 429 seen, retried or not (a metric)

    @classmethod
    def for_token(
        cls,
        token: str,
        slots: SlotClock,
        *,
        paid_per_second: float | None = None,
        on_retry_after: Callable[[], None] | None = None,
    ) -> PacedRateLimiter:
        """The limits of one bot token; the pace key is the bot's id (never the secret)."""
        config = PaceConfig(
            key=f"telegram:{token.split(':', 1)[0]}",
            per_second=PER_SECOND,
            group_limit=GROUP_PER_MINUTE,
            paid_per_second=paid_per_second,
        )
        return cls(Pacer(config, slots), on_retry_after=on_retry_after)

    @property
    def stats(self) -> PaceStats:
        return self.pacer.stats

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        options = rate_limit_args or {}
        lane = Lane.BULK if options.get("lane") == Lane.BULK.value else Lane.REPLY
        chat = data.get("chat_id")
        paced = chat is not None and endpoint.startswith(_PACED_PREFIXES)
        paid = bool(options.get("paid")) and bool(data.get("allow_paid_broadcast"))
        attempt = 0
        while True:
            try:
                if not paced:
                    return await callback(*args, **kwargs)
                async with self.pacer.slot(str(chat), lane, group=is_group(chat), paid=paid):
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                stats = self.pacer.stats
                stats.retry_after[lane] += 1
                if self.on_retry_after is not None:
                    self.on_retry_after()
                if lane is Lane.BULK and attempt >= self.bulk_retries:
                    stats.gave_up[lane] += 1
                    raise
                attempt += 1
                stats.retried[lane] += 1
                wait = seconds(exc._retry_after)
                log.warning("telegram: 429 on %s (%s), retrying in %.0f s", endpoint, lane, wait)
                await self.sleep(wait)
