"""Failing chats and moving chats, through ``Delivery.tick`` on SQLite and PostgreSQL.

Deactivation counts digest *days* with a failure (ChatUnreachable), not ticks; a Telegram group
that became a supergroup whose id already had a subscription is merged into it (one digest).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.db import Database
from bot.domain import Target
from bot.ports import ChatMoved, ChatUnreachable
from tests.fakes.core import FRIDAY, MONDAY, THURSDAY, make_core
from tests.fakes.memory import RecordingPublisher, raising

BLOCKED = ChatUnreachable("Forbidden: bot was blocked by the user")


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    db = Database.from_url(url)
    yield db
    db.dispose()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 1, day, hour, minute, tzinfo=UTC)


async def subscribe(app, chat: str, **settings: str):
    target = Target("test", chat)
    await app.subscriptions.subscribe(target)
    for key, value in settings.items():
        await app.subscriptions.set(target, key, value)
    return await app.subscriptions.get(target)


async def tick(app, clock, now: datetime):
    clock.set(now)
    return await app.delivery.tick(now)


# --------------------------------------------------------------------------- failing chats


async def test_three_failures_in_three_minutes_do_not_deactivate(database) -> None:
    app, _, clock = make_core(database, now=at(11, 9, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    blocked = await subscribe(app, "blocked")
    await subscribe(app, "fine")
    publisher.fail["blocked"] = raising(BLOCKED)
    for minute in (0, 1, 2):
        report = await tick(app, clock, at(11, 9, minute))
        # blocked is a fact about the chat: it ends that morning's delivery, no retries
        assert report.failed == ([blocked.id] if minute == 0 else [])
        assert report.deactivated == []
    row = await app.subscriptions.by_id(blocked.id)
    assert row.active and row.failure_count == 1 and row.failed_days == (FRIDAY,)
    assert publisher.deactivated == []
    assert publisher.to("fine")  # the others are never held up


async def test_failures_on_three_different_days_deactivate(database) -> None:
    app, _, clock = make_core(database, now=at(10, 9, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    blocked = await subscribe(app, "blocked")
    publisher.fail["blocked"] = raising(BLOCKED)
    # Friday morning (Thursday's digest), three tries; Saturday (Friday's); Tuesday (Monday's)
    for now in (at(10, 9, 0), at(10, 9, 1), at(10, 9, 2), at(11, 9, 30)):
        assert (await tick(app, clock, now)).deactivated == []
    row = await app.subscriptions.by_id(blocked.id)
    assert row.active and row.failed_days == (THURSDAY, FRIDAY)
    report = await tick(app, clock, at(14, 9, 0))
    assert report.deactivated == [blocked.id]
    row = await app.subscriptions.by_id(blocked.id)
    assert not row.active and row.failed_days == (THURSDAY, FRIDAY, MONDAY)
    assert "blocked" in (row.last_error or "")
    assert publisher.deactivated == [Target("test", "blocked")]
    assert (await tick(app, clock, at(14, 9, 1))).failed == []  # skipped from then on
    # /subscribe again turns it back on with a clean record: one more failure is one day
    await app.subscriptions.subscribe(Target("test", "blocked"))
    row = await app.subscriptions.by_id(blocked.id)
    assert row.receiving and row.failed_days == () and row.failure_count == 0
    publisher.fail["blocked"] = raising(BLOCKED)
    assert (await tick(app, clock, at(15, 9, 0))).deactivated == []


async def test_a_success_starts_the_count_over(database) -> None:
    app, _, clock = make_core(database, now=at(10, 9, 0), deactivate_after_failed_days=2)
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    flaky = await subscribe(app, "flaky")
    publisher.fail["flaky"] = raising(BLOCKED)
    await tick(app, clock, at(10, 9, 0))
    assert (await app.subscriptions.by_id(flaky.id)).failed_days == (THURSDAY,)
    del publisher.fail["flaky"]
    assert (await tick(app, clock, at(11, 9, 0))).delivered == [flaky.id]
    row = await app.subscriptions.by_id(flaky.id)
    assert row.failed_days == () and row.failure_count == 0 and row.last_error is None
    publisher.fail["flaky"] = raising(BLOCKED)
    report = await tick(app, clock, at(14, 9, 0))
    assert report.failed == [flaky.id] and report.deactivated == []  # one day since the success
    assert (await app.subscriptions.by_id(flaky.id)).active


# --------------------------------------------------------------------------- moving chats


async def test_move_onto_a_subscribed_chat_sends_one_digest(database) -> None:
    app, _, clock = make_core(database, now=at(11, 9, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    old = await subscribe(app, "-100", style="cards", top="2")
    new = await subscribe(app, "-100999", top="3")  # the supergroup subscribed on its own
    publisher.fail["-100"] = raising(ChatMoved("-100999"))
    await tick(app, clock, at(11, 9, 0))
    # one digest: the intro and the compact list of three papers (the survivor's settings)
    (intro, listing) = publisher.to("-100999")
    assert "Daily Papers (2025-01-10)" in intro and listing.count("\n") == 2
    for minute in (1, 2, 30):
        await tick(app, clock, at(11, 9, minute))
    assert len(publisher.to("-100999")) == 2
    retired = await app.subscriptions.by_id(old.id)
    assert not retired.subscribed and not retired.active and retired.chat_id == "-100"
    assert f"#{new.id}" in (retired.last_error or "")
    survivor = await app.subscriptions.by_id(new.id)
    assert survivor.receiving and survivor.top_n == 3 and survivor.style == "compact"
    assert [(r.subscription_id, r.day, r.status) for r in await app.ledger.records(new.id)] == [
        (new.id, FRIDAY, "done")
    ]


async def test_move_carries_the_day_already_delivered(database) -> None:
    """The old group's post goes out at 09:00 under the survivor; its 10:00 does not repeat it."""
    app, _, clock = make_core(database, now=at(11, 9, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    old = await subscribe(app, "-100", time="09:00")
    new = await subscribe(app, "-100999", time="10:00", language="ko")
    publisher.fail["-100"] = raising(ChatMoved("-100999"))
    report = await tick(app, clock, at(11, 9, 0))
    assert report.delivered == [old.id]  # the delivery in flight finished at the new id
    sent = len(publisher.to("-100999"))
    assert sent == 2
    report = await tick(app, clock, at(11, 10, 0))
    assert report.delivered == [] and report.due == 0
    assert len(publisher.to("-100999")) == sent
    (record,) = await app.ledger.records(new.id)
    assert record.day == FRIDAY and record.status == "done"
    survivor = await app.subscriptions.by_id(new.id)
    assert survivor.language == "ko" and survivor.post_time == "10:00"  # both subscribed: its own


async def test_move_after_the_survivor_got_the_day_stops(database) -> None:
    app, _, clock = make_core(database, now=at(11, 8, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    old = await subscribe(app, "-100", time="09:00")
    new = await subscribe(app, "-100999", time="08:00")
    assert (await tick(app, clock, at(11, 8, 0))).delivered == [new.id]
    sent = len(publisher.to("-100999"))
    publisher.fail["-100"] = raising(ChatMoved("-100999"))
    report = await tick(app, clock, at(11, 9, 0))
    assert report.delivered == [] and report.failed == [old.id]
    assert len(publisher.to("-100999")) == sent
    assert not (await app.subscriptions.by_id(old.id)).subscribed
    assert (await tick(app, clock, at(11, 9, 1))).failed == []  # retired: never tried again


async def test_move_onto_a_settings_only_row_takes_the_subscribed_settings(database) -> None:
    app, _, clock = make_core(database, now=at(11, 9, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    await subscribe(app, "-100", style="cards", top="2", timezone="Asia/Seoul", time="18:00")
    await app.subscriptions.set(Target("test", "-100999"), "language", "ko")  # not subscribed
    publisher.fail["-100"] = raising(ChatMoved("-100999"))
    await tick(app, clock, at(11, 9, 0))  # 18:00 in Seoul
    assert len(publisher.to("-100999")) == 3  # intro + two cards
    survivor = await app.subscriptions.get(Target("test", "-100999"))
    assert survivor is not None and survivor.receiving
    assert (survivor.style, survivor.top_n, survivor.timezone, survivor.language) == (
        "cards",
        2,
        "Asia/Seoul",
        "en",
    )
