"""The morning post end to end: Delivery.tick(now) → TelegramPublisher → real PTB → fake Bot API.

Time is driven by the ``now`` passed to tick (and the injected clock), never by sleeping.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.domain import Target
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_harness import Clock, make_settings, running_bot

USER = 1001
USER2 = 1002
ADMIN = 1005
GROUP = -100200
NEW_GROUP = -1009200
FORUM = -100300


def utc(hour: int, minute: int = 0, day: int = 11) -> datetime:
    return datetime(2025, 1, day, hour, minute, tzinfo=UTC)


def tg_target(chat_id: int, thread_id: int | None = None) -> Target:
    return Target("telegram", str(chat_id), str(thread_id) if thread_id else None)


@pytest.fixture
async def hf():
    async with FakeHuggingFace() as server:
        yield server


@pytest.fixture
async def tg():
    server = FakeTelegram()
    server.add_private_chat(USER, "Alice")
    server.add_private_chat(USER2, "Bob")
    server.add_group(GROUP, "Readers", admins=(ADMIN,))
    server.add_group(FORUM, "Forum", forum=True, admins=(ADMIN,))
    server.add_topic(FORUM, 7)
    server.add_topic(FORUM, 9)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(sqlite_url, hf, tg):
    return make_settings(sqlite_url, hf.base_url, tg)


async def subscribe(app, target: Target, **values: str) -> None:
    await app.subscriptions.subscribe(target, None)
    for key, value in values.items():
        await app.subscriptions.set(target, key, value)


async def tick(app, clock: Clock, now: datetime):
    clock.now = now
    return await app.delivery.tick(now)


def bodies(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.body for m in tg.sent_to(chat_id)]


async def test_morning_post_at_local_time_in_two_timezones(settings, tg) -> None:
    clock = Clock(utc(2, 0))
    async with running_bot(settings, clock) as (app, _):
        # the private chat subscribes through the chat itself
        for command in ("/subscribe", "/settings timezone Asia/Seoul", "/settings time 12:00"):
            before = len(tg.sent_to(USER))
            tg.private_message(USER, command)
            await tg.wait_sent(before + 1, chat_id=USER)
        await subscribe(app, tg_target(GROUP), timezone="Europe/Berlin", time="09:00")
        chatter = len(tg.sent_to(USER))

        assert (await tick(app, clock, utc(2, 59))).delivered == []  # 11:59 in Seoul
        report = await tick(app, clock, utc(3, 0))  # 12:00 in Seoul, 04:00 in Berlin
        assert len(report.delivered) == 1 and report.day.isoformat() == "2025-01-10"
        (digest,) = tg.sent_to(USER)[chatter:]
        assert "Daily Papers (2025-01-10)" in digest.plain and "Search-o1" in digest.plain
        assert digest.parse_mode == "HTML" and digest.buttons()
        assert tg.sent_to(GROUP) == []

        assert (await tick(app, clock, utc(7, 59))).delivered == []
        assert len((await tick(app, clock, utc(8, 0))).delivered) == 1  # 09:00 in Berlin
        (group_digest,) = tg.sent_to(GROUP)
        assert group_digest.body == digest.body  # one render shared by both chats
        assert (await tick(app, clock, utc(8, 1))).delivered == []
        assert len(tg.sent_to(USER)) == chatter + 1


async def test_restart_after_delivery_posts_nothing_twice(settings, tg) -> None:
    clock = Clock(utc(9, 0))
    async with running_bot(settings, clock) as (app, _):
        await subscribe(app, tg_target(USER), time="09:00")
        await subscribe(app, tg_target(GROUP), time="09:00")
        assert len((await tick(app, clock, utc(9, 0))).delivered) == 2
    sent = len(tg.sent)
    async with running_bot(settings, clock) as (app, _):  # a new process on the same database
        for now in (utc(9, 0), utc(9, 1), utc(20, 0)):
            report = await tick(app, clock, now)
            assert report.delivered == [] and report.failed == []
    assert len(tg.sent) == sent


async def test_restart_after_a_failure_mid_fan_out_resumes_without_duplicates(settings, tg) -> None:
    clock = Clock(utc(9, 0))
    async with running_bot(settings, clock) as (app, _):
        for chat in (USER, USER2, GROUP):
            await subscribe(app, tg_target(chat), time="09:00", style="cards", top="3")
        # Telegram has a hiccup on the third message to USER (intro + 2 cards went out)
        tg.fail_next("*", 502, "Bad Gateway", chat_id=USER, after=2)
        report = await tick(app, clock, utc(9, 0))
        # a 502 is Telegram's trouble: the delivery is held, not failed against the chat
        assert len(report.delivered) == 2 and report.failed == [] and len(report.held) == 1
        assert len(tg.sent_to(USER)) == 2
    async with running_bot(settings, clock) as (app, _):
        report = await tick(app, clock, utc(9, 1))
        assert len(report.delivered) == 1
    expected = bodies(tg, USER2)
    assert len(expected) == 4  # intro + three cards
    assert bodies(tg, USER) == expected
    assert bodies(tg, GROUP) == expected


async def test_crash_mid_fan_out_resumes_after_the_lease(settings, tg) -> None:
    clock = Clock(utc(9, 0))
    async with running_bot(settings, clock) as (app, adapter):
        await subscribe(app, tg_target(USER), time="09:00", style="cards", top="2")
        real_send = adapter.publisher.send
        calls = 0

        async def dying_send(target, message):
            nonlocal calls
            calls += 1
            if calls == 2:
                raise asyncio.CancelledError  # the process is killed while sending
            return await real_send(target, message)

        adapter.publisher.send = dying_send  # type: ignore[method-assign]
        with pytest.raises(asyncio.CancelledError):
            await tick(app, clock, utc(9, 0))
    assert len(tg.sent_to(USER)) == 1
    async with running_bot(settings, clock) as (app, _):
        assert (await tick(app, clock, utc(9, 2))).delivered == []  # the claim is still held
        assert len(tg.sent_to(USER)) == 1
        assert len((await tick(app, clock, utc(9, 10))).delivered) == 1  # lease expired
        (record,) = await app.ledger.records()
        assert record.status == "done" and record.messages_sent == 3
    assert len(tg.sent_to(USER)) == 3
    assert len(set(bodies(tg, USER))) == 3


async def test_blocked_chat_is_deactivated_after_three_days_then_skipped(settings, tg, hf) -> None:
    hf.set_day("2025-01-14", hf.days["2025-01-13"])  # a third day with papers
    clock = Clock(utc(9, 0))
    async with running_bot(settings, clock) as (app, _):
        await subscribe(app, tg_target(USER), time="09:00")
        await subscribe(app, tg_target(USER2), time="09:00")
        tg.block(USER2)  # no my_chat_member update: only failed sends tell
        first = await tick(app, clock, utc(9, 0))
        assert len(first.delivered) == 1 and len(first.failed) == 1
        second = await tick(app, clock, utc(9, 1))
        third = await tick(app, clock, utc(9, 2))
        # blocked is a fact about the chat: that morning is over for it, no retries
        assert second.failed == third.failed == []
        assert third.deactivated == []  # one morning: still active
        assert (await tick(app, clock, utc(9, 0, day=14))).deactivated == []  # Monday's digest
        row = await app.subscriptions.get(tg_target(USER2))
        assert row is not None and row.active and len(row.failed_days) == 2
        assert (await tick(app, clock, utc(9, 0, day=15))).deactivated == first.failed
        row = await app.subscriptions.get(tg_target(USER2))
        assert row is not None and not row.active and "blocked" in (row.last_error or "")

        def attempts() -> int:
            return sum(1 for name, p in tg.calls if name == "sendmessage" and p["chat_id"] == USER2)

        tried = attempts()
        assert tried == 3  # one per morning
        for minute in (3, 4, 30):
            assert (await tick(app, clock, utc(9, minute, day=15))).failed == []
        assert attempts() == tried
        assert len(tg.sent_to(USER)) == 3  # the digests of Friday, Monday and Tuesday


async def test_migrated_group_moves_the_subscription_and_resends(settings, tg) -> None:
    clock = Clock(utc(9, 0))
    async with running_bot(settings, clock) as (app, _):
        await subscribe(app, tg_target(GROUP), time="09:00")
        tg.migrate(GROUP, NEW_GROUP)
        report = await tick(app, clock, utc(9, 0))
        assert len(report.delivered) == 1
        (digest,) = tg.sent_to(NEW_GROUP)
        assert "Search-o1" in digest.plain
        assert tg.sent_to(GROUP) == []
        assert await app.subscriptions.get(tg_target(GROUP)) is None
        moved = await app.subscriptions.get(tg_target(NEW_GROUP))
        assert moved is not None and moved.active and moved.subscribed


async def test_forum_topic_delivery_and_fallback_to_the_main_chat(settings, tg) -> None:
    clock = Clock(utc(9, 0))
    async with running_bot(settings, clock) as (app, _):
        await subscribe(app, tg_target(FORUM, 9), time="09:00")
        await subscribe(app, tg_target(FORUM, 7), time="09:00")
        tg.delete_topic(FORUM, 7)
        report = await tick(app, clock, utc(9, 0))
        assert len(report.delivered) == 2
        (in_topic,) = tg.sent_to(FORUM, 9)
        assert "Search-o1" in in_topic.plain
        main = tg.sent_to(FORUM, None)
        assert any("no longer exists" in m.plain for m in main)
        assert any(m.body == in_topic.body for m in main)
        assert tg.sent_to(FORUM, 7) == []
        fallen_back = await app.subscriptions.get(tg_target(FORUM))
        assert fallen_back is not None and fallen_back.thread_id is None


async def test_a_send_answered_after_the_read_timeout_is_not_sent_again(
    sqlite_url, hf, tg, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram posts the message but answers after PTB's read timeout: counted as sent."""
    settings = make_settings(sqlite_url, hf.base_url, tg, telegram_send_timeout_seconds=0.5)
    clock = Clock(utc(9, 0))
    async with running_bot(settings, clock) as (app, _):
        for chat in (USER, USER2):
            await subscribe(app, tg_target(chat), time="09:00", style="cards", top="3")
        tg.slow_next("sendmessage", 1.5, times=2)  # six slow answers, like the fault probe
        tg.slow_next("sendphoto", 1.5, times=4)
        for minute in (0, 1, 2, 10, 20):
            await tick(app, clock, utc(9, minute))
        for chat in (USER, USER2):
            sent = bodies(tg, chat)
            assert len(sent) == 4, sent  # intro + three cards, each exactly once
            assert len(set(sent)) == 4
        records = await app.ledger.records()
        assert [record.status for record in records] == ["done", "done"]
    unknown = [r for r in caplog.records if "counted as sent" in r.getMessage()]
    assert len(unknown) == 6  # TELEGRAM_SEND_TIMEOUT_SECONDS reached PTB: six timed-out sends
