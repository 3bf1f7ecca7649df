"""The pacer (bot/pacing.py): strict windows, two lanes, per-chat windows, the shared PG pace.

The in-memory cases run on virtual time (a clock and a sleep the test drives), so they check
exact orderings and windows without waiting; the PostgreSQL case runs for real and checks the
slots the database handed out.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections.abc import Awaitable
from typing import Any

import pytest

from bot.db import Database
from bot.pacing import (
    DatabaseSlots,
    Lane,
    MemorySlots,
    PaceConfig,
    Pacer,
    make_slots,
    strict_interval,
)
from tests.fakes.telegram import max_in_window


class VirtualTime:
    """A clock and a sleep: a sleeper wakes when every task is blocked and its time is next."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(seconds, 0.0), next(self._seq), future))
        await future

    async def run(self, *work: Awaitable[Any]) -> list[Any]:
        tasks = [asyncio.ensure_future(w) for w in work]
        while not all(task.done() for task in tasks):
            for _ in range(20):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._timers:
                when, _, future = heapq.heappop(self._timers)
                self.now = max(self.now, when)
                future.set_result(None)
        return [task.result() for task in tasks]


def pacer(vt: VirtualTime, **config: Any) -> Pacer:
    return Pacer(PaceConfig(key="telegram:1", **config), MemorySlots(vt), clock=vt, sleep=vt.sleep)


def test_the_interval_keeps_every_closed_second_at_n_and_sustains_095() -> None:
    for n in (20, 30):
        interval = strict_interval(n)
        slots = [i * interval for i in range(10 * n)]
        assert max_in_window(slots, 1.0) == n  # never n + 1 ...
        assert 1 / interval >= 0.95 * n  # ... yet 95 % of the ceiling


async def test_a_bulk_fan_out_never_exceeds_30_in_a_second_and_runs_near_the_ceiling() -> None:
    vt = VirtualTime()
    pace = pacer(vt)
    sent: list[float] = []
    queue = list(range(600))

    async def worker() -> None:
        while queue:
            queue.pop()
            async with pace.slot(None, Lane.BULK):
                sent.append(vt())

    await vt.run(*(worker() for _ in range(8)))
    assert len(sent) == 600
    assert max_in_window(sent, 1.0) == 30
    assert len(sent) / (sent[-1] - sent[0]) >= 0.95 * 30
    assert pace.stats.sent == {"reply": 0, "bulk": 600}


async def test_a_reply_goes_ahead_of_the_fan_out() -> None:
    vt = VirtualTime()
    pace = pacer(vt)
    log: list[tuple[str, float]] = []
    queue = list(range(300))

    async def worker() -> None:
        while queue:
            queue.pop()
            async with pace.slot(None, Lane.BULK):
                log.append(("bulk", vt()))

    async def reply() -> float:
        await vt.sleep(3.0)  # a user asks for /today in the middle of the fan-out
        asked = vt()
        async with pace.slot("42", Lane.REPLY):
            log.append(("reply", vt()))
        return asked

    _, _, _, asked = await vt.run(worker(), worker(), worker(), reply())
    answered = next(at for kind, at in log if kind == "reply")
    bulk_in_between = [at for kind, at in log if kind == "bulk" and asked <= at < answered]
    assert len(bulk_in_between) <= 1  # behind at most the one bulk message already due
    assert answered - asked <= 2 * pace.interval
    assert max_in_window([at for _, at in log], 1.0) <= 30


async def test_a_group_gets_at_most_20_messages_in_any_minute() -> None:
    vt = VirtualTime()
    pace = pacer(vt)
    group: list[float] = []
    private: list[float] = []

    async def send(chat: str, into: list[float], count: int) -> None:
        for _ in range(count):
            async with pace.slot(chat, Lane.BULK, group=chat.startswith("-")):
                into.append(vt())

    await vt.run(send("-100", group, 45), send("7", private, 45))
    assert max_in_window(group, 60.0) == 20
    assert max_in_window(group, 60.4) == 20  # with most of the margin for clock jitter
    assert private[-1] < 3.0  # a private chat is not held to the group window
    assert group[-1] >= 120.0  # 45 messages need three windows


async def test_group_windows_forget_idle_chats() -> None:
    vt = VirtualTime()
    pace = pacer(vt, per_second=1000)

    async def many() -> None:
        for i in range(600):
            async with pace.slot(f"-{i}", Lane.REPLY, group=True):
                pass
            if i == 300:
                await vt.sleep(120.0)  # the first 300 chats fall out of their windows

    await vt.run(many())
    assert len(pace.windows) < 400


async def test_paid_broadcast_paces_bulk_on_its_own_faster_key() -> None:
    vt = VirtualTime()
    pace = pacer(vt, paid_per_second=1000)
    sent: list[float] = []

    async def bulk() -> None:
        for _ in range(2000):
            async with pace.slot(None, Lane.BULK, paid=True):
                sent.append(vt())

    await vt.run(bulk())
    assert max_in_window(sent, 1.0) <= 1000
    assert len(sent) / (sent[-1] - sent[0]) >= 0.95 * 1000


async def test_bulk_is_refused_a_slot_that_is_not_yet_due() -> None:
    clock = VirtualTime()
    slots = MemorySlots(clock)
    first = await slots.reserve("k", 1.0)
    second = await slots.reserve("k", 1.0)
    assert (first.granted, first.wait, second.wait) == (True, 0.0, 1.0)
    refused = await slots.reserve("k", 1.0, slack=0.5)
    assert not refused.granted and refused.wait == pytest.approx(1.5)
    clock.now = 1.5
    assert (await slots.reserve("k", 1.0, slack=0.5)).granted


def test_auto_backend_is_memory_on_sqlite(db: Database) -> None:
    assert isinstance(make_slots("auto", db), MemorySlots)
    with pytest.raises(ValueError, match="PostgreSQL"):
        make_slots("database", db)


async def test_three_processes_share_one_pace_through_postgresql(postgres_url: str) -> None:
    """Three pacers, each with its own engine (as three processes would), on one database."""
    databases = [Database.from_url(postgres_url, migrate=(i == 0)) for i in range(3)]
    assert all(isinstance(make_slots("auto", d), DatabaseSlots) for d in databases)
    interval = strict_interval(30)
    granted: list[float] = []
    try:

        async def instance(database: Database, lane: Lane) -> None:
            slots = DatabaseSlots(database)
            for _ in range(30):
                slack = interval if lane is Lane.BULK else None
                while True:
                    reservation = await slots.reserve("telegram:1", interval, slack)
                    if reservation.granted:
                        break
                    await asyncio.sleep(reservation.wait)
                granted.append(reservation.at)
                await asyncio.sleep(max(reservation.wait, 0.0))

        await asyncio.wait_for(
            asyncio.gather(
                instance(databases[0], Lane.BULK),
                instance(databases[1], Lane.BULK),
                instance(databases[2], Lane.REPLY),
            ),
            timeout=30,
        )
    finally:
        for database in databases:
            database.dispose()
    assert len(granted) == 90
    ordered = sorted(granted)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    assert min(gaps) >= interval - 1e-6  # no two slots closer than the interval
    assert max_in_window(ordered, 1.0) <= 30


async def test_a_congested_path_cannot_bunch_sends_into_one_second_at_the_server() -> None:
    """Requests stuck on the way (a stalled loop, a slow hop) arrive together: still <= 30."""
    vt = VirtualTime()
    pace = pacer(vt)
    arrivals: list[float] = []
    queue = list(range(300))

    async def worker() -> None:
        while queue:
            queue.pop()
            async with pace.slot(None, Lane.BULK):
                # the path only moves every 0.7 s (a stalled loop): requests arrive in batches
                await vt.sleep(math.ceil(vt() / 0.7 + 1e-9) * 0.7 - vt())
                arrivals.append(vt())  # the server counts it here, then answers at once

    await vt.run(*(worker() for _ in range(16)))
    assert len(arrivals) == 300
    assert max_in_window(arrivals, 1.0) <= 30


async def test_the_shared_pace_falls_back_to_this_process_when_the_database_is_gone() -> None:
    from bot.db import make_engine

    unreachable = Database(make_engine("postgresql://postgres@127.0.0.1:1/none"))
    try:
        slots = DatabaseSlots(unreachable)
        first = await slots.reserve("telegram:1", 0.5)
        second = await slots.reserve("telegram:1", 0.5)
    finally:
        unreachable.dispose()
    assert first.granted and second.granted
    assert second.at - first.at == pytest.approx(0.5)  # still paced, by the local clock


async def test_on_a_congested_path_a_reply_still_goes_first() -> None:
    vt = VirtualTime()
    pace = pacer(vt)
    started: list[str] = []
    queue = list(range(300))

    async def on_the_way() -> None:
        await vt.sleep(math.ceil(vt() / 0.7 + 1e-9) * 0.7 - vt())  # the path moves every 0.7 s

    async def worker() -> None:
        while queue:
            queue.pop()
            async with pace.slot(None, Lane.BULK):
                started.append("bulk")
                await on_the_way()

    async def reply() -> int:
        await vt.sleep(3.0)
        asked = len(started)
        async with pace.slot("42", Lane.REPLY):
            started.append("reply")
            await on_the_way()
        return asked

    *_, asked = await vt.run(*(worker() for _ in range(16)), reply())
    assert started.index("reply") - asked <= 1  # the bulk sends waiting for room let it pass
