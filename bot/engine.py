"""The runner's delivery engine: the clock only enqueues, workers drain the queue.

``Delivery.tick`` delivers everything due and returns when it is done: right for a CLI run
and for tests, wrong for a process that must keep answering and keep starting chats that fall
due while a long fan-out is under way. Here a claimer takes due subscriptions from the
database a page at a time (oldest due first, the ones that just fell due ahead), prepares
their digests and puts them on an in-memory queue in that order; ``DELIVERY_CONCURRENCY``
workers send from it. The queue is kept short (a page or two), so the rows an instance holds
are few and another instance, or a restart, takes over the rest at once.

Each tick (the clock) frees claims whose holder is gone (a dead instance, or this one before a
restart), wakes the claimer and reports what happened since the last tick. On SIGTERM the
engine stops claiming, lets each worker finish the message in flight and gives every claim
back, so another instance resumes those chats where they stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot.db import is_outage, one_line
from bot.delivery import Delivery, Job, TickReport

log = logging.getLogger(__name__)
delivery_log = logging.getLogger("bot.delivery")  # the delivery log, whoever drives it

PAGE = 100  # claimed at a time; the claimer tops the queue up below half of it
STOP_SECONDS = 10.0  # on shutdown, how long the messages in flight may take
LOOK_SECONDS = 15.0  # the claimer looks on its own this often, whatever TICK_SECONDS is


class Engine:
    """Claimer + workers around a ``Delivery`` (see the module docstring)."""

    def __init__(
        self,
        delivery: Delivery,
        now: Callable[[], datetime],
        *,
        workers: int = 8,
        page: int = PAGE,
        holders: Callable[[], Awaitable[tuple[set[str], set[str]]]] | None = None,
        stale: timedelta = timedelta(seconds=30),
    ) -> None:
        self.delivery = delivery
        self.now = now
        self.workers = max(workers, 1)
        self.page = max(page, 2)
        # (alive, dead) claim holders, from the instances' heartbeats (bot/instances.py)
        self.holders = holders
        self.stale = stale
        self.report = TickReport()
        self.renders: dict[tuple[Any, ...], list[Any]] = {}
        # first in, first out: the claims come in due-time order already, with the chats that
        # just fell due ahead, so they wait for at most a page of the backlog, not all of it
        self._queue: asyncio.Queue[Job | None] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._more = False  # the last claim was a full page: more is due
        self._claiming = False  # the claimer is claiming and preparing a page
        self._claiming_lock = asyncio.Lock()  # a claim and a release of stray claims
        self._leaked = False  # a job died with the database: give its claim back
        self._tasks: list[asyncio.Task[None]] = []
        self._claimer: asyncio.Task[None] | None = None
        self._db_down = False
        self._busy = 0  # workers sending right now
        self._began = 0.0  # when the fan-out under way began (loop time)

    async def start(self) -> None:
        await self.reclaim()
        self._claimer = asyncio.create_task(self._claim_loop(), name="delivery-claimer")
        self._tasks = [
            asyncio.create_task(self._work(), name=f"delivery-worker-{n}")
            for n in range(self.workers)
        ]

    async def reclaim(self) -> None:
        """Free the claims of holders that are gone, and this instance's stray ones."""
        now = self.now()
        alive, dead = await self.holders() if self.holders else (set(), set())
        if self._leaked:
            async with self._claiming_lock:  # never while a claim's rows are not in held yet
                await self.delivery.queue.release(self.delivery.holder, set(self.delivery.held))
            self._leaked = False  # (only once that worked)
        freed = await self.delivery.queue.reclaim(
            self.delivery.holder, alive, dead, now - 2 * self.stale
        )
        if freed:
            log.info("took over %d deliveries from stopped instances", freed)

    async def tick(self) -> TickReport:
        """The clock: free what the gone left, wake the claimer; returns the fan-out under way
        (or the one that ended since the last tick)."""
        await self.reclaim()
        self._wake.set()
        report = self.report
        if self._idle() and not self._claiming:  # (a page being prepared counts in it)
            self.report = TickReport()  # reported once; the next fan-out starts afresh
            # between posts: the summaries the next digests show (at most every 10 minutes)
            await self.delivery.prepare_summaries(self.now())
        return report

    def _idle(self) -> bool:
        return self._queue.empty() and not self._busy and not self._more

    def _fan_out_ended(self) -> None:
        """One INFO line per fan-out (the delivery log), and its rendered messages can go."""
        report = self.report
        if report.due or report.held or report.missed:
            report.seconds = asyncio.get_running_loop().time() - self._began
            report.renders = len(self.renders)
            delivery_log.info("%s", report.log_line())
        self.renders.clear()

    async def _claim_loop(self) -> None:
        while True:
            try:  # woken by the clock or a worker, and on its own every LOOK_SECONDS, so
                # takeovers and held retries do not wait for a long TICK_SECONDS
                await asyncio.wait_for(self._wake.wait(), timeout=LOOK_SECONDS)
            except TimeoutError:
                woke = False
            else:
                woke = True
            self._wake.clear()
            self._claiming = True
            try:
                if not woke:
                    await self.reclaim()
                await self._top_up()
            except Exception as exc:
                self._more = False
                self._leaked = True  # what the failed round claimed goes back
                if not is_outage(exc):
                    log.exception("claiming due deliveries failed")
                elif not self._db_down:
                    self._db_down = True
                    log.warning("database unavailable; deliveries wait: %s", one_line(exc))
            else:
                self._db_down = False
            finally:
                self._claiming = False

    async def _top_up(self) -> None:
        while self._queue.qsize() < self.page // 2 and not self.delivery.stopping:
            now = self.now()
            async with self._claiming_lock:
                rows = await self.delivery.claim(now, self.page)
            self._more = len(rows) == self.page
            if not rows:
                return
            if self._idle() and not self._queue.qsize():
                self._began = asyncio.get_running_loop().time()
            report = self.report
            jobs = await self.delivery.prepare(rows, now, report)
            for job in jobs:
                self._queue.put_nowait(job)
            if report.postponed or not self._more:
                break
        if self._idle():
            self._fan_out_ended()

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            if job is None:  # stopping
                return
            self._busy += 1
            try:
                await self.delivery.run(job, self.now(), self.report, self.renders)
            except Exception as exc:
                self.delivery.held.discard(job.row.id)
                self._leaked = True
                if not is_outage(exc):
                    log.exception("delivery to subscription %s failed", job.row.id)
            finally:
                self._busy -= 1
            if self._more and self._queue.qsize() < self.page // 2:
                self._wake.set()
            elif self._idle():
                self._fan_out_ended()

    async def stop(self) -> None:
        """Stop claiming, finish the messages in flight, give every claim back."""
        self.delivery.stopping = True
        if self._claimer is not None:
            self._claimer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._claimer
        while not self._queue.empty():  # not started: they go back as they were
            self._queue.get_nowait()
        for _ in self._tasks:
            self._queue.put_nowait(None)
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            await self.delivery.release_all()
        except Exception as exc:
            log.warning("could not give back this instance's deliveries: %s", one_line(exc))
