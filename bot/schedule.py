"""Which digest period is due for a subscription at a moment: daily, weekly or monthly.

Pure functions (no DB, no clock): the delivery engine asks ``due_period`` for each subscription
whose post time has come, and records the answer's ``key`` in the ledger, so each chat gets one
delivery per period. A daily digest is keyed by its Daily Papers day (as before); a weekly or
monthly one by the local date it is posted on, which no Daily Papers day can equal (today's
digest is at most yesterday), so switching between periods never collides in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Period = Literal["daily", "weekly", "monthly"]
PERIODS: tuple[Period, ...] = ("daily", "weekly", "monthly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Due:
    """One digest to post: its ledger key and the Daily Papers days it covers (inclusive)."""

    period: Period
    key: date
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_weekday(value: str) -> int | None:
    """``mon``…``sun`` (or the full English name, any case) → 0…6; None if it is not one."""
    word = value.strip().lower()[:3]
    return WEEKDAYS.index(word) if word in WEEKDAYS and len(value.strip()) >= 3 else None


def previous_month(local_day: date) -> tuple[date, date]:
    """The first and last day of the calendar month before ``local_day``'s."""
    last = local_day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def due_period(period: str, weekday: str, local_now: datetime, digest_day: date) -> Due | None:
    """The digest due at ``local_now`` (the subscription's local time, its post time reached),
    given today's digest day; None when this period posts nothing today.

    * daily: today's digest day;
    * weekly, on the chosen weekday: the 7 days ending at today's digest day;
    * monthly, on the 1st: the previous calendar month.
    """
    today = local_now.date()
    if period == "weekly":
        if today.weekday() != (parse_weekday(weekday) or 0):
            return None
        return Due("weekly", today, digest_day - timedelta(days=6), digest_day)
    if period == "monthly":
        if today.day != 1:
            return None
        start, end = previous_month(today)
        return Due("monthly", today, start, end)
    return Due("daily", digest_day, digest_day, digest_day)


def post_moment(post_time: str, timezone: str, local_day: date) -> datetime:
    """``post_time`` ("HH:MM") on ``local_day`` in ``timezone``, as a UTC moment.

    Raises ValueError/KeyError/ZoneInfoNotFoundError for a time or zone that cannot be used.
    """
    hour, minute = (int(part) for part in post_time.split(":"))
    local = datetime.combine(local_day, time(hour, minute), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def pending_moment(
    post_time: str,
    timezone: str,
    now: datetime,
    catchup: timedelta,
    after: datetime | None = None,
) -> datetime:
    """The earliest post moment (later than ``after``, if given) whose catch-up window has not
    ended at ``now``: the one the subscription should be delivered for next.

    The window is a span of time after the moment, so it runs across local midnight (a 23:50
    post is still caught up at 00:05). It may be in the future: then nothing is due yet.
    """
    local_today = now.astimezone(ZoneInfo(timezone)).date()
    first = local_today - timedelta(days=2)  # the window is at most 24 hours
    if after is not None:
        first = max(first, after.astimezone(ZoneInfo(timezone)).date())
    for offset in range(5):
        moment = post_moment(post_time, timezone, first + timedelta(days=offset))
        if after is not None and moment <= after:
            continue
        if moment + catchup >= now:
            return moment
    raise ValueError(f"no post moment for {post_time} {timezone} after {after}")  # unreachable


def first_moment(post_time: str, timezone: str, now: datetime, catchup: timedelta) -> datetime:
    """The moment a newly scheduled subscription (new, or its schedule just changed) is due:
    today's local post time if its window is still open (a chat subscribing at 10:00 with a
    09:00 post time gets today's digest now), else the next one — never a moment from before
    local midnight, so choosing "23:00" in the morning does not send last night's digest."""
    zone = ZoneInfo(timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    return pending_moment(post_time, timezone, now, catchup, after=midnight - timedelta(seconds=1))
