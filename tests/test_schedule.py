"""Weekly and monthly digests: which period is due when (pure), and the morning post sending
one digest per chat per period through the same ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain import Target
from bot.schedule import Due, due_period, parse_weekday, previous_month
from tests.fakes.core import make_core, private, sample_days
from tests.fakes.memory import MemorySource, RecordingPublisher, paper

FRIDAY = date(2025, 1, 10)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def test_daily_is_todays_digest_day() -> None:
    assert due_period("daily", "mon", at(date(2025, 1, 11)), FRIDAY) == Due(
        "daily", FRIDAY, FRIDAY, FRIDAY
    )


def test_weekly_only_on_its_weekday_covering_seven_days() -> None:
    saturday = at(date(2025, 1, 11))
    due = due_period("weekly", "sat", saturday, FRIDAY)
    assert due == Due("weekly", date(2025, 1, 11), date(2025, 1, 4), FRIDAY)
    assert due is not None and due.days == 7
    assert due_period("weekly", "mon", saturday, FRIDAY) is None
    assert due_period("weekly", "monday", at(date(2025, 1, 13)), FRIDAY) is not None


def test_monthly_on_the_first_covering_the_previous_month() -> None:
    due = due_period("monthly", "mon", at(date(2025, 3, 1)), date(2025, 2, 28))
    assert due == Due("monthly", date(2025, 3, 1), date(2025, 2, 1), date(2025, 2, 28))
    assert due is not None and due.days == 28
    assert due_period("monthly", "mon", at(date(2025, 3, 2)), date(2025, 2, 28)) is None
    assert previous_month(date(2025, 1, 1)) == (date(2024, 12, 1), date(2024, 12, 31))


def test_weekday_names() -> None:
    assert parse_weekday("Mon") == 0 and parse_weekday("sunday") == 6
    for bad in ("", "mo", "funday", "8"):
        assert parse_weekday(bad) is None


async def test_settings_digest_and_weekday(db) -> None:
    app, _, _ = make_core(db)
    ctx = private()
    done = await app.commands.run("settings", "digest weekly", ctx)
    assert not done.is_error and "weekly" in done.text
    done = await app.commands.run("settings", "weekday Friday", ctx)
    assert not done.is_error and "fri" in done.text
    shown = await app.commands.run("settings", "", ctx)
    assert "Digest: weekly (weekly on fri" in shown.text
    for bad in ("digest hourly", "weekday someday"):
        refused = await app.commands.run("settings", bad, ctx)
        assert refused.is_error and "not a valid" in refused.text


async def test_weekly_digest_posts_once_on_its_weekday(db) -> None:
    app, _, clock = make_core(db, now=at(date(2025, 1, 11)))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    weekly, daily = Target("test", "1"), Target("test", "2")
    for target in (weekly, daily):
        await app.subscriptions.subscribe(target)
    await app.subscriptions.set(weekly, "digest", "weekly")
    await app.subscriptions.set(weekly, "weekday", "sat")

    report = await app.delivery.tick()  # Saturday 09:00
    assert sorted(report.delivered) == [1, 2]
    title, listing = publisher.to("1")
    assert title.startswith("Top papers of the week (2025-01-04 – 2025-01-10)")
    assert "The 5 most voted papers" in title
    assert listing.splitlines()[0].startswith("2501.05366")  # Friday's 39 votes lead the week
    assert "2501.04001" in listing  # Thursday's papers are in the week too
    assert publisher.to("2")[0].startswith("Daily Papers (2025-01-10)")

    assert (await app.delivery.tick()).delivered == []  # one delivery per period
    clock.set(at(date(2025, 1, 12)))  # Sunday: not the weekly chat's day
    assert 1 not in (await app.delivery.tick()).delivered
    assert len(publisher.to("1")) == 2


@pytest.mark.parametrize("post_day", [date(2025, 2, 1)])
async def test_monthly_digest_on_the_first(db, post_day: date) -> None:
    # HF featured papers up to the last weekday (an archive silent for ten days is an outage)
    friday = date(2025, 1, 31)
    days = {**sample_days(), friday: [paper("2501.09999", "A Quiet Friday", 1, friday)]}
    app, _, clock = make_core(db, now=at(post_day), source=MemorySource(days))
    publisher = RecordingPublisher()
    app.delivery.register(publisher)
    target = Target("test", "1")
    await app.subscriptions.subscribe(target)
    await app.subscriptions.set(target, "digest", "monthly")
    await app.subscriptions.set(target, "top", "3")
    report = await app.delivery.tick()
    assert report.delivered == [1]
    title, listing = publisher.to("1")
    assert title.startswith("Top papers of the month (2025-01-01 – 2025-01-31)")
    assert [line.split()[0] for line in listing.splitlines()] == [
        "2501.05366",
        "2501.05441",
        "2501.05453",
    ]
    clock.set(at(date(2025, 2, 2)))
    assert (await app.delivery.tick()).delivered == []


def test_post_moments_across_midnight_and_for_new_schedules() -> None:
    from datetime import UTC, timedelta

    from bot.schedule import first_moment, pending_moment

    catchup = timedelta(hours=12)
    # a 23:50 post is still pending at 00:05 (the window is a span after the moment)
    late = datetime(2025, 1, 11, 0, 5, tzinfo=UTC)
    assert pending_moment("23:50", "UTC", late, catchup) == datetime(
        2025, 1, 10, 23, 50, tzinfo=UTC
    )
    # the next one after it is tomorrow's, whatever the hour of the catch-up
    after = pending_moment(
        "23:50", "UTC", late, catchup, after=datetime(2025, 1, 10, 23, 50, tzinfo=UTC)
    )
    assert after == datetime(2025, 1, 11, 23, 50, tzinfo=UTC)
    # a chat choosing 23:00 at 10:00 waits for tonight, not last night's (11 hours ago)
    morning = datetime(2025, 1, 11, 10, 0, tzinfo=UTC)
    assert first_moment("23:00", "UTC", morning, catchup) == datetime(
        2025, 1, 11, 23, 0, tzinfo=UTC
    )
    # ...and one choosing 09:00 at 10:00 gets today's at once
    assert first_moment("09:00", "UTC", morning, catchup) == datetime(2025, 1, 11, 9, 0, tzinfo=UTC)
    # local time: 09:00 in New York across the March DST change is 14:00 then 13:00 UTC
    march = datetime(2025, 3, 8, 15, 0, tzinfo=UTC)
    first = pending_moment("09:00", "America/New_York", march, timedelta(hours=1), after=march)
    assert first == datetime(2025, 3, 9, 13, 0, tzinfo=UTC)
