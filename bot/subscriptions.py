"""Subscriptions: who receives the morning digest, with which settings.

A subscription is (platform, chat id, thread/topic id). A chat that changed settings without
subscribing keeps a row with ``subscribed=False`` so its language still applies to replies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.config import Settings
from bot.db import Database
from bot.domain import STYLES, Target
from bot.errors import BadArgument, NotFound
from bot.i18n import t
from bot.models import SubscriptionRow, utcnow

MAX_TOP = 50
MAX_KEYWORDS = 20
FAILURES_BEFORE_DEACTIVATION = 3
_HHMM = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_LANGUAGE = re.compile(r"^[^\W\d_][\w\- ]{0,30}$")


@dataclass(frozen=True)
class SettingSpec:
    key: str
    column: str
    valid: str  # i18n key of the "valid values" sentence


SETTINGS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec("time", "post_time", "valid_time"),
        SettingSpec("timezone", "timezone", "valid_timezone"),
        SettingSpec("language", "language", "valid_language"),
        SettingSpec("style", "style", "valid_style"),
        SettingSpec("top", "top_n", "valid_top"),
        SettingSpec("minvotes", "min_votes", "valid_minvotes"),
        SettingSpec("include", "include_keywords", "valid_keywords"),
        SettingSpec("exclude", "exclude_keywords", "valid_keywords"),
        SettingSpec("emptynote", "empty_note", "valid_onoff"),
        SettingSpec("paused", "paused", "valid_onoff"),
        SettingSpec("rank", "rank", "valid_rank"),
    )
}
ALIASES = {
    "tz": "timezone",
    "lang": "language",
    "topn": "top",
    "min_votes": "minvotes",
    "min-votes": "minvotes",
    "pause": "paused",
    "empty_note": "emptynote",
    "post_time": "time",
    "ranking": "rank",
    "order": "rank",
}
RANK_VALUES = ("votes", "personal")
RANK_RESET = "reset"  # not stored: /settings rank reset forgets the chat's ratings
_ON = {"on", "yes", "true", "1", "y"}
_OFF = {"off", "no", "false", "0", "n"}


def _canonical_timezones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


_TIMEZONES = _canonical_timezones()


def parse_setting(key: str, raw: str, language: str = "en") -> tuple[SettingSpec, Any]:
    """Validate one ``/settings KEY VALUE``; raise BadArgument naming the valid values."""
    name = ALIASES.get(key.lower(), key.lower())
    spec = SETTINGS.get(name)
    if spec is None:
        raise BadArgument(t("unknown_setting", language, key=key, keys=", ".join(SETTINGS)))
    value = raw.strip()

    def bad() -> BadArgument:
        valid = t(spec.valid, language)
        return BadArgument(t("bad_setting", language, value=value[:64], key=spec.key, valid=valid))

    if name == "time":
        match = _HHMM.match(value)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise bad()
        return spec, f"{int(match[1]):02d}:{match[2]}"
    if name == "timezone":
        canonical = _TIMEZONES.get(value.lower())
        if canonical is None:
            raise bad()
        try:
            ZoneInfo(canonical)
        except (ZoneInfoNotFoundError, ValueError):
            raise bad() from None
        return spec, canonical
    if name == "language":
        if not _LANGUAGE.match(value):
            raise bad()
        return spec, value.lower() if len(value) <= 3 else value
    if name == "style":
        if value.lower() not in STYLES:
            raise bad()
        return spec, value.lower()
    if name in ("top", "minvotes"):
        try:
            number = int(value)
        except ValueError:
            raise bad() from None
        low, high = (1, MAX_TOP) if name == "top" else (0, 1_000_000)
        if not low <= number <= high:
            raise bad()
        return spec, number
    if name == "rank":
        if value.lower() not in (*RANK_VALUES, RANK_RESET):
            raise bad()
        return spec, value.lower()
    if name in ("include", "exclude"):
        if value.lower() in {"", "none", "-", "clear"}:
            return spec, []
        words = [w.strip().lower() for w in value.split(",") if w.strip()]
        if not words or len(words) > MAX_KEYWORDS or any(len(w) > 64 for w in words):
            raise bad()
        return spec, list(dict.fromkeys(words))
    # on/off flags
    if value.lower() in _ON:
        return spec, True
    if value.lower() in _OFF:
        return spec, False
    raise bad()


def new_row(target: Target, defaults: Settings, title: str | None = None) -> SubscriptionRow:
    """A chat's row with the configured defaults, not subscribed yet."""
    return SubscriptionRow(
        platform=target.platform,
        chat_id=target.chat_id,
        thread_id=target.thread_id or "",
        chat_title=title,
        post_time=defaults.default_post_time,
        timezone=defaults.default_timezone,
        language=defaults.default_language,
        style=defaults.default_style,
        top_n=defaults.default_top_n,
        subscribed=False,
    )


def describe(row: SubscriptionRow | None, defaults: Settings, language: str) -> str:
    """The settings of a chat as the lines ``/settings`` shows."""

    def flag(value: bool) -> str:
        return t("yes" if value else "no", language)

    def words(values: list[str]) -> str:
        return ", ".join(values) if values else t("none", language)

    if row is None:
        row = new_row(Target("", ""), defaults)
    return t(
        "settings_show",
        language,
        subscribed=flag(row.subscribed and row.active),
        time=row.post_time,
        timezone=row.timezone,
        language=row.language,
        style=row.style,
        top=row.top_n,
        minvotes=row.min_votes,
        include=words(row.include_keywords),
        exclude=words(row.exclude_keywords),
        emptynote=flag(row.empty_note),
        paused=flag(row.paused),
        rank=t(f"rank_{row.rank}", language) if row.rank in RANK_VALUES else row.rank,
    )


class Subscriptions:
    """Reads and writes subscription rows; shared by commands, delivery and the CLI."""

    def __init__(self, db: Database, defaults: Settings) -> None:
        self.db = db
        self.defaults = defaults

    def get(self, target: Target) -> SubscriptionRow | None:
        with self.db.session() as session:
            return session.exec(
                select(SubscriptionRow).where(
                    SubscriptionRow.platform == target.platform,
                    SubscriptionRow.chat_id == target.chat_id,
                    SubscriptionRow.thread_id == (target.thread_id or ""),
                )
            ).first()

    def by_id(self, sub_id: int) -> SubscriptionRow:
        with self.db.session() as session:
            row = session.get(SubscriptionRow, sub_id)
            if row is None:
                raise NotFound(f"There is no subscription #{sub_id}.")
            return row

    def list_all(self, platform: str | None = None) -> list[SubscriptionRow]:
        with self.db.session() as session:
            query = select(SubscriptionRow).order_by(col(SubscriptionRow.id))
            if platform:
                query = query.where(SubscriptionRow.platform == platform)
            return list(session.exec(query).all())

    def deliverable(self, platforms: set[str]) -> list[SubscriptionRow]:
        """Subscribed, active and not paused, on a platform that can send right now."""
        with self.db.session() as session:
            return list(
                session.exec(
                    select(SubscriptionRow)
                    .where(
                        col(SubscriptionRow.subscribed).is_(True),
                        col(SubscriptionRow.active).is_(True),
                        col(SubscriptionRow.paused).is_(False),
                        col(SubscriptionRow.platform).in_(sorted(platforms)),
                    )
                    .order_by(col(SubscriptionRow.id))
                ).all()
            )

    def ensure(self, target: Target, title: str | None = None) -> SubscriptionRow:
        """The chat's row, created (not subscribed) if it has none."""
        existing = self.get(target)
        if existing is not None:
            return existing
        with self.db.session() as session:
            row = new_row(target, self.defaults, title)
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # created concurrently
                session.rollback()
                found = self.get(target)
                assert found is not None
                return found
            session.refresh(row)
            return row

    def subscribe(self, target: Target, title: str | None = None) -> tuple[SubscriptionRow, bool]:
        """Subscribe (or re-activate) a chat; returns the row and whether anything changed."""
        row = self.ensure(target, title)
        if row.subscribed and row.active:
            return row, False
        return self.save(
            row.id or 0,
            subscribed=True,
            active=True,
            failure_count=0,
            last_error=None,
            chat_title=title or row.chat_title,
        ), True

    def unsubscribe(self, target: Target) -> bool:
        row = self.get(target)
        if row is None or not row.subscribed:
            return False
        self.save(row.id or 0, subscribed=False)
        return True

    def set(self, target: Target, key: str, raw: str, language: str = "en") -> tuple[str, Any]:
        """Apply ``/settings KEY VALUE`` to a chat; returns the setting name and stored value."""
        spec, value = parse_setting(key, raw, language)
        if spec.key == "rank" and value == RANK_RESET:
            return spec.key, value  # an action, not a value: Commands forgets the ratings
        row = self.ensure(target)
        self.save(row.id or 0, **{spec.column: value})
        return spec.key, value

    def save(self, sub_id: int, **changes: Any) -> SubscriptionRow:
        with self.db.session() as session:
            row = session.get(SubscriptionRow, sub_id)
            if row is None:
                raise NotFound(f"There is no subscription #{sub_id}.")
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            session.add(row)
            session.commit()
            session.refresh(row)
            return row

    def remove(self, sub_id: int) -> None:
        from bot.models import DeliveryRow

        with self.db.session() as session:
            row = session.get(SubscriptionRow, sub_id)
            if row is None:
                raise NotFound(f"There is no subscription #{sub_id}.")
            for delivery in session.exec(
                select(DeliveryRow).where(DeliveryRow.subscription_id == sub_id)
            ).all():
                session.delete(delivery)
            session.delete(row)
            session.commit()

    def record_failure(self, sub_id: int, error: str) -> bool:
        """Count a failure to reach the chat; returns True when it got deactivated."""
        with self.db.session() as session:
            row = session.get(SubscriptionRow, sub_id)
            if row is None:
                return False
            row.failure_count += 1
            row.last_error = error[:500]
            if row.failure_count >= FAILURES_BEFORE_DEACTIVATION:
                row.active = False
            row.updated_at = utcnow()
            session.add(row)
            session.commit()
            return not row.active

    def record_success(self, sub_id: int) -> None:
        with self.db.session() as session:
            row = session.get(SubscriptionRow, sub_id)
            if row is not None and row.failure_count:
                row.failure_count = 0
                row.last_error = None
                session.add(row)
                session.commit()

    def move(self, sub_id: int, new_chat_id: str) -> SubscriptionRow:
        """A chat got a new id (Telegram group → supergroup): follow it."""
        row = self.by_id(sub_id)
        clash = self.get(Target(row.platform, new_chat_id, row.thread_id or None))
        if clash is not None and clash.id != sub_id:
            # The new chat already has a row: keep that one, retire the old id.
            self.save(sub_id, active=False, last_error=f"moved to {new_chat_id}")
            return self.save(clash.id or 0, subscribed=row.subscribed, active=True)
        return self.save(sub_id, chat_id=new_chat_id)


def local_post_moment(row: SubscriptionRow, now: datetime) -> datetime:
    """Today's post time in the subscription's timezone, as an aware datetime."""
    local = now.astimezone(ZoneInfo(row.timezone))
    hour, minute = (int(part) for part in row.post_time.split(":"))
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)
