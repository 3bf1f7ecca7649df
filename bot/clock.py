"""The clock: APScheduler runs one interval job that asks the core what is due.

Deliberately not one job per chat: the database knows who is due and who got what, so the
scheduler keeps no state worth persisting and two processes cannot double-post.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.db import is_outage, one_line

log = logging.getLogger(__name__)


class Ticker:
    """Calls ``tick()`` at start and then every ``seconds`` (coalesced, never overlapping)."""

    def __init__(self, tick: Callable[[], Awaitable[object]], seconds: int = 60) -> None:
        self._tick = tick
        self.database_down = False  # during an outage: one warning, then one line when back
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=seconds, timezone=UTC),
            id="tick",
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=seconds,
        )

    async def _run(self) -> None:
        try:
            report = await self._tick()
        except asyncio.CancelledError:  # shut down mid-tick (SIGTERM): not a failed job
            log.debug("tick cancelled: the clock is shutting down")
            return
        except Exception as exc:  # a failing tick must not stop the clock
            if not is_outage(exc):
                log.exception("tick failed")
            elif not self.database_down:
                self.database_down = True
                log.warning(
                    "database unavailable; the clock keeps trying every tick: %s", one_line(exc)
                )
            return
        if self.database_down:
            self.database_down = False
            log.warning("database is back; the clock is running again")
        log.debug("tick: %s", report)

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
