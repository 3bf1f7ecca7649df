"""The one command layer every adapter uses: text in, a platform-neutral ``Reply`` out."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.alerts import Alerts
from bot.archive import Archive, impatient, latest_settled_day, note_late
from bot.cards import build_card, hf_day_url
from bot.config import Settings
from bot.db import is_outage, one_line
from bot.domain import Button, Card, FeaturedPaper, Reply, Subscription, Target
from bot.errors import (
    BadArgument,
    BotError,
    DatabaseUnavailable,
    NotAllowed,
    NotFound,
    SourceUnavailable,
    TooManyRequests,
)
from bot.i18n import COMMAND_DESCRIPTIONS, catalogue_language, t
from bot.limits import CommandLimiter
from bot.metrics import Metrics
from bot.ports import SubscriptionStore
from bot.ranking import PersonalRanking, window
from bot.ratings import DISLIKE, LIKE, Ratings
from bot.subscriptions import RANK_RESET, describe
from bot.summaries import SummaryService
from bot.untrusted import command_text

log = logging.getLogger(__name__)

MAX_ARGUMENT = 200
MAX_TOP = 50
MAX_FOR_YOU = 20
RATINGS_SHOWN = 30
_COMMAND = re.compile(r"^/([A-Za-z_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(.*))?$", re.S)
_ARXIV_ID = re.compile(
    r"^(?:arxiv:|(?:https?://)?(?:www\.)?(?:arxiv\.org/(?:abs|pdf)|huggingface\.co/papers)/)?"
    r"(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?/?$",
    re.I,
)
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
# commands that may fetch from Hugging Face: limited per chat and per user, and they wait for
# the source at most HF_COMMAND_WAIT_SECONDS before answering from the archive (/paper of a
# stored paper asks the source nothing and takes no token: ``Commands._answered_from_archive``)
FETCHING = frozenset({"today", "date", "top", "search", "paper"})
_OFFSET = re.compile(r"^\+(\d{1,4})$")


@dataclass(frozen=True)
class ChatContext:
    """Who asks, from where. ``check_admin`` asks the platform, only when needed."""

    platform: str
    chat_id: str
    thread_id: str | None = None
    user_id: str | None = None
    chat_type: str = "private"
    chat_title: str | None = None
    check_admin: Callable[[], Awaitable[bool]] | None = None

    @property
    def target(self) -> Target:
        return Target(self.platform, self.chat_id, self.thread_id)


def parse_command(text: str, bot_username: str | None = None) -> tuple[str, str] | None:
    """``/name@bot args`` → (name, args); None if it is not a command addressed to us."""
    match = _COMMAND.match(text.strip())
    if not match:
        return None
    name, mention, args = match.group(1).lower(), match.group(2), match.group(3) or ""
    if mention and bot_username and mention.lower() != bot_username.lower():
        return None
    return name, args.strip()


def parse_day(raw: str, now: datetime, language: str = "en") -> date | None:
    """A day typed by a user; None means "today's digest". Raises BadArgument."""
    value = raw.strip().lower()
    if value in {"", "today", "오늘"}:
        return None
    if value in {"yesterday", "어제"}:
        return now.date() - timedelta(days=1)
    match = _DATE.match(value)
    try:
        if not match:
            raise ValueError(value)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise BadArgument(t("bad_date", language, value=raw.strip()[:40])) from None


def parse_arxiv_id(raw: str, language: str = "en") -> str:
    """Accepts ``2501.05366``, ``2501.05366v2``, arxiv.org and huggingface.co links."""
    value = raw.strip()
    if not value:
        raise BadArgument(t("paper_usage", language))
    match = _ARXIV_ID.match(value) if len(value) <= MAX_ARGUMENT else None
    if not match:
        raise BadArgument(t("bad_paper_id", language, value=value[:40]))
    return match.group(1)


def parse_top(raw: str, language: str = "en") -> tuple[int | None, int, str, date | None]:
    """``[N] [week|month] [YYYY-MM-DD]`` → (n or None, days, period key, window end or None).

    The More button pins the window's end with a date, so a later page lists the same window.
    """
    n: int | None = None
    days, period, end = 7, "period_week", None
    for word in raw.lower().split():
        if word in {"week", "weekly", "w", "주"}:
            days, period = 7, "period_week"
        elif word in {"month", "monthly", "m", "달"}:
            days, period = 30, "period_month"
        elif re.fullmatch(r"[+-]?\d{1,6}", word) and 1 <= int(word) <= MAX_TOP:
            n = int(word)
        elif (match := _DATE.match(word)) and _valid_date(match):
            end = date(int(match[1]), int(match[2]), int(match[3]))
        else:
            raise BadArgument(t("bad_top", language, max=MAX_TOP, value=word[:40]))
    return n, days, period, end


def _valid_date(match: re.Match[str]) -> bool:
    try:
        date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return False
    return True


def split_offset(args: str) -> tuple[str, int]:
    """``ARGS +N`` (what a More button sends) → (ARGS, N); no ``+N`` means the first page."""
    words = args.split()
    if words and (match := _OFFSET.match(words[-1])):
        return " ".join(words[:-1]), int(match[1])
    return args.strip(), 0


@dataclass(frozen=True)
class Page:
    """One page of a ranked list: its cards' slice, where it starts, and the next command."""

    items: tuple[FeaturedPaper, ...]
    offset: int
    total: int
    more: str | None

    def counts(self, language: str) -> str:
        """ "showing 10 of 62" (or "11–20 of 62"); empty when everything fits on one page."""
        if self.more is None and self.offset == 0:
            return ""
        if self.offset == 0:
            return t("showing", language, count=len(self.items), total=self.total)
        last = self.offset + len(self.items)
        return t("showing_range", language, first=self.offset + 1, last=last, total=self.total)


def paginate(featured: Sequence[FeaturedPaper], offset: int, size: int, command: str) -> Page:
    """The page at ``offset`` (clamped to the last one); ``command +N`` shows the next."""
    size = max(size, 1)
    total = len(featured)
    offset = max(0, min(offset, (max(total - 1, 0) // size) * size))
    items = tuple(featured[offset : offset + size])
    following = offset + size
    more = f"{command} +{following}" if following < total else None
    return Page(items=items, offset=offset, total=total, more=more)


def _prefixed(note: str, text: str) -> str:
    return f"{note}\n{text}" if text else note


def rate_buttons(arxiv_id: str, language: str) -> list[Button]:
    """👍/👎 under a paper: they run /like and /dislike, so every platform shares them."""
    return [
        Button(t("button_like", language), command=f"/like {arxiv_id}"),
        Button(t("button_dislike", language), command=f"/dislike {arxiv_id}"),
    ]


class Commands:
    """/today /date /top /search /paper /help /start /subscribe /unsubscribe /settings."""

    NAMES = (
        "today",
        "date",
        "top",
        "search",
        "paper",
        "subscribe",
        "unsubscribe",
        "settings",
        "like",
        "dislike",
        "ratings",
        "foryou",
        "help",
    )

    def __init__(
        self,
        settings: Settings,
        archive: Archive,
        summaries: SummaryService,
        subscriptions: SubscriptionStore,
        now: Callable[[], datetime],
        *,
        metrics: Metrics | None = None,
        alerts: Alerts | None = None,
        ranking: PersonalRanking | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.alerts = alerts
        self.archive = archive
        self.summaries = summaries
        self.subscriptions = subscriptions
        self.now = now
        self.limiter = CommandLimiter(settings.command_rate_per_minute, settings.command_burst)
        self.ranking = ranking or PersonalRanking(Ratings(archive.db))
        self._handlers: dict[str, Callable[[str, ChatContext, str], Awaitable[Reply]]] = {
            "today": self._today,
            "date": self._date,
            "top": self._top,
            "search": self._search,
            "paper": self._paper,
            "help": self._help,
            "start": self._help,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "settings": self._settings,
            "like": self._like,
            "dislike": self._dislike,
            "ratings": self._ratings,
            "foryou": self._foryou,
        }

    def describe(self, language: str = "en") -> list[tuple[str, str]]:
        texts = COMMAND_DESCRIPTIONS[catalogue_language(language)]
        return [(name, texts[name]) for name in self.NAMES]

    async def language_of(self, ctx: ChatContext) -> str:
        try:
            row = await self.subscriptions.get(ctx.target)
        except Exception as exc:
            if not is_outage(exc):
                raise
            return self.settings.default_language  # the error reply comes from run()
        return row.language if row else self.settings.default_language

    async def handle_text(
        self, text: str, ctx: ChatContext, *, bot_username: str | None = None
    ) -> Reply | None:
        parsed = parse_command(command_text(text), bot_username)
        if parsed is None:
            return None
        name, args = parsed
        if name not in self._handlers:
            return Reply(
                text=t("unknown_command", await self.language_of(ctx), name=name), is_error=True
            )
        return await self.run(name, args, ctx)

    async def run(self, name: str, args: str, ctx: ChatContext) -> Reply:
        """Run one command; every failure becomes a friendly error reply."""
        language = await self.language_of(ctx)
        handler = self._handlers.get(name.lower())
        if handler is None:
            return Reply(text=t("unknown_command", language, name=name[:32]), is_error=True)
        name = name.lower()
        args = command_text(args)
        began = time.monotonic()
        try:
            if name not in FETCHING or ctx.platform == "console":  # the operator's terminal
                reply = await handler(args.strip(), ctx, language)
            else:
                if not await self._answered_from_archive(name, args):
                    retry = await self.limiter.take(self._limit_keys(ctx))
                    if retry is not None:
                        raise TooManyRequests("slow down", retry_after=retry)
                with impatient(self.settings.hf_command_wait_seconds) as patience:
                    reply = await handler(args.strip(), ctx, language)
                if patience.late and not reply.is_error:
                    late = _prefixed(t("source_late", language), reply.text)
                    reply = replace(reply, text=late)
            # the renderers' own labels follow the chat (a /settings language change included)
            return replace(reply, language=await self.language_of(ctx))
        except TooManyRequests as exc:
            seconds = max(1, math.ceil(exc.retry_after))
            return Reply(text=t("slow_down", language, seconds=seconds), is_error=True)
        except SourceUnavailable as exc:
            log.warning("source unavailable for /%s: %s", name, exc)
            return Reply(text=t("source_down", language), is_error=True)
        except DatabaseUnavailable as exc:
            log.warning("database unavailable for /%s: %s", name, one_line(exc))
            return Reply(text=t("db_down", language), is_error=True)
        except BotError as exc:
            return Reply(text=str(exc), is_error=True)
        except Exception as exc:
            if is_outage(exc):  # raised outside Database.session (an engine-level call)
                log.warning("database unavailable for /%s: %s", name, one_line(exc))
                return Reply(text=t("db_down", language), is_error=True)
            log.exception("command /%s failed", name)
            self.alert_exception(f"/{name} ({ctx.platform})", exc)
            return Reply(text=t("internal_error", language), is_error=True)
        finally:
            self.metrics.command_seconds.labels(name.lower()).observe(time.monotonic() - began)

    def alert_exception(self, where: str, exc: BaseException) -> None:
        """Tell the operators (one alert per hour), without delaying the user's answer."""
        if self.alerts is not None:
            error = f"{type(exc).__name__}: {exc}"
            text = self.alerts.text("alert_exception", where=where, error=error)
            self.alerts.fire("exception", text)

    async def _answered_from_archive(self, name: str, args: str) -> bool:
        """Whether the command needs nothing from Hugging Face, so takes no token from the
        chat's bucket: ``/paper`` of a paper the archive already holds."""
        if name != "paper":
            return False
        try:
            arxiv_id = parse_arxiv_id(args.strip())
        except BotError:
            return False  # as before: the handler answers the bad argument
        return await self.archive.stored_paper(arxiv_id) is not None

    @staticmethod
    def _limit_keys(ctx: ChatContext) -> list[str]:
        keys = [f"chat:{ctx.platform}:{ctx.chat_id}"]
        if ctx.user_id:
            keys.append(f"user:{ctx.platform}:{ctx.user_id}")
        return keys

    # --- reading commands -------------------------------------------------------------

    async def cards(self, featured: Sequence[FeaturedPaper], language: str) -> tuple[Card, ...]:
        """Cards with whatever summaries are cached (never waits for an LLM)."""
        cached = await self.summaries.cached([fp.paper for fp in featured], language)
        return tuple(build_card(fp, cached.get(fp.paper.arxiv_id), language) for fp in featured)

    async def page_size(self, ctx: ChatContext) -> int:
        """How many papers a page shows in this chat: its ``top`` setting."""
        row = await self.subscriptions.get(ctx.target)
        return row.top_n if row else self.settings.default_top_n

    async def _paged_reply(self, page: Page, language: str, **fields: Any) -> Reply:
        """A compact listing of one page, with a More button when there is a next one."""
        buttons: tuple[Button, ...] = fields.pop("buttons", ())
        if page.more:
            buttons = (*buttons, Button(t("button_next_page", language), command=page.more))
        text = "\n".join(part for part in (fields.pop("text", ""), page.counts(language)) if part)
        summarise = t("button_summarise", language) if self.summaries.enabled else None
        return Reply(
            text=text,
            cards=await self.cards(page.items, language),
            style="compact",
            buttons=buttons,
            start=page.offset + 1,
            more=page.more,
            item_label=summarise,
            **fields,
        )

    async def _today(self, args: str, ctx: ChatContext, language: str) -> Reply:
        _, offset = split_offset(args)
        now = self.now()
        day = await self.archive.todays_digest_date(now)
        return await self._day_reply(day, now, language, "today_intro", ctx, offset)

    async def _date(self, args: str, ctx: ChatContext, language: str) -> Reply:
        args, offset = split_offset(args)
        if not args:
            raise BadArgument(t("date_usage", language))
        now = self.now()
        day = parse_day(args, now, language)
        if day is None:
            return await self._today(f"+{offset}", ctx, language)
        if day > now.date():
            raise BadArgument(t("day_in_future", language, day=day.isoformat()))
        return await self._day_reply(day, now, language, "date_intro", ctx, offset)

    async def _day_reply(
        self,
        day: date,
        now: datetime,
        language: str,
        intro_key: str,
        ctx: ChatContext,
        offset: int = 0,
    ) -> Reply:
        featured = await self.archive.day(day, now)
        if not featured:
            return Reply(text=t("no_papers_day", language, day=day.isoformat()), day=day)
        row = await self.subscriptions.get(ctx.target)
        featured = await self.ranking.order_for_chat(featured, row)
        if row is not None and row.rank == "personal":
            intro_key = "today_intro_personal"
        intro = t(intro_key, language, count=len(featured), day=day.isoformat())
        if day > latest_settled_day(now):
            intro = t("day_not_finished", language, day=day.isoformat()) + "\n" + intro
        page = paginate(featured, offset, await self.page_size(ctx), f"/date {day.isoformat()}")
        return await self._paged_reply(
            page,
            language,
            title=t("today_title", language, day=day.isoformat()),
            text=intro,
            day=day,
            buttons=(Button(t("button_hf", language), url=hf_day_url(day)),),
        )

    async def _top(self, args: str, ctx: ChatContext, language: str) -> Reply:
        args, offset = split_offset(args)
        n, days, period, pinned = parse_top(args, language)
        wanted = n or MAX_TOP
        now = self.now()
        if pinned is not None:
            end = pinned
        else:
            try:
                end = await self.archive.todays_digest_date(now)
            except SourceUnavailable:
                if not await self.archive.stored_days():
                    raise
                end = latest_settled_day(now)  # nothing recent: the archive's last week below
        start = end - timedelta(days=days - 1)
        featured = await self.archive.top(wanted, days, now, end=end)
        intro = ""
        if not featured and pinned is None:
            # Nothing in that window (the source has no recent days): use the archive's last.
            stored = await self.archive.stored_days()
            if not stored or stored[-1] >= start:
                return Reply(text=t("top_empty", language, start=start, end=end))
            intro = t("top_empty", language, start=start, end=end) + "\n"
            end = stored[-1]
            start = end - timedelta(days=days - 1)
            featured = await self.archive.top(wanted, days, now, end=end)
        if not featured:
            return Reply(text=t("top_empty", language, start=start, end=end))
        word = "month" if period == "period_month" else "week"
        command = f"/top {len(featured)} {word} {end.isoformat()}"
        page = paginate(featured, offset, await self.page_size(ctx), command)
        return await self._paged_reply(
            page,
            language,
            title=t("top_title", language, n=len(featured), period=t(period, language)),
            text=intro + t("top_intro", language, start=start.isoformat(), end=end.isoformat()),
        )

    async def _search(self, args: str, ctx: ChatContext, language: str) -> Reply:
        args, offset = split_offset(args)
        if not args:
            raise BadArgument(t("search_usage", language))
        if len(args) > MAX_ARGUMENT:
            raise BadArgument(t("search_too_long", language, length=len(args), max=MAX_ARGUMENT))
        try:  # make sure the latest days are in the archive before searching it
            await self.archive.todays_digest_date(self.now())
        except SourceUnavailable as exc:
            log.info("searching the stored archive only: %s", exc)
            note_late()
        featured = await self.archive.search_all(args)
        if not featured:
            empty = not await self.archive.stored_days()
            key = "search_empty_archive" if empty else "search_empty"
            return Reply(text=t(key, language, query=args))
        # the count is every match, not the page; a More button whose command is too long
        # for a platform (Telegram: 64 bytes) is left out by that platform's renderer
        page = paginate(featured, offset, await self.page_size(ctx), f"/search {args}")
        return await self._paged_reply(
            page,
            language,
            title=t("search_title", language, query=args),
            text=t("search_intro", language, count=len(featured), query=args),
        )

    async def _paper(self, args: str, ctx: ChatContext, language: str) -> Reply:
        """One paper's card, summarised in the chat's language now if the cache lacks it
        (adapters show "typing…" meanwhile); a fallback says why in one line."""
        arxiv_id = parse_arxiv_id(args, language)
        featured = await self.archive.paper(arxiv_id)
        if featured is None:
            raise NotFound(t("paper_not_found", language, arxiv_id=arxiv_id))
        summaries, reasons = await self.summaries.summarize_report([featured.paper], language)
        card = build_card(featured, summaries.get(featured.paper.arxiv_id), language)
        reason = reasons.get(featured.paper.arxiv_id)
        if reason and not (reason == "no_model" and catalogue_language(language) == "en"):
            card = replace(card, note=t("summary_fallback", language, reason=reason))
        # the card links its Hugging Face page once, in its head; no button repeats it
        buttons = [Button(t("button_arxiv", language), url=card.arxiv_url)]
        buttons += rate_buttons(card.arxiv_id, language)
        if card.day is not None:
            buttons.append(Button(t("button_more", language), command=f"/date {card.day}"))
        return Reply(cards=(card,), style="cards", day=card.day, buttons=tuple(buttons))

    # --- ratings and personal ranking -------------------------------------------------------

    async def _like(self, args: str, ctx: ChatContext, language: str) -> Reply:
        return await self._rate(args, ctx, language, LIKE)

    async def _dislike(self, args: str, ctx: ChatContext, language: str) -> Reply:
        return await self._rate(args, ctx, language, DISLIKE)

    async def _rate(self, args: str, ctx: ChatContext, language: str, value: int) -> Reply:
        """One member's vote for this chat (changeable); every member of a group counts."""
        if not args:
            raise BadArgument(t("like_usage", language))
        arxiv_id = parse_arxiv_id(args, language)
        featured = await self.archive.paper(arxiv_id)
        if featured is None:
            raise NotFound(t("paper_not_found", language, arxiv_id=arxiv_id))
        ratings = self.ranking.ratings
        changed = await ratings.rate(ctx.target, ctx.user_id, arxiv_id, value)
        title = featured.paper.title
        if not changed:
            return Reply(text=t("rating_unchanged", language, title=title), private=True)
        count = len(await ratings.profile(ctx.target))
        key = "liked" if value == LIKE else "disliked"
        return Reply(text=t(key, language, title=title, count=count), private=True)

    async def _ratings(self, args: str, ctx: ChatContext, language: str) -> Reply:
        rated = await self.ranking.ratings.rated(ctx.target)
        if not rated:
            return Reply(text=t("ratings_empty", language))
        lines = [
            t(
                "ratings_intro",
                language,
                count=len(rated),
                likes=sum(1 for r in rated if r.score > 0),
                dislikes=sum(1 for r in rated if r.score < 0),
            )
        ]
        for item in rated[:RATINGS_SHOWN]:
            marks = []
            if item.likes:
                marks.append("👍" + (f"×{item.likes}" if item.likes > 1 else ""))
            if item.dislikes:
                marks.append("👎" + (f"×{item.dislikes}" if item.dislikes > 1 else ""))
            lines.append(f"{' '.join(marks)} {item.paper.title} ({item.paper.arxiv_id})")
        if len(rated) > RATINGS_SHOWN:
            lines.append(t("ratings_more", language, count=len(rated) - RATINGS_SHOWN))
        return Reply(title=t("ratings_title", language), text="\n".join(lines))

    async def _foryou(self, args: str, ctx: ChatContext, language: str) -> Reply:
        n = 5
        if args:
            value = args.split()[0]
            if len(args.split()) > 1 or not value.isdigit() or not 1 <= int(value) <= MAX_FOR_YOU:
                raise BadArgument(t("foryou_usage", language, max=MAX_FOR_YOU, value=args[:40]))
            n = int(value)
        now = self.now()
        try:
            end = await self.archive.todays_digest_date(now)
        except SourceUnavailable:
            stored = await self.archive.stored_days()
            if not stored:
                raise
            end = stored[-1]
        start, end = window(end)
        row = await self.subscriptions.get(ctx.target)
        include = row.include_keywords if row else ()
        featured = await self.ranking.for_you(ctx.target, include, end, n)
        if featured is None:
            return Reply(text=t("foryou_cold", language))
        if not featured:
            return Reply(text=t("foryou_empty", language, start=start, end=end))
        return Reply(
            title=t("foryou_title", language),
            text=t("foryou_intro", language, count=len(featured), start=start, end=end),
            cards=await self.cards(featured, language),
            style="compact",
        )

    async def _help(self, args: str, ctx: ChatContext, language: str) -> Reply:
        return Reply(text=t("help", language))

    # --- chat administration -------------------------------------------------------------

    async def require_admin(self, ctx: ChatContext, language: str) -> None:
        """Only a chat's admins (or the bot's operators) may change its subscription."""
        if ctx.user_id and (
            ctx.user_id in self.settings.bot_admin_ids
            or f"{ctx.platform}:{ctx.user_id}" in self.settings.bot_admin_ids
        ):
            return
        if ctx.chat_type == "private":
            return
        if ctx.check_admin is not None and await ctx.check_admin():
            return
        raise NotAllowed(t("not_admin", language))

    async def _subscribe(self, args: str, ctx: ChatContext, language: str) -> Reply:
        await self.require_admin(ctx, language)
        row, changed = await self.subscriptions.subscribe(ctx.target, ctx.chat_title)
        key = "subscribed" if changed else "already_subscribed"
        return Reply(text=t(key, row.language, time=row.post_time, timezone=row.timezone))

    def settings_shortcuts(self, row: Subscription | None, language: str) -> tuple[Button, ...]:
        """One-tap changes under /settings; they run as commands, so admin checks still apply."""
        subscribed = row is not None and row.receiving
        style = row.style if row else self.settings.default_style
        other_style = "cards" if style == "compact" else "compact"
        other_language = "en" if catalogue_language(language) == "ko" else "ko"
        buttons = [
            Button(t("button_unsubscribe", language), command="/unsubscribe")
            if subscribed
            else Button(t("button_subscribe", language), command="/subscribe"),
            Button(
                t("button_style", language, style=other_style),
                command=f"/settings style {other_style}",
            ),
            Button(
                "한국어" if other_language == "ko" else "English",
                command=f"/settings language {other_language}",
            ),
        ]
        if subscribed and row is not None:
            buttons.append(
                Button(t("button_resume", language), command="/settings paused off")
                if row.paused
                else Button(t("button_pause", language), command="/settings paused on")
            )
        return tuple(buttons)

    async def _unsubscribe(self, args: str, ctx: ChatContext, language: str) -> Reply:
        await self.require_admin(ctx, language)
        if await self.subscriptions.unsubscribe(ctx.target):
            return Reply(text=t("unsubscribed", language))
        return Reply(text=t("not_subscribed", language))

    async def _settings(self, args: str, ctx: ChatContext, language: str) -> Reply:
        if not args:
            row = await self.subscriptions.get(ctx.target)
            shown = describe(row, self.settings, language)
            return Reply(
                title=t("settings_title", language),
                text=shown + "\n\n" + t("settings_help", language),
                buttons=self.settings_shortcuts(row, language),
            )
        parts = args.split(None, 1)  # any whitespace separates the key from its value
        if len(parts) < 2 or not parts[1].strip():
            raise BadArgument(t("settings_help", language))
        key, value = parts
        await self.require_admin(ctx, language)
        name, stored = await self.subscriptions.set(ctx.target, key, value, language)
        if name == "rank" and stored == RANK_RESET:
            forgotten = await self.ranking.ratings.forget(ctx.target)
            return Reply(text=t("rank_reset", language, count=forgotten))
        if name == "language":
            language = str(stored)
        shown_value = stored
        if isinstance(stored, bool):
            shown_value = "on" if stored else "off"
        elif isinstance(stored, list):
            shown_value = ", ".join(stored) if stored else t("none", language)
        return Reply(text=t("setting_changed", language, key=name, value=shown_value))
