"""The bot's own membership and moving groups, end to end: real PTB adapter ↔ fake Bot API.

``my_chat_member`` updates (removed, blocked, added back) change the subscriptions at once; a
group that became a supergroup which already had its own subscription gets one digest. On
SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from adapters.telegram.bot import ALLOWED_UPDATES
from bot.domain import Target
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_harness import Clock, make_settings, running_bot

USER = 1001
ADMIN = 1005
GROUP = -100200
NEW_GROUP = -1009200
FORUM = -100300
CHANNEL = -100400


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 1, 11, hour, minute, tzinfo=UTC)


def tg_target(chat_id: int, thread_id: int | None = None) -> Target:
    return Target("telegram", str(chat_id), str(thread_id) if thread_id else None)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll the store until ``check`` holds (the adapter handles updates on its own)."""
    for _ in range(int(within / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")


@pytest.fixture
async def hf():
    async with FakeHuggingFace() as server:
        yield server


@pytest.fixture
async def tg():
    server = FakeTelegram()
    server.add_private_chat(USER, "Alice")
    server.add_group(GROUP, "Readers", admins=(ADMIN,))
    server.add_group(FORUM, "Forum", forum=True, admins=(ADMIN,))
    server.add_topic(FORUM, 7)
    server.add_channel(CHANNEL)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, hf, tg):
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    return make_settings(url, hf.base_url, tg)


async def subscribe(app, target: Target) -> None:
    await app.subscriptions.subscribe(target, None)


async def receiving(app, target: Target) -> bool:
    sub = await app.subscriptions.get(target)
    return sub is not None and sub.receiving


async def test_removed_blocked_and_added_back(settings, tg) -> None:
    assert "my_chat_member" in ALLOWED_UPDATES
    clock = Clock(utc(8, 0))
    async with running_bot(settings, clock) as (app, _):
        for target in (tg_target(GROUP), tg_target(USER), tg_target(CHANNEL)):
            await subscribe(app, target)
        await subscribe(app, tg_target(FORUM, 7))
        await subscribe(app, tg_target(FORUM))
        await app.subscriptions.set(tg_target(FORUM, 7), "paused", "off")

        tg.bot_member_changed(GROUP, "kicked", ADMIN)
        tg.bot_member_changed(USER, "kicked", USER)  # Alice blocks the bot
        tg.bot_member_changed(CHANNEL, "left", ADMIN)
        tg.bot_member_changed(FORUM, "left", ADMIN)
        for target in (tg_target(GROUP), tg_target(USER), tg_target(CHANNEL)):
            await eventually(lambda target=target: _not(receiving(app, target)))
        await eventually(lambda: _not(receiving(app, tg_target(FORUM, 7))))
        assert not await receiving(app, tg_target(FORUM))  # every topic of the chat
        (sub,) = [s for s in await app.subscriptions.list_all() if s.chat_id == str(USER)]
        assert sub.subscribed and sub.last_error == "telegram: the user blocked the bot"
        group = await app.subscriptions.get(tg_target(GROUP))
        assert group is not None and "removed from the group" in (group.last_error or "")
        # getUpdates asked for my_chat_member (the fake only hands out what was asked for)
        polls = [p for name, p in tg.calls if name == "getupdates" and p.get("allowed_updates")]
        assert polls and all("my_chat_member" in p["allowed_updates"] for p in polls)

        report = await app.delivery.tick(utc(9, 0))
        assert report.due == 0 and report.failed == []
        assert not any(name in {"sendmessage", "sendphoto"} for name, _ in tg.calls)

        await app.subscriptions.unsubscribe(tg_target(CHANNEL))  # not subscribed: stays off
        tg.bot_member_changed(GROUP, "member", ADMIN)
        tg.bot_member_changed(USER, "member", USER)  # unblocked
        tg.bot_member_changed(CHANNEL, "administrator", ADMIN)
        await eventually(lambda: receiving(app, tg_target(GROUP)))
        await eventually(lambda: receiving(app, tg_target(USER)))
        report = await app.delivery.tick(utc(9, 1))
        assert sorted(report.delivered) == sorted(
            [(await app.subscriptions.get(t)).id for t in (tg_target(GROUP), tg_target(USER))]
        )
        assert "Daily Papers (2025-01-10)" in tg.sent_to(GROUP)[0].plain
        assert tg.sent_to(CHANNEL) == [] and not await receiving(app, tg_target(CHANNEL))
        assert tg.sent_to(FORUM) == []


async def test_member_to_admin_changes_nothing(settings, tg) -> None:
    clock = Clock(utc(8, 0))
    async with running_bot(settings, clock) as (app, _):
        await subscribe(app, tg_target(GROUP))
        await app.subscriptions.record_failure(
            (await app.subscriptions.get(tg_target(GROUP))).id, "hiccup"
        )
        tg.bot_member_changed(GROUP, "administrator", ADMIN)  # promoted: still there
        tg.group_message(GROUP, ADMIN, "/settings")
        await tg.wait_sent(1, chat_id=GROUP)  # updates are handled in order
        sub = await app.subscriptions.get(tg_target(GROUP))
        assert sub is not None and sub.receiving and sub.failure_count == 1


async def test_migrated_group_onto_a_subscribed_supergroup_gets_one_digest(settings, tg) -> None:
    clock = Clock(utc(8, 0))
    async with running_bot(settings, clock) as (app, _):
        await subscribe(app, tg_target(GROUP))
        tg.migrate(GROUP, NEW_GROUP)
        tg.group_message(NEW_GROUP, ADMIN, "/subscribe")  # the supergroup subscribes itself
        await tg.wait_sent(1, chat_id=NEW_GROUP)
        chatter = len(tg.sent_to(NEW_GROUP))
        report = await app.delivery.tick(utc(9, 0))
        digests = tg.sent_to(NEW_GROUP)[chatter:]
        assert len(digests) == 1 and "Daily Papers (2025-01-10)" in digests[0].plain
        for minute in (1, 2, 30):
            await app.delivery.tick(utc(9, minute))
        assert len(tg.sent_to(NEW_GROUP)) == chatter + 1
        assert tg.sent_to(GROUP) == []
        old = await app.subscriptions.get(tg_target(GROUP))
        assert old is not None and not old.subscribed and not old.active
        new = await app.subscriptions.get(tg_target(NEW_GROUP))
        assert new is not None and new.receiving
        assert new.id in report.delivered or old.id in report.delivered


async def _not(value: Awaitable[bool]) -> bool:
    return not await value
