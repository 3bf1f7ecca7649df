"""The delivery queue and engine, on SQLite and PostgreSQL: set-based ticks, claims that never
collide, the catch-up window across midnight, outages that lose nothing, failures given up
loudly, chats that fall due during a long fan-out, and a clean stop.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from bot.db import Database
from bot.domain import Target
from bot.engine import Engine
from bot.errors import DatabaseUnavailable
from bot.models import DeliveryRow, SubscriptionRow
from bot.ports import ChatUnreachable, DeliveryError, PlatformDown, Settlement
from tests.fakes.core import make_core
from tests.fakes.memory import RecordingPublisher, raising


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    db = Database.from_url(url)
    yield db
    db.dispose()


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2025, 1, day, hour, minute, second, tzinfo=UTC)


def add_subscriptions(db: Database, count: int, *, prefix: str, post_time: str) -> None:
    """Many subscribed chats at once (the ORM insert marks each one for scheduling)."""
    with db.session() as session:
        for n in range(count):
            session.add(
                SubscriptionRow(
                    platform="test", chat_id=f"{prefix}{n}", post_time=post_time, subscribed=True
                )
            )
        session.commit()


async def subscribe(app: Any, chat: str, **settings: str) -> Any:
    target = Target("test", chat)
    await app.subscriptions.subscribe(target)
    for key, value in settings.items():
        await app.subscriptions.set(target, key, value)
    return await app.subscriptions.get(target)


class Statements:
    """Counts the SQL statements an engine sends."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self.texts: list[str] = []
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1
        self.texts.append(str(args[2]).split("\n")[0][:80])


# --------------------------------------------------------------------------- set-based ticks


async def test_an_idle_tick_costs_the_same_with_10_or_1000_subscriptions(database) -> None:
    app, _, _ = make_core(database, now=at(10, 9, 30))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    add_subscriptions(database, 10, prefix="early", post_time="09:00")
    report = await app.delivery.tick(at(10, 9, 30))
    assert len(report.delivered) == 10
    sent = len(publisher.sent)
    await app.delivery.tick(at(10, 9, 31))  # settles nothing: warm
    counter = Statements(database)
    await app.delivery.tick(at(10, 9, 32))
    idle_with_10 = counter.count

    add_subscriptions(database, 990, prefix="late", post_time="11:00")
    await app.delivery.tick(at(10, 9, 33))  # schedules the new rows: their moment is 11:00
    counter.count = 0
    counter.texts.clear()
    await app.delivery.tick(at(10, 9, 34))
    assert counter.count == idle_with_10, counter.texts
    assert counter.count <= 4, counter.texts  # release, reclaim, claim: nothing per chat
    assert len(publisher.sent) == sent  # nothing was sent while idle


async def test_a_chat_is_only_looked_at_when_its_moment_comes(database) -> None:
    app, _, _ = make_core(database, now=at(10, 8, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    row = await subscribe(app, "tokyo", time="18:00", timezone="Asia/Tokyo")
    await app.delivery.tick(at(10, 8, 0))  # 17:00 in Tokyo: scheduled, not sent
    stored = await app.subscriptions.by_id(row.id)
    assert stored.next_post_at == stored.due_at == at(10, 9, 0)  # 18:00 JST
    assert publisher.sent == []
    report = await app.delivery.tick(at(10, 9, 0))
    assert report.delivered == [row.id]
    sent = len(publisher.sent)
    stored = await app.subscriptions.by_id(row.id)
    assert stored.next_post_at == at(11, 9, 0)  # tomorrow's moment
    # a new post time reschedules it, and the ledger keeps the day from going out twice
    await app.subscriptions.set(Target("test", "tokyo"), "time", "18:30")
    report = await app.delivery.tick(at(10, 9, 30))
    assert report.delivered == [] and len(publisher.sent) == sent
    assert (await app.subscriptions.by_id(row.id)).next_post_at == at(11, 9, 30)


# --------------------------------------------------------------------------- claims


async def test_two_claimers_at_once_never_share_a_row(database) -> None:
    app, _, _ = make_core(database, now=at(10, 9, 30))
    add_subscriptions(database, 300, prefix="c", post_time="09:00")
    queue = app.delivery.queue
    now = at(10, 9, 30)
    claims = await asyncio.gather(
        queue.claim("alpha:1", {"test"}, now, 200), queue.claim("beta:1", {"test"}, now, 200)
    )
    first, second = ({row.id for row in rows} for rows in claims)
    assert not first & second  # never the same row twice
    if database.engine.dialect.name == "postgresql":  # SKIP LOCKED: both get work at once
        assert first and second and len(first | second) == 300
    with database.session() as session:
        holders = {row.id: row.claimed_by for row in session.exec(select(SubscriptionRow)).all()}
    assert {holders[i] for i in first} <= {"alpha:1"}
    assert {holders[i] for i in second} <= {"beta:1"}
    third = {row.id for row in await queue.claim("gamma:1", {"test"}, now, 400)}
    assert len(first | second | third) == 300 and not third & (first | second)
    assert await queue.claim("delta:1", {"test"}, now, 200) == []  # nothing left to take


async def test_a_dead_holders_claims_are_taken_over_and_a_live_ones_are_not(database) -> None:
    app, _, _ = make_core(database, now=at(10, 9, 30))
    add_subscriptions(database, 6, prefix="c", post_time="09:00")
    queue = app.delivery.queue
    now = at(10, 9, 30)
    await queue.claim("alive:1", {"test"}, now, 2)
    await queue.claim("dead:1", {"test"}, now, 2)
    await queue.claim("me:old", {"test"}, now, 2)  # this instance before its restart
    freed = await queue.reclaim("me:new", {"alive:1"}, {"dead:1"}, now - timedelta(minutes=1))
    assert freed == 4
    left = await queue.claim("me:new", {"test"}, now, 10)
    assert len(left) == 4


# --------------------------------------------------------------------------- the window


async def test_the_catch_up_window_runs_across_midnight(database) -> None:
    app, _, clock = make_core(database, now=at(10, 23, 40))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    row = await subscribe(app, "late-owl", time="23:50")
    assert (await app.delivery.tick(at(10, 23, 45))).delivered == []
    # the bot is down from 23:45 to 00:05: the 23:50 post still goes out
    clock.set(at(11, 0, 5))
    report = await app.delivery.tick(at(11, 0, 5))
    assert report.delivered == [row.id]
    # the digest of the post moment, not of the moment it was caught up at
    day = await app.archive.todays_digest_date(at(10, 23, 50))
    assert publisher.to("late-owl")[0].startswith(f"Daily Papers ({day.isoformat()})")
    assert (await app.delivery.tick(at(11, 0, 6))).delivered == []  # once


# --------------------------------------------------------------------------- outages


async def test_a_platform_down_for_four_minutes_loses_nothing(database, caplog) -> None:
    app, _, clock = make_core(database, now=at(13, 9, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    chats = [f"chat{n}" for n in range(5)]
    for chat in chats:
        await subscribe(app, chat)
    down = raising(PlatformDown("Telegram could not be reached: Bad Gateway"))
    for chat in chats:
        publisher.fail[chat] = down
    moment = at(13, 9, 0)
    back = moment + timedelta(minutes=4)
    delivered_at: dict[str, datetime] = {}
    now = moment
    while now < moment + timedelta(minutes=10):
        if now >= back:
            publisher.fail.clear()  # Telegram answers again
        clock.set(now)
        report = await app.delivery.tick(now)
        for sub_id in report.delivered:
            delivered_at[(await app.subscriptions.by_id(sub_id)).chat_id] = now
        now += timedelta(seconds=20)
    assert sorted(delivered_at) == chats  # nothing lost
    assert all(when - back <= timedelta(minutes=2) for when in delivered_at.values())
    for chat in chats:
        row = await app.subscriptions.get(Target("test", chat))
        assert row is not None and row.active and row.failure_count == 0 and not row.failed_days
        assert publisher.to(chat) == publisher.to(chats[0]) and len(publisher.to(chat)) == 2
    with database.session() as session:
        rows = session.exec(select(DeliveryRow)).all()
        assert {r.status for r in rows} == {"done"} and {r.errors for r in rows} == {0}
    held = [r for r in caplog.records if "holding its deliveries" in r.getMessage()]
    assert held and all(r.levelname == "WARNING" for r in held)


@dataclass
class Operators:
    platform: str = "test"
    told: list[str] = field(default_factory=list)

    async def notify_operator(self, user_id: str, text: str) -> None:
        self.told.append(text)


async def test_an_odd_failure_backs_off_and_is_given_up_loudly(database, caplog) -> None:
    app, _, clock = make_core(database, now=at(13, 9, 0), bot_admin_ids=["test:42"])
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    operators = Operators()
    app.alerts.register(operators)
    odd = await subscribe(app, "odd")
    await subscribe(app, "fine")
    tries: list[datetime] = []
    now = at(13, 9, 0)

    def refuse(target: Target, message: Any) -> None:
        tries.append(now)
        raise DeliveryError("Telegram refused the message: Bad Request: can't parse entities")

    publisher.fail["odd"] = refuse
    with caplog.at_level(logging.WARNING):
        while now < at(13, 10, 0):
            clock.set(now)
            await app.delivery.tick(now)
            now += timedelta(seconds=30)
    assert len(tries) == 5  # given up after five tries...
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(tries)]
    assert gaps == sorted(gaps) and gaps[0] >= 30 and gaps[-1] > gaps[0]  # ...pausing longer
    assert publisher.to("fine") and not publisher.to("odd")
    row = await app.subscriptions.by_id(odd.id)
    assert row.active and row.next_post_at == at(14, 9, 0)  # tomorrow is another day
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("given up: 5 failed attempts" in text for text in warnings)
    assert len(operators.told) == 1 and "can't parse entities" in operators.told[0]


async def test_a_chat_fact_ends_the_day_and_counts_once(database) -> None:
    app, _, clock = make_core(database, now=at(13, 9, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    gone = await subscribe(app, "gone")
    publisher.fail["gone"] = raising(ChatUnreachable("Bad Request: chat not found"))
    for minute in range(0, 30, 5):
        clock.set(at(13, 9, minute))
        await app.delivery.tick(at(13, 9, minute))
    row = await app.subscriptions.by_id(gone.id)
    assert row.failure_count == 1 and row.next_post_at == at(14, 9, 0)


# --------------------------------------------------------------------------- the engine


@dataclass
class SlowPublisher(RecordingPublisher):
    """Each send takes a while, so a fan-out lasts; ``hold`` pauses every send."""

    pause: float = 0.005
    hold: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.hold.set()

    async def send(self, target: Target, message: Any) -> str:
        await self.hold.wait()
        await asyncio.sleep(self.pause)
        return await super().send(target, message)


async def wait_until(check: Any, within: float = 30.0) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 (polls the fake publisher)
            await asyncio.sleep(0.01)


async def test_a_chat_that_falls_due_during_a_long_fan_out_goes_ahead(db) -> None:
    app, _, clock = make_core(db, now=at(13, 8, 0))
    publisher = SlowPublisher()
    app.delivery.register(publisher)
    add_subscriptions(db, 300, prefix="backlog", post_time="09:00")
    await subscribe(app, "latecomer", time="09:01")
    await app.delivery.tick(at(13, 8, 0))  # scheduled: 09:00 for the backlog, 09:01 for one
    clock.set(at(13, 9, 0))
    engine = Engine(app.delivery, clock, workers=1, page=20)
    await engine.start()
    try:
        await engine.tick()
        await wait_until(lambda: len(publisher.sent) >= 20)
        clock.set(at(13, 9, 1))
        await engine.tick()  # the clock only wakes the claimer
        await wait_until(lambda: bool(publisher.to("latecomer")))
        position = next(n for n, s in enumerate(publisher.sent) if s.target.chat_id == "latecomer")
        assert position < 80  # within a page or two of the backlog (600 messages), first in it
        await wait_until(lambda: len(publisher.sent) == 2 * 301)
    finally:
        await engine.stop()
    chats = [s.target.chat_id for s in publisher.sent]
    assert len(set(chats)) == 301 and all(chats.count(c) == 2 for c in set(chats))  # once


async def test_stopping_finishes_the_message_in_flight_and_gives_the_claims_back(
    db, caplog
) -> None:
    app, _, clock = make_core(db, now=at(13, 9, 0))
    publisher = SlowPublisher()
    app.delivery.register(publisher)
    add_subscriptions(db, 40, prefix="c", post_time="09:00")
    for n in range(40):
        await app.subscriptions.set(Target("test", f"c{n}"), "style", "cards")
    engine = Engine(app.delivery, clock, workers=4, page=20)
    await engine.start()
    await engine.tick()
    await wait_until(lambda: len(publisher.sent) >= 30)
    with caplog.at_level(logging.WARNING):
        await engine.stop()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    sent_before = len(publisher.sent)
    with db.session() as session:
        claimed = session.exec(
            select(SubscriptionRow).where(col(SubscriptionRow.claimed_by).is_not(None))
        ).all()
        assert claimed == []  # all given back
    # another process (a new app on the same database) resumes where each chat stopped
    again, _, _ = make_core(db, now=at(13, 9, 0, 5))
    fresh = RecordingPublisher()
    again.delivery.register(fresh)
    await subscribe(again, "reference", style="cards")  # shows what a whole digest is
    await again.delivery.tick(at(13, 9, 0, 5))  # at once: a stop is nobody's failure
    expected = fresh.to("reference")
    assert len(expected) == 4  # the intro and three cards
    assert sent_before < 40 * len(expected)  # it did stop mid-fan-out
    for n in range(40):
        chat = f"c{n}"
        assert publisher.to(chat) + fresh.to(chat) == expected, chat  # all of it, none twice


async def test_each_chat_gets_the_digest_of_its_own_post_moment(database) -> None:
    # Daily Papers settles a day at 02:40 UTC: a 02:30 post shows the day before a 02:50 one
    app, _, clock = make_core(database, now=at(11, 2, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    await subscribe(app, "early", time="02:30")
    await subscribe(app, "late", time="02:50")
    await app.delivery.tick(at(11, 2, 0))  # scheduled; then the bot is down until 03:00
    clock.set(at(11, 3, 0))
    report = await app.delivery.tick(at(11, 3, 0))  # both caught up in one page
    assert len(report.delivered) == 2
    assert publisher.to("early")[0].startswith("Daily Papers (2025-01-09)")
    assert publisher.to("late")[0].startswith("Daily Papers (2025-01-10)")


async def test_a_settings_change_during_a_delivery_wins_over_its_settlement(database) -> None:
    app, _, _ = make_core(database, now=at(13, 9, 0))
    app.delivery.register(RecordingPublisher())
    row = await subscribe(app, "busy")
    [claimed] = await app.delivery.claim(at(13, 9, 0))
    await app.subscriptions.set(Target("test", "busy"), "time", "18:00")  # while it sends
    await app.delivery.settle([Settlement(row.id, claimed.next_post_at, at(14, 9), at(14, 9))])
    stored = await app.subscriptions.by_id(row.id)
    assert stored.post_time == "18:00" and stored.due_at is None  # to be worked out anew
    assert stored.next_post_at is not None and stored.next_post_at < at(1, 0)  # the mark
    with database.session() as session:
        assert session.get(SubscriptionRow, row.id).claimed_by is None  # released all the same


async def test_only_the_holder_settles_or_releases_a_claim(database) -> None:
    app, _, _ = make_core(database, now=at(13, 9, 0))
    row = await subscribe(app, "mine")
    queue = app.delivery.queue
    [claimed] = await queue.claim("owner:1", {"test"}, at(13, 9, 0), 10)
    stale = Settlement(row.id, claimed.next_post_at, at(14, 9), at(14, 9))
    await queue.settle([stale], "someone-else:1")  # a process that lost the claim
    with database.session() as session:
        stored = session.get(SubscriptionRow, row.id)
        assert stored.claimed_by == "owner:1" and stored.next_post_at == claimed.next_post_at


async def test_a_page_that_fails_to_prepare_gives_its_claims_back(db) -> None:
    app, _, clock = make_core(db, now=at(13, 9, 0))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    add_subscriptions(db, 5, prefix="c", post_time="09:00")
    real = app.ledger.begin_many
    calls = 0

    async def flaky(keys, now):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise DatabaseUnavailable("The database is unavailable right now (cut).")
        return await real(keys, now)

    app.ledger.begin_many = flaky  # type: ignore[method-assign]
    engine = Engine(app.delivery, clock, workers=2, page=10)
    await engine.start()
    try:
        await engine.tick()
        await wait_until(lambda: calls >= 1)
        await asyncio.sleep(0.1)
        await engine.tick()  # gives the stray claims back, and claims again
        await wait_until(lambda: len({s.target.chat_id for s in publisher.sent}) == 5)
    finally:
        await engine.stop()


async def test_a_settings_change_from_a_stale_session_keeps_a_subscribed_chat_scheduled(
    database,
) -> None:
    # /subscribe and /settings arrive together: the settings session read the row before the
    # subscription was committed, so its copy says "not subscribed"
    app, _, _ = make_core(database, now=at(13, 9, 0))
    row = await app.subscriptions.ensure(Target("test", "racy"))
    with database.session() as stale:
        copy = stale.get(SubscriptionRow, row.id)
        assert copy is not None and not copy.subscribed
        await app.subscriptions.subscribe(Target("test", "racy"))  # another session commits
        copy.post_time = "18:00"
        stale.add(copy)
        stale.commit()
    stored = await app.subscriptions.by_id(row.id)
    assert stored.subscribed and stored.post_time == "18:00"
    assert stored.next_post_at is not None and stored.next_post_at < at(1, 0)  # marked, not parked
