"""The morning post: due times across timezones, the ledger, restarts and failing chats."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery import CLAIM_TIMEOUT as LEASE  # a dead holder's claims: free after
from bot.delivery import is_due
from bot.domain import Target
from bot.ports import ChatMoved, ChatUnreachable, ThreadGone
from tests.fakes.core import FRIDAY, make_core
from tests.fakes.memory import RecordingPublisher, raising


async def subscribe(app, chat: str, thread: str | None = None, **settings: str):
    target = Target("test", chat, thread)
    await app.subscriptions.subscribe(target)
    for key, value in settings.items():
        await app.subscriptions.set(target, key, value)
    return await app.subscriptions.get(target)


async def test_is_due_in_local_time(db) -> None:
    app, _, _ = make_core(db)
    row = await subscribe(app, "1", time="08:00", timezone="Asia/Seoul")
    # 08:00 in Seoul is 23:00 UTC the day before.
    assert not is_due(row, datetime(2025, 1, 10, 22, 59, tzinfo=UTC), LEASE * 100)
    assert is_due(row, datetime(2025, 1, 10, 23, 0, tzinfo=UTC), LEASE * 100)


async def test_post_arrives_at_local_time_in_two_timezones_once(db) -> None:
    app, _, clock = make_core(db, now=datetime(2025, 1, 11, 6, 0, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    await subscribe(app, "berlin", time="08:00", timezone="Europe/Berlin")  # 07:00 UTC
    await subscribe(app, "newyork", time="08:00", timezone="America/New_York")  # 13:00 UTC

    report = await app.delivery.tick()
    assert report.delivered == [] and publisher.sent == []

    clock.set(datetime(2025, 1, 11, 7, 0, tzinfo=UTC))
    report = await app.delivery.tick()
    assert report.day == FRIDAY
    assert publisher.to("berlin") and not publisher.to("newyork")
    assert "2501.05366" in publisher.to("berlin")[-1]

    clock.set(datetime(2025, 1, 11, 13, 0, tzinfo=UTC))
    await app.delivery.tick()
    assert publisher.to("newyork")

    before = len(publisher.sent)
    for minute in range(1, 5):
        clock.set(datetime(2025, 1, 11, 13, minute, tzinfo=UTC))
        await app.delivery.tick()
    assert len(publisher.sent) == before  # once per digest day, never again


async def test_restart_after_delivery_does_not_post_again(db) -> None:
    now = datetime(2025, 1, 11, 9, 30, tzinfo=UTC)
    app, _, _ = make_core(db, now=now)
    first = RecordingPublisher()
    app.delivery.register(first)
    await subscribe(app, "1")
    await app.delivery.tick()
    assert first.to("1")

    restarted, _, _ = make_core(db, now=now)  # a new process on the same database
    second = RecordingPublisher()
    restarted.delivery.register(second)
    report = await restarted.delivery.tick()
    assert second.sent == [] and report.due == 0


async def test_restart_in_the_middle_of_a_fan_out(db) -> None:
    now = datetime(2025, 1, 11, 9, 30, tzinfo=UTC)
    app, _, _ = make_core(db, now=now)
    dying = RecordingPublisher()
    app.delivery.register(dying)
    chats = ("a", "b", "c", "d", "e")
    for chat in chats:
        await subscribe(app, chat, style="cards")  # 4 messages each: intro + 3 cards
    # After 7 messages every further send hangs, and then the process is killed.
    hang = asyncio.Event()
    hanging: set[str] = set()
    send = dying.send

    async def send_until_killed(target, message):
        if len(dying.sent) >= 7:
            hanging.add(target.chat_id)
            await hang.wait()
        return await send(target, message)

    def everyone_in_flight() -> bool:  # each chat is finished or hangs in a send
        finished = {chat for chat in chats if len(dying.to(chat)) == 4}
        return len(dying.sent) == 7 and finished | hanging == set(chats)

    dying.send = send_until_killed  # type: ignore[method-assign]
    tick = asyncio.create_task(app.delivery.tick())
    async with asyncio.timeout(30):  # a loaded machine is slow to claim; never a fixed sleep
        while not everyone_in_flight():  # noqa: ASYNC110 (polls the fake publisher)
            await asyncio.sleep(0.01)
    tick.cancel()  # the process dies with messages in flight
    with pytest.raises(asyncio.CancelledError):
        await tick
    assert len(dying.sent) == 7

    restarted, _, _ = make_core(db, now=now + timedelta(minutes=1))
    fresh = RecordingPublisher()
    restarted.delivery.register(fresh)
    await restarted.delivery.tick()
    assert fresh.sent == []  # the dead process's claims still hold their lease

    restarted.now.set(now + LEASE + timedelta(minutes=1))  # type: ignore[attr-defined]
    await restarted.delivery.tick()
    expected = fresh.render(_friday_reply())
    for chat in chats:
        assert dying.to(chat) + fresh.to(chat) == expected, chat  # all of it, none twice
    again = RecordingPublisher()
    restarted.delivery.register(again)
    await restarted.delivery.tick()
    assert again.sent == []


def _friday_reply():
    from bot.cards import build_card
    from bot.domain import Reply
    from bot.i18n import t
    from tests.fakes.core import sample_days

    cards = tuple(build_card(fp) for fp in sample_days()[FRIDAY])
    return Reply(
        title=t("today_title", "en", day="2025-01-10"),
        text=t("today_intro", "en", count=3, day="2025-01-10"),
        cards=cards,
        style="cards",
        day=FRIDAY,
    )


async def test_rendered_once_per_language_style_and_selection(db) -> None:
    app, _, _ = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    for chat in ("1", "2", "3", "4"):
        await subscribe(app, chat)
    await subscribe(app, "5", style="cards")
    report = await app.delivery.tick()
    assert sorted(report.delivered) == [1, 2, 3, 4, 5]
    assert report.renders == 2 and publisher.renders == 2


async def test_filters_and_the_empty_note(db) -> None:
    app, _, _ = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    await subscribe(app, "top1", top="1")
    await subscribe(app, "gan", include="gan")
    await subscribe(app, "nothing", minvotes="1000")
    await subscribe(app, "note", minvotes="1000", emptynote="on")
    await app.delivery.tick()
    assert "2501.05366" in publisher.to("top1")[-1] and "2501.05441" not in publisher.to("top1")[-1]
    assert "2501.05441" in publisher.to("gan")[-1] and "2501.05366" not in publisher.to("gan")[-1]
    assert publisher.to("nothing") == []
    assert "matched this chat's filters" in publisher.to("note")[0]


async def test_blocked_chat_is_deactivated_after_failures_on_a_few_days(db) -> None:
    app, _, clock = make_core(db, now=datetime(2025, 1, 10, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    blocked = await subscribe(app, "blocked")
    await subscribe(app, "fine")
    publisher.fail["blocked"] = raising(ChatUnreachable("Forbidden: bot was blocked by the user"))
    for day in (10, 11, 14):  # three mornings, three digest days, several tries each
        for minute in range(31, 34):
            clock.set(datetime(2025, 1, day, 9, minute, tzinfo=UTC))
            await app.delivery.tick()
    assert publisher.to("fine")  # other chats are never held up
    row = await app.subscriptions.by_id(blocked.id)
    # a blocked chat is a fact about the chat: one failure ends that day (no retries)
    assert row.active is False and row.failure_count == 3 and len(row.failed_days) == 3
    assert publisher.deactivated == [Target("test", "blocked", None)]
    report = await app.delivery.tick()
    assert blocked.id not in report.failed  # skipped from then on


async def test_migrated_chat_moves_and_gets_the_message(db) -> None:
    app, _, _ = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    row = await subscribe(app, "-100")
    publisher.fail["-100"] = raising(ChatMoved("-100999"))
    await app.delivery.tick()
    assert publisher.to("-100999")
    assert (await app.subscriptions.by_id(row.id)).chat_id == "-100999"


async def test_deleted_topic_falls_back_to_the_main_chat(db) -> None:
    app, _, _ = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()

    def topic_gone(target, message):
        if target.thread_id:
            raise ThreadGone("Bad Request: message thread not found")

    publisher.fail["-300"] = topic_gone
    app.delivery.register(publisher)
    row = await subscribe(app, "-300", thread="42")
    await app.delivery.tick()
    sent = [s for s in publisher.sent if s.target.chat_id == "-300"]
    assert sent and all(s.target.thread_id is None for s in sent)
    assert "no longer exists" in sent[0].message
    assert (await app.subscriptions.by_id(row.id)).thread_id is None


async def test_source_down_postpones_without_losing_anything(db) -> None:
    app, source, clock = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    await subscribe(app, "1")
    source.down = True
    report = await app.delivery.tick()
    assert report.delivered == [] and publisher.sent == []
    source.down = False
    clock.advance(minutes=1)
    report = await app.delivery.tick()
    assert report.delivered == [1]


async def test_paused_and_unsubscribed_chats_get_nothing(db) -> None:
    app, _, _ = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    await subscribe(app, "paused", paused="on")
    await subscribe(app, "gone")
    await app.subscriptions.unsubscribe(Target("test", "gone"))
    await app.delivery.tick()
    assert publisher.sent == []


@pytest.mark.parametrize("bad", [{"timezone": "Mars/Olympus"}, {"post_time": "8 o'clock"}])
async def test_one_chats_unloadable_schedule_never_stops_the_others(db, caplog, bad) -> None:
    """A row stored before validation existed (or written by hand) with a timezone tzdata
    cannot load: every tick raised while building its candidate list, so nobody got a digest."""
    app, _, _ = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    broken = await subscribe(app, "broken", time="08:00")
    await subscribe(app, "fine", time="08:00")
    await app.subscriptions.save(broken.id, **bad)  # bypasses /settings' validation

    with caplog.at_level("WARNING", logger="bot.delivery"):
        report = await app.delivery.tick()
        await app.delivery.tick()
    assert report.delivered and publisher.to("fine") and not publisher.to("broken")
    warnings = [r.getMessage() for r in caplog.records if "schedule cannot be used" in r.message]
    assert len(warnings) == 1 and f"subscription {broken.id} skipped" in warnings[0]
