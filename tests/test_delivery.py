"""The morning post: due times across timezones, the ledger, restarts and failing chats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.delivery import LEASE, is_due
from bot.domain import Target
from bot.ports import ChatMoved, ChatUnreachable, ThreadGone
from tests.fakes.core import FRIDAY, make_core
from tests.fakes.memory import CrashAfter, RecordingPublisher, crash_after, raising


def subscribe(app, chat: str, thread: str | None = None, **settings: str):
    target = Target("test", chat, thread)
    app.subscriptions.subscribe(target)
    for key, value in settings.items():
        app.subscriptions.set(target, key, value)
    return app.subscriptions.get(target)


def test_is_due_in_local_time(db) -> None:
    app, _, _ = make_core(db)
    row = subscribe(app, "1", time="08:00", timezone="Asia/Seoul")
    # 08:00 in Seoul is 23:00 UTC the day before.
    assert not is_due(row, datetime(2025, 1, 10, 22, 59, tzinfo=UTC), LEASE * 100)
    assert is_due(row, datetime(2025, 1, 10, 23, 0, tzinfo=UTC), LEASE * 100)


async def test_post_arrives_at_local_time_in_two_timezones_once(db) -> None:
    app, _, clock = make_core(db, now=datetime(2025, 1, 11, 6, 0, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    subscribe(app, "berlin", time="08:00", timezone="Europe/Berlin")  # 07:00 UTC
    subscribe(app, "newyork", time="08:00", timezone="America/New_York")  # 13:00 UTC

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
    subscribe(app, "1")
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
    for chat in ("a", "b", "c"):
        subscribe(app, chat, style="cards")  # 4 messages each: intro + 3 cards
    # the process "dies" after 6 messages: a done, b half-way, c untouched
    for chat in ("a", "b", "c"):
        dying.fail[chat] = crash_after(6, dying)
    with pytest.raises(CrashAfter):
        await _tick_without_safety_net(app)
    assert len(dying.to("a")) == 4 and len(dying.to("b")) == 2 and dying.to("c") == []

    later = now + LEASE  # the dead process's claim has expired
    restarted, _, _ = make_core(db, now=later)
    fresh = RecordingPublisher()
    restarted.delivery.register(fresh)
    await restarted.delivery.tick()
    assert fresh.to("a") == []  # done before the crash: not again
    assert len(fresh.to("b")) == 2  # only the rest
    assert len(fresh.to("c")) == 4
    assert dying.to("b") + fresh.to("b") == fresh.render(_reply_like(fresh, dying, "b"))


def _reply_like(fresh: RecordingPublisher, dying: RecordingPublisher, chat: str):
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


async def _tick_without_safety_net(app):
    """A crash is not an exception the core can catch: emulate it by letting it escape."""
    import bot.delivery as delivery

    original = delivery.Delivery._deliver

    async def deliver(self, *args, **kwargs):
        try:
            return await original(self, *args, **kwargs)
        finally:
            pass

    # CrashAfter derives from Exception, which _deliver catches per chat; make it escape.
    publisher = next(iter(app.delivery.publishers.values()))
    send = publisher.send

    async def crashing_send(target, message):
        try:
            return await send(target, message)
        except CrashAfter as exc:
            raise SystemExit from exc

    publisher.send = crashing_send
    try:
        await app.delivery.tick()
    except SystemExit as exc:
        raise CrashAfter("killed") from exc
    finally:
        publisher.send = send


async def test_rendered_once_per_language_style_and_selection(db) -> None:
    app, _, _ = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    for chat in ("1", "2", "3", "4"):
        subscribe(app, chat)
    subscribe(app, "5", style="cards")
    report = await app.delivery.tick()
    assert sorted(report.delivered) == [1, 2, 3, 4, 5]
    assert report.renders == 2 and publisher.renders == 2


async def test_filters_and_the_empty_note(db) -> None:
    app, _, _ = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    subscribe(app, "top1", top="1")
    subscribe(app, "gan", include="gan")
    subscribe(app, "nothing", minvotes="1000")
    subscribe(app, "note", minvotes="1000", emptynote="on")
    await app.delivery.tick()
    assert "2501.05366" in publisher.to("top1")[-1] and "2501.05441" not in publisher.to("top1")[-1]
    assert "2501.05441" in publisher.to("gan")[-1] and "2501.05366" not in publisher.to("gan")[-1]
    assert publisher.to("nothing") == []
    assert "matched this chat's filters" in publisher.to("note")[0]


async def test_blocked_chat_is_deactivated_after_a_few_failures(db) -> None:
    app, _, clock = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    blocked = subscribe(app, "blocked")
    subscribe(app, "fine")
    publisher.fail["blocked"] = raising(ChatUnreachable("Forbidden: bot was blocked by the user"))
    for minute in range(31, 40):
        clock.set(datetime(2025, 1, 11, 9, minute, tzinfo=UTC))
        await app.delivery.tick()
    assert publisher.to("fine")  # other chats are never held up
    row = app.subscriptions.by_id(blocked.id)
    assert row.active is False and row.failure_count == 3
    assert publisher.deactivated == [Target("test", "blocked", None)]
    report = await app.delivery.tick()
    assert blocked.id not in report.failed  # skipped from then on


async def test_migrated_chat_moves_and_gets_the_message(db) -> None:
    app, _, _ = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    row = subscribe(app, "-100")
    publisher.fail["-100"] = raising(ChatMoved("-100999"))
    await app.delivery.tick()
    assert publisher.to("-100999")
    assert app.subscriptions.by_id(row.id).chat_id == "-100999"


async def test_deleted_topic_falls_back_to_the_main_chat(db) -> None:
    app, _, _ = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()

    def topic_gone(target, message):
        if target.thread_id:
            raise ThreadGone("Bad Request: message thread not found")

    publisher.fail["-300"] = topic_gone
    app.delivery.register(publisher)
    row = subscribe(app, "-300", thread="42")
    await app.delivery.tick()
    sent = [s for s in publisher.sent if s.target.chat_id == "-300"]
    assert sent and all(s.target.thread_id is None for s in sent)
    assert "no longer exists" in sent[0].message
    assert app.subscriptions.by_id(row.id).thread_id == ""


async def test_source_down_postpones_without_losing_anything(db) -> None:
    app, source, clock = make_core(db, now=datetime(2025, 1, 11, 9, 30, tzinfo=UTC))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    subscribe(app, "1")
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
    subscribe(app, "paused", paused="on")
    subscribe(app, "gone")
    app.subscriptions.unsubscribe(Target("test", "gone"))
    await app.delivery.tick()
    assert publisher.sent == []
