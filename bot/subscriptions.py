"""Subscriptions: who receives the morning digest, with which settings.

A subscription is (platform, chat id, thread/topic id). A chat that changed settings without
subscribing keeps a row with ``subscribed=False`` so its language still applies to replies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.db import Database
from bot.domain import STYLES, Subscription, Target
from bot.errors import BadArgument, NotFound
from bot.i18n import t
from bot.models import DeliveryRow, SubscriptionRow, utcnow
from bot.ports import ChatMerged
from bot.schedule import PERIODS, WEEKDAYS, parse_weekday
from bot.timezones import canonical_timezone
from bot.untrusted import command_text

MAX_TOP = 50
MAX_KEYWORDS = 20
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
        SettingSpec("digest", "digest_period", "valid_digest"),
        SettingSpec("weekday", "weekday", "valid_weekday"),
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


def parse_flag(value: str) -> bool | None:
    """on/off (yes/no, true/false, 1/0) → bool; None for anything else."""
    word = value.strip().lower()
    return True if word in _ON else False if word in _OFF else None


def parse_setting(key: str, raw: str, language: str = "en") -> tuple[SettingSpec, Any]:
    """Validate one ``/settings KEY VALUE``; raise BadArgument naming the valid values."""
    key = command_text(key).strip()
    name = ALIASES.get(key.lower(), key.lower())
    spec = SETTINGS.get(name)
    if spec is None:
        raise BadArgument(t("unknown_setting", language, key=key, keys=", ".join(SETTINGS)))
    value = command_text(raw).strip()

    def bad() -> BadArgument:
        valid = t(spec.valid, language)
        return BadArgument(t("bad_setting", language, value=value[:64], key=spec.key, valid=valid))

    if name == "time":
        match = _HHMM.match(value)
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise bad()
        return spec, f"{int(match[1]):02d}:{match[2]}"
    if name == "timezone":
        canonical = canonical_timezone(value)  # only zones the bundled tzdata loads
        if canonical is None:
            raise bad()
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
    if name == "digest":
        if value.lower() not in PERIODS:
            raise bad()
        return spec, value.lower()
    if name == "weekday":
        day = parse_weekday(value)
        if day is None:
            raise bad()
        return spec, WEEKDAYS[day]
    if name == "rank":
        if value.lower() not in (*RANK_VALUES, RANK_RESET):
            raise bad()
        return spec, value.lower()
    if name in ("include", "exclude"):
        if value.lower() in {"", "none", "-", "clear"}:
            return spec, []
        # duplicates are dropped before counting against the limit
        words = list(dict.fromkeys(w.strip().lower() for w in value.split(",") if w.strip()))
        if not words or len(words) > MAX_KEYWORDS or any(len(w) > 64 for w in words):
            raise bad()
        return spec, words
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


def to_subscription(row: SubscriptionRow) -> Subscription:
    """The one place a table row becomes the core's plain ``Subscription``."""
    return Subscription(
        id=row.id or 0,
        platform=row.platform,
        chat_id=row.chat_id,
        thread_id=row.thread_id or None,
        chat_title=row.chat_title,
        post_time=row.post_time,
        timezone=row.timezone,
        language=row.language,
        style=row.style,
        top_n=row.top_n,
        min_votes=row.min_votes,
        include_keywords=tuple(row.include_keywords or ()),
        exclude_keywords=tuple(row.exclude_keywords or ()),
        empty_note=row.empty_note,
        paused=row.paused,
        digest_period=row.digest_period,
        weekday=row.weekday,
        rank=row.rank,
        subscribed=row.subscribed,
        active=row.active,
        failure_count=row.failure_count,
        failed_days=tuple(date.fromisoformat(day) for day in row.failed_days or ()),
        last_error=row.last_error,
        next_post_at=row.next_post_at,
        due_at=row.due_at,
    )


def default_subscription(target: Target, defaults: Settings) -> Subscription:
    """What a chat without a stored row gets: the configured defaults, not subscribed."""
    return to_subscription(new_row(target, defaults))


def describe(sub: Subscription | None, defaults: Settings, language: str) -> str:
    """The settings of a chat as the lines ``/settings`` shows."""

    def flag(value: bool) -> str:
        return t("yes" if value else "no", language)

    def words(values: Sequence[str]) -> str:
        return ", ".join(values) if values else t("none", language)

    if sub is None:
        sub = default_subscription(Target("", ""), defaults)
    return t(
        "settings_show",
        language,
        subscribed=flag(sub.receiving),
        time=sub.post_time,
        timezone=sub.timezone,
        language=sub.language,
        style=sub.style,
        top=sub.top_n,
        minvotes=sub.min_votes,
        include=words(sub.include_keywords),
        exclude=words(sub.exclude_keywords),
        emptynote=flag(sub.empty_note),
        paused=flag(sub.paused),
        digest=sub.digest_period,
        weekday=sub.weekday,
        rank=t(f"rank_{sub.rank}", language) if sub.rank in RANK_VALUES else sub.rank,
    )


# --- the repository: sync bodies, each run on the database's thread pool ------------------------


def _find(session: Session, target: Target) -> SubscriptionRow | None:
    return session.exec(
        select(SubscriptionRow).where(
            SubscriptionRow.platform == target.platform,
            SubscriptionRow.chat_id == target.chat_id,
            SubscriptionRow.thread_id == (target.thread_id or ""),
        )
    ).first()


def _get_row(session: Session, sub_id: int) -> SubscriptionRow:
    row = session.get(SubscriptionRow, sub_id)
    if row is None:
        raise NotFound(f"There is no subscription #{sub_id}.")
    return row


def _ensure(
    session: Session, target: Target, defaults: Settings, title: str | None
) -> SubscriptionRow:
    existing = _find(session, target)
    if existing is not None:
        return existing
    row = new_row(target, defaults, title)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # created concurrently
        session.rollback()
        found = _find(session, target)
        assert found is not None
        return found
    session.refresh(row)
    return row


def _save(session: Session, sub_id: int, changes: dict[str, Any]) -> SubscriptionRow:
    row = _get_row(session, sub_id)
    for name, value in changes.items():
        if name in ("include_keywords", "exclude_keywords"):
            value = list(value)
        elif name == "failed_days":
            value = [day if isinstance(day, str) else day.isoformat() for day in value]
        elif name == "thread_id":
            value = value or ""
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


class Subscriptions:
    """The subscription repository (``SubscriptionStore``): async methods, plain objects out.

    Each method runs its queries in one session on ``Database.run``'s thread pool.
    """

    def __init__(self, db: Database, defaults: Settings) -> None:
        self.db = db
        self.defaults = defaults

    async def get(self, target: Target) -> Subscription | None:
        def work(session: Session) -> Subscription | None:
            row = _find(session, target)
            return to_subscription(row) if row else None

        return await self.db.run(work)

    async def by_id(self, sub_id: int) -> Subscription:
        return await self.db.run(lambda session: to_subscription(_get_row(session, sub_id)))

    async def list_all(self, platform: str | None = None) -> list[Subscription]:
        def work(session: Session) -> list[Subscription]:
            query = select(SubscriptionRow).order_by(col(SubscriptionRow.id))
            if platform:
                query = query.where(SubscriptionRow.platform == platform)
            return [to_subscription(row) for row in session.exec(query).all()]

        return await self.db.run(work)

    async def deliverable(
        self, platforms: set[str], limit: int | None = None
    ) -> list[Subscription]:
        """Subscribed, active and not paused, on a platform that can send right now; with
        ``limit``, the ones due soonest."""

        def work(session: Session) -> list[Subscription]:
            query = select(SubscriptionRow).where(
                col(SubscriptionRow.subscribed).is_(True),
                col(SubscriptionRow.active).is_(True),
                col(SubscriptionRow.paused).is_(False),
                col(SubscriptionRow.platform).in_(sorted(platforms)),
            )
            if limit is not None:
                query = query.order_by(col(SubscriptionRow.next_post_at)).limit(limit)
            rows = session.exec(query.order_by(col(SubscriptionRow.id))).all()
            return [to_subscription(row) for row in rows]

        return await self.db.run(work)

    async def ensure(self, target: Target, title: str | None = None) -> Subscription:
        """The chat's subscription, created (not subscribed) if it has none."""
        return await self.db.run(
            lambda session: to_subscription(_ensure(session, target, self.defaults, title))
        )

    async def subscribe(
        self, target: Target, title: str | None = None
    ) -> tuple[Subscription, bool]:
        """Subscribe (or re-activate) a chat; returns it and whether anything changed."""

        def work(session: Session) -> tuple[Subscription, bool]:
            row = _ensure(session, target, self.defaults, title)
            if row.subscribed and row.active:
                return to_subscription(row), False
            changes = {
                "subscribed": True,
                "active": True,
                "failure_count": 0,
                "failed_days": [],
                "last_error": None,
                "chat_title": title or row.chat_title,
            }
            return to_subscription(_save(session, row.id or 0, changes)), True

        return await self.db.run(work)

    async def unsubscribe(self, target: Target) -> bool:
        def work(session: Session) -> bool:
            row = _find(session, target)
            if row is None or not row.subscribed:
                return False
            _save(session, row.id or 0, {"subscribed": False})
            return True

        return await self.db.run(work)

    async def set(
        self, target: Target, key: str, raw: str, language: str = "en"
    ) -> tuple[str, Any]:
        """Apply ``/settings KEY VALUE`` to a chat; returns the setting name and stored value."""
        spec, value = parse_setting(key, raw, language)
        if spec.key == "rank" and value == RANK_RESET:
            return spec.key, value  # an action, not a value: Commands forgets the ratings

        def work(session: Session) -> None:
            row = _ensure(session, target, self.defaults, None)
            _save(session, row.id or 0, {spec.column: value})

        await self.db.run(work)
        return spec.key, value

    async def save(self, sub_id: int, **changes: Any) -> Subscription:
        return await self.db.run(lambda session: to_subscription(_save(session, sub_id, changes)))

    async def remove(self, sub_id: int) -> None:
        def work(session: Session) -> None:
            row = _get_row(session, sub_id)
            for delivery in session.exec(
                select(DeliveryRow).where(DeliveryRow.subscription_id == sub_id)
            ).all():
                session.delete(delivery)
            session.delete(row)
            session.commit()

        await self.db.run(work)

    async def record_failure(self, sub_id: int, error: str, day: date | None = None) -> bool:
        """The chat could not be reached delivering ``day`` (the digest day; today's UTC date
        if None). Returns True when this deactivated it.

        Deactivation counts *days*, not attempts: retries of one morning's post add nothing,
        and failures on ``DEACTIVATE_AFTER_FAILED_DAYS`` different days since the last success
        deactivate the chat.
        """
        threshold = self.defaults.deactivate_after_failed_days
        failed_on = (day or utcnow().date()).isoformat()

        def work(session: Session) -> bool:
            row = session.get(SubscriptionRow, sub_id)
            if row is None or not row.active:
                return False
            row.failure_count += 1
            row.failed_days = sorted({*(row.failed_days or ()), failed_on})[-threshold:]
            row.last_error = error[:500]
            if len(row.failed_days) >= threshold:
                row.active = False
            row.updated_at = utcnow()
            session.add(row)
            session.commit()
            return not row.active

        return await self.db.run(work)

    async def record_success(self, sub_id: int) -> None:
        """A delivery went through: the failure count starts over."""

        def work(session: Session) -> None:
            row = session.get(SubscriptionRow, sub_id)
            if row is not None and (row.failure_count or row.failed_days):
                row.failure_count = 0
                row.failed_days = []
                row.last_error = None
                session.add(row)
                session.commit()

        await self.db.run(work)

    async def set_reachable(
        self, target: Target, reachable: bool, reason: str
    ) -> list[Subscription]:
        """The platform told us the bot was removed/blocked (False) or added back (True).

        ``target.thread_id`` None means every subscription of the chat (all its topics).
        Removed: the subscribed, active ones are deactivated at once. Back: the subscribed,
        inactive ones are reactivated and every failure record of the chat is cleared (rows
        that were unsubscribed, or retired by a merge, stay as they are). Returns the rows
        whose ``active`` changed.
        """

        def work(session: Session) -> list[Subscription]:
            query = select(SubscriptionRow).where(
                SubscriptionRow.platform == target.platform,
                SubscriptionRow.chat_id == target.chat_id,
            )
            if target.thread_id:
                query = query.where(SubscriptionRow.thread_id == target.thread_id)
            changed = []
            for row in session.exec(query.order_by(col(SubscriptionRow.id))).all():
                if not row.subscribed:
                    continue
                if reachable:
                    flipped = not row.active
                    row.active = True
                    row.failure_count = 0
                    row.failed_days = []
                    row.last_error = None
                else:
                    flipped = row.active
                    row.active = False
                    row.last_error = reason[:500]
                if flipped:
                    changed.append(row)
                row.updated_at = utcnow()
                session.add(row)
            session.commit()
            return [to_subscription(row) for row in changed]

        return await self.db.run(work)

    async def move(self, sub_id: int, new_chat_id: str) -> Subscription:
        """A chat got a new id (Telegram group → supergroup): follow it.

        When the new id already has a subscription, the two are merged into that one (see
        ``_merge``): one chat, one digest. Raises ``ChatMerged`` when the survivor already
        holds (or got) the day being delivered, so the moving delivery stops.
        """

        def work(session: Session) -> tuple[Subscription, int | None]:
            for _attempt in range(3):  # a concurrent claim may insert the survivor's ledger row
                try:
                    return _move(session, sub_id, new_chat_id)
                except IntegrityError:
                    session.rollback()
            return _move(session, sub_id, new_chat_id)

        survivor, stopped = await self.db.run(work)
        if stopped is not None:
            raise ChatMerged(
                survivor.id,
                f"chat moved to {new_chat_id}, whose subscription #{survivor.id} "
                f"carries the delivery of that day",
            )
        return survivor


# settings a merge takes from the winning row (every /settings column)
_SETTING_COLUMNS = tuple(spec.column for spec in SETTINGS.values())


def _move(session: Session, sub_id: int, new_chat_id: str) -> tuple[Subscription, int | None]:
    row = _get_row(session, sub_id)
    clash = _find(session, Target(row.platform, new_chat_id, row.thread_id or None))
    if clash is None or clash.id == sub_id:
        return to_subscription(_save(session, sub_id, {"chat_id": new_chat_id})), None
    return _merge(session, row, clash)


def _merge(
    session: Session, old: SubscriptionRow, survivor: SubscriptionRow
) -> tuple[Subscription, int | None]:
    """Merge ``old`` (the chat's previous id) into ``survivor`` (the row at its new id).

    The rule: the subscribed row's settings win; when both are subscribed, the survivor's
    (they were chosen in the new chat, after the move). The survivor is subscribed if either
    was, and active with a clean failure record (the move shows the chat lives on). The ledger
    follows: each day only ``old`` has moves to the survivor (the delivery in flight too, so
    it finishes there and the survivor does not send that day again), a day ``old`` got while
    the survivor's attempt failed replaces it, and a day both hold stays the survivor's.
    ``old`` is retired (unsubscribed, inactive, ``last_error`` says where it went). Returns
    the survivor and, if ``old`` had a delivery in flight for a day the survivor holds, that
    ledger row's id (the caller must stop it).
    """
    survivor_id = survivor.id or 0
    if old.subscribed and not survivor.subscribed:
        for column in _SETTING_COLUMNS:
            setattr(survivor, column, getattr(old, column))
    survivor.subscribed = survivor.subscribed or old.subscribed
    survivor.active = True
    survivor.failure_count = 0
    survivor.failed_days = []
    survivor.last_error = None
    survivor.chat_title = survivor.chat_title or old.chat_title
    survivor.updated_at = utcnow()
    session.add(survivor)

    theirs = {
        row.day: row
        for row in session.exec(
            select(DeliveryRow).where(DeliveryRow.subscription_id == survivor_id)
        ).all()
    }
    stopped: int | None = None
    mine_rows = session.exec(select(DeliveryRow).where(DeliveryRow.subscription_id == old.id))
    for mine in mine_rows.all():
        other = theirs.get(mine.day)
        if other is not None and mine.status == "done" and other.status == "failed":
            session.delete(other)
            session.flush()
            other = None
        if other is None:
            mine.subscription_id = survivor_id
            session.add(mine)
        elif mine.status == "claimed":
            stopped = mine.id
    session.flush()

    old.subscribed = False
    old.active = False
    old.failure_count = 0
    old.failed_days = []
    old.last_error = f"merged into subscription #{survivor_id} (chat {survivor.chat_id})"[:500]
    old.updated_at = utcnow()
    session.add(old)
    session.commit()
    session.refresh(survivor)
    return to_subscription(survivor), stopped


def local_post_moment(sub: Subscription, now: datetime) -> datetime:
    """Today's post time in the subscription's timezone, as an aware datetime."""
    local = now.astimezone(ZoneInfo(sub.timezone))
    hour, minute = (int(part) for part in sub.post_time.split(":"))
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)
