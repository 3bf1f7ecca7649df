"""The morning post through the real PTB and our rate limiter against a fake Bot API that answers
429 like Telegram (30 a second overall, 20 a minute per group): no 429, no window exceeded,
replies ahead of the fan-out, a 429 that still comes is retried and counted.

Assertions are about counts, windows and order, never about how long something took.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from adapters.telegram.bot import TelegramAdapter
from bot.app import App
from bot.domain import Target
from bot.pacing import MemorySlots, Reservation
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_harness import Clock, make_settings, running_bot

PRIVATE = [2000 + i for i in range(80)]
GROUPS = [-1005000 - i for i in range(20)]
READER = 1001


@pytest.fixture
async def hf():
    async with FakeHuggingFace() as server:
        yield server


@pytest.fixture
async def tg():
    server = FakeTelegram()  # the strict limits: 30/s overall, 20/min per group
    server.add_private_chat(READER, "Reader")
    for chat in PRIVATE:
        server.add_private_chat(chat, f"User {chat}")
    for chat in GROUPS:
        server.add_group(chat, f"Group {chat}")
    await server.start()
    yield server
    await server.stop()


async def subscribe_all(app: App, chats: list[int]) -> None:
    for chat in chats:
        done = app.subscriptions.subscribe(Target("telegram", str(chat)), None)
        if inspect.isawaitable(done):  # the store is becoming async
            await done


class RecordingSlots(MemorySlots):
    """Memory slots that log every granted slot in the order they were handed out."""

    def __init__(self) -> None:
        super().__init__()
        self.granted: list[tuple[str, float]] = []  # (lane, slot time)

    async def reserve(self, key: str, interval: float, slack: float | None = None) -> Reservation:
        reservation = await super().reserve(key, interval, slack)
        if reservation.granted:
            self.granted.append(("reply" if slack is None else "bulk", reservation.at))
        return reservation


def record_entries(adapter: TelegramAdapter) -> tuple[RecordingSlots, list[tuple[Any, int]]]:
    """Slots handed out, and (chat, slots handed out so far) when a send reaches the limiter."""
    limiter = adapter.rate_limiter
    assert limiter is not None
    slots = limiter.pacer.slots = RecordingSlots()
    entries: list[tuple[Any, int]] = []
    original = limiter.process_request

    async def process_request(callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[no-untyped-def]
        if endpoint == "sendMessage":
            entries.append((data.get("chat_id"), len(slots.granted)))
        return await original(callback, args, kwargs, endpoint, data, rate_limit_args)

    limiter.process_request = process_request  # type: ignore[method-assign]
    return slots, entries


async def test_fan_out_to_100_chats_draws_no_429_and_keeps_every_window(sqlite_url, hf, tg) -> None:
    settings = make_settings(sqlite_url, hf.base_url, tg, delivery_concurrency=16)
    clock = Clock()
    async with running_bot(settings, clock) as (app, adapter):
        await subscribe_all(app, PRIVATE + GROUPS)
        await asyncio.wait_for(app.delivery.tick(clock.now), timeout=60)
        stats = adapter.rate_limiter.stats  # type: ignore[union-attr]
    sends = tg.sends()
    assert tg.too_many == 0 and stats.retry_after == {"reply": 0, "bulk": 0}
    assert sorted(m.chat_id for m in sends) == sorted(PRIVATE + GROUPS)  # none lost, none twice
    assert all("Daily Papers" in m.plain for m in sends)
    assert tg.busiest(1.0) <= 30
    assert all(tg.busiest(60.0, chat) <= 20 for chat in GROUPS)
    assert stats.sent["bulk"] == 100


async def test_today_during_the_fan_out_goes_ahead_of_it(sqlite_url, hf, tg) -> None:
    # many chats at once: without lanes the reply would queue behind every one of them
    settings = make_settings(sqlite_url, hf.base_url, tg, delivery_concurrency=40)
    clock = Clock()
    async with running_bot(settings, clock) as (app, adapter):
        await subscribe_all(app, PRIVATE + GROUPS)
        slots, entries = record_entries(adapter)
        fan_out = asyncio.create_task(app.delivery.tick(clock.now))
        await tg.wait_sent(10)
        tg.private_message(READER, "/today")
        [reply] = await tg.wait_sent(1, chat_id=READER, within=30)
        await asyncio.wait_for(fan_out, timeout=60)
    entered = next(count for chat, count in entries if chat == READER)
    lanes = [lane for lane, _ in slots.granted]
    position = lanes.index("reply")
    assert position - entered <= 1  # its slot comes after at most the one bulk slot already due
    assert lanes.count("bulk") == 100 and position < 100 - 40  # most of the fan-out still to go
    at = [slot for _, slot in slots.granted]
    assert at == sorted(at)  # slots are handed out in time order: the reply goes out before
    assert "Daily Papers" in reply.plain and tg.too_many == 0
    assert tg.busiest(1.0) <= 30


async def test_a_429_on_a_reply_is_honoured_retried_and_counted(sqlite_url, hf, tg) -> None:
    settings = make_settings(sqlite_url, hf.base_url, tg)
    clock = Clock()
    async with running_bot(settings, clock) as (app, adapter):
        limiter = adapter.rate_limiter
        assert limiter is not None
        waits: list[float] = []

        async def no_wait(seconds: float) -> None:
            waits.append(seconds)

        limiter.sleep = no_wait
        tg.fail_next(
            "sendMessage",
            429,
            "Too Many Requests: retry after 7",
            parameters={"retry_after": 7},
            chat_id=READER,
            times=4,  # more than a bulk send would be allowed: a reply is never dropped
        )
        limiter.bulk_retries = 2
        tg.private_message(READER, "/today")
        [reply] = await tg.wait_sent(1, chat_id=READER, within=30)
        stats = limiter.stats
        # /metrics counts every 429 too (dailypapers_rate_limited_total{platform="telegram"})
        limited = app.metrics.rate_limited.labels("telegram")._value.get()
    assert limited == 4
    assert "Daily Papers" in reply.plain
    assert waits == [7.0, 7.0, 7.0, 7.0]
    assert stats.retry_after["reply"] == 4 and stats.retried["reply"] == 4
    assert stats.gave_up["reply"] == 0


async def test_paid_broadcast_marks_the_fan_out_but_not_replies(sqlite_url, hf, tg) -> None:
    settings = make_settings(
        sqlite_url, hf.base_url, tg, telegram_paid_broadcast=True, delivery_concurrency=16
    )
    clock = Clock()
    async with running_bot(settings, clock) as (app, adapter):
        await subscribe_all(app, PRIVATE[:40])
        await asyncio.wait_for(app.delivery.tick(clock.now), timeout=60)
        tg.private_message(READER, "/today")
        [reply] = await tg.wait_sent(1, chat_id=READER, within=30)
        limiter = adapter.rate_limiter
        assert limiter is not None and limiter.pacer.paid_interval is not None
        assert limiter.pacer.paid_interval < 1 / 900  # paced at (almost) 1,000 a second
    fan_out = [m for m in tg.sends() if m.chat_id != READER]
    assert len(fan_out) == 40 and all(m.paid_broadcast for m in fan_out)
    assert not reply.paid_broadcast
    assert tg.too_many == 0
