"""The morning post: which subscriptions are due, and the fan-out.

The scheduler is only a clock: every tick asks ``Delivery.tick(now)``. "Who is due" and "who got
what" live in the database, where the unique (subscription, day) ledger row (``bot/ledger.py``)
decides races, so a restart neither re-posts nor skips. This module sees only plain
``Subscription``/``DeliveryRecord`` objects, through the ``SubscriptionStore`` and
``DeliveryLedger`` ports.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.alerts import Alerts
from bot.archive import Archive
from bot.cards import build_card
from bot.domain import Card, FeaturedPaper, PaperInfo, Reply, Style, Subscription, Target
from bot.errors import SourceUnavailable
from bot.i18n import t
from bot.metrics import Metrics
from bot.ports import (
    ChatMoved,
    ChatUnreachable,
    DeliveryError,
    DeliveryLedger,
    Publisher,
    SubscriptionStore,
    ThreadGone,
)
from bot.ranking import PersonalRanking
from bot.ratings import Ratings
from bot.schedule import Due, due_period
from bot.subscriptions import local_post_moment
from bot.summaries import SummaryService

log = logging.getLogger(__name__)

MAX_PERIOD_PAPERS = 50  # a weekly or monthly digest picks its top N among these


@dataclass
class TickReport:
    """What one tick did, for logs and tests."""

    day: date | None = None
    due: int = 0
    delivered: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    deactivated: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    renders: int = 0
    postponed: str | None = None  # why the post waits (Hugging Face unreachable)
    seconds: float = 0.0

    def log_line(self) -> str:
        """The delivery log's one line per tick that did something."""
        line = (
            f"morning post {self.day}: {self.due} chats, {len(self.delivered)} done, "
            f"{len(self.failed)} failed, {len(self.deactivated)} deactivated, {self.seconds:.0f} s"
        )
        return line + (f" ({len(self.skipped)} held elsewhere)" if self.skipped else "")


def is_due(sub: Subscription, now: datetime, catchup: timedelta) -> bool:
    """Local time has reached the post time today, and not by more than the catch-up window."""
    moment = local_post_moment(sub, now)
    return moment <= now <= moment + catchup


def select_cards(cards: Sequence[Card], row: Subscription) -> list[Card]:
    """Apply a subscription's filters: minimum votes, keywords in/out, top N."""

    def text_of(card: Card) -> str:
        parts = [card.title, card.summary.text or "", *card.keywords]
        parts += [body for _, body in card.summary.sections()]
        return " ".join(parts).lower()

    chosen = []
    for card in cards:
        if card.votes < row.min_votes:
            continue
        text = text_of(card)
        if row.include_keywords and not any(k in text for k in row.include_keywords):
            continue
        if any(k in text for k in row.exclude_keywords):
            continue
        chosen.append(card)
    return chosen[: max(row.top_n, 1)]


def shown_papers(featured: Sequence[FeaturedPaper], row: Subscription) -> list[FeaturedPaper]:
    """The papers a chat is shown: its filters and top N, decided on the offline cards (title,
    keywords, HF's one-liner), so the choice does not depend on a summary not made yet."""
    chosen = {card.arxiv_id for card in select_cards([build_card(fp) for fp in featured], row)}
    return [fp for fp in featured if fp.paper.arxiv_id in chosen]


def shows_summaries(row: Subscription) -> bool:
    """Whether a chat's style shows the LLM's summaries: full cards do; a compact list shows
    HF's one-line summary (its Summarise buttons make the LLM one on demand)."""
    return row.style == "cards"


def summaries_needed(
    featured: Sequence[FeaturedPaper], rows: Sequence[Subscription]
) -> dict[str, list[PaperInfo]]:
    """Per language, the papers some chat will show with an LLM summary: the morning's cost."""
    needed: dict[str, dict[str, PaperInfo]] = {}
    for row in rows:
        if shows_summaries(row):
            papers = needed.setdefault(row.language, {})
            for fp in shown_papers(featured, row):
                papers.setdefault(fp.paper.arxiv_id, fp.paper)
    return {language: list(papers.values()) for language, papers in needed.items()}


class Delivery:
    """Fans today's digest out to every due subscription through the platforms' publishers."""

    def __init__(
        self,
        archive: Archive,
        summaries: SummaryService,
        subscriptions: SubscriptionStore,
        ledger: DeliveryLedger,
        now: Callable[[], datetime],
        *,
        catchup: timedelta = timedelta(hours=12),
        concurrency: int = 8,
        metrics: Metrics | None = None,
        alerts: Alerts | None = None,
        ranking: PersonalRanking | None = None,
    ) -> None:
        self.archive = archive
        self.metrics = metrics or Metrics()
        self.alerts = alerts
        self.ranking = ranking or PersonalRanking(Ratings(archive.db))
        self.summaries = summaries
        self.subscriptions = subscriptions
        self.ledger = ledger
        self.now = now
        self.catchup = catchup
        self.concurrency = max(concurrency, 1)
        self.publishers: dict[str, Publisher] = {}

    def register(self, publisher: Publisher) -> None:
        self.publishers[publisher.platform] = publisher

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Deliver everything due at ``now``. Safe to call as often as you like."""
        now = now or self.now()
        report = TickReport()
        began = time.monotonic()
        candidates = [
            row
            for row in await self.subscriptions.deliverable(set(self.publishers))
            if is_due(row, now, self.catchup)
        ]
        if not candidates:
            await self._prepare_summaries(now)
            return report
        try:
            day = await self.archive.todays_digest_date(now)
            featured = await self.archive.day(day, now)
        except SourceUnavailable as exc:
            log.warning("morning post postponed, source unavailable: %s", exc)
            report.postponed = str(exc)
            if self.alerts is not None:
                text = self.alerts.text("alert_source_down", reason=exc)
                await self.alerts.alert("source_down", text)
            return report
        report.day = day
        plans = []  # (subscription, the digest due for it: daily, weekly or monthly)
        for row in candidates:
            local_now = now.astimezone(ZoneInfo(row.timezone))
            plan = due_period(row.digest_period, row.weekday, local_now, day)
            if plan is not None and not await self.ledger.done(row.id, plan.key):
                plans.append((row, plan))
        report.due = len(plans)
        if not plans:
            return report
        windows: dict[tuple[date, date], list[FeaturedPaper]] = {(day, day): featured}
        shown: dict[int, list[FeaturedPaper]] = {}
        for row, plan in plans:
            window = (plan.start, plan.end)
            if window not in windows:  # a week's or a month's most voted papers
                windows[window] = await self.archive.top(
                    MAX_PERIOD_PAPERS, plan.days, now, end=plan.end
                )
            shown[row.id or 0] = await self.shown_for_chat(windows[window], row)
        needed: dict[str, dict[str, PaperInfo]] = {}
        for row, _ in plans:
            if shows_summaries(row):
                for fp in shown[row.id or 0]:
                    needed.setdefault(row.language, {}).setdefault(fp.paper.arxiv_id, fp.paper)
        summaries = {
            language: await self.summaries.summarize(list(papers.values()), language)
            for language, papers in sorted(needed.items())
        }
        renders: dict[tuple[Any, ...], list[Any]] = {}
        gate = asyncio.Semaphore(self.concurrency)

        async def deliver(row: Subscription, plan: Due) -> None:
            made = summaries.get(row.language, {}) if shows_summaries(row) else {}
            cards = [
                build_card(fp, made.get(fp.paper.arxiv_id), row.language)
                for fp in shown[row.id or 0]
            ]
            async with gate:  # the platforms' rate limiters pace what this lets through
                await self._deliver(row, plan.key, now, cards, renders, report, plan)

        await asyncio.gather(*(deliver(row, plan) for row, plan in plans))
        report.renders = len(renders)
        report.seconds = time.monotonic() - began
        log.info("%s", report.log_line())
        return report

    async def _prepare_summaries(self, now: datetime) -> None:
        """Between posts, make the summaries today's digest will show, for each chat that shows
        them (its top N after filters, in its language), so a post rarely waits for an LLM."""
        if not self.summaries.enabled:
            return
        rows = [
            row
            for row in await self.subscriptions.deliverable(set(self.publishers))
            if shows_summaries(row)
        ]
        if not rows:
            return
        try:
            day = await self.archive.todays_digest_date(now)
            featured = await self.archive.day(day, now)
        except SourceUnavailable:
            return
        needed: dict[str, dict[str, PaperInfo]] = {}
        for row in rows:  # each chat's top N in its own order (rank personal)
            for fp in await self.shown_for_chat(featured, row):
                needed.setdefault(row.language, {}).setdefault(fp.paper.arxiv_id, fp.paper)
        for language, by_id in sorted(needed.items()):
            papers = list(by_id.values())
            made = await self.summaries.prepare(papers, language)
            if made:
                log.info("prepared %d %s summaries for %s", made, language, day)

    async def ordered_for_chat(
        self, featured: Sequence[FeaturedPaper], row: Subscription
    ) -> list[FeaturedPaper]:
        """The papers in this chat's order (``rank personal``: what it likes first, each marked
        with the liked paper it is most like); its filters and top N are taken after that."""
        try:
            return await self.ranking.order_for_chat(featured, row)
        except Exception:  # a chat's ranking never holds up its post: most voted first then
            log.exception("ranking for subscription %s failed", row.id)
            return list(featured)

    async def shown_for_chat(
        self, featured: Sequence[FeaturedPaper], row: Subscription
    ) -> list[FeaturedPaper]:
        """The papers a chat is shown, in its order: personal order first, then its top N."""
        return shown_papers(await self.ordered_for_chat(featured, row), row)

    def _render(
        self,
        publisher: Publisher,
        row: Subscription,
        day: date,
        cards: Sequence[Card],
        renders: dict[tuple[Any, ...], list[Any]],
        plan: Due | None = None,
    ) -> list[Any]:
        """Rendered once per (platform, period, language, style, selection), shared by chats.

        ``cards`` are the chat's selection already (``shown_papers``)."""
        chosen = list(cards)
        style: Style = "cards" if row.style == "cards" else "compact"
        ids = tuple((c.arxiv_id, c.because) for c in chosen)
        note = not chosen and row.empty_note
        intro = "today_intro_personal" if row.rank == "personal" else "today_intro"
        periodic = plan is not None and plan.period != "daily"
        window = (plan.period, plan.start, plan.end) if plan is not None and periodic else None
        key = (publisher.platform, day, window, row.language, style, ids, note, intro)
        if key not in renders:
            if chosen and plan is not None and periodic:
                dates = {"start": plan.start.isoformat(), "end": plan.end.isoformat()}
                reply = Reply(
                    title=t(f"{plan.period}_title", row.language, **dates),
                    text=t("period_intro", row.language, count=len(chosen), **dates),
                    cards=tuple(chosen),
                    style=style,
                    language=row.language,
                )
                renders[key] = publisher.render(reply)
            elif chosen:
                reply = Reply(
                    title=t("today_title", row.language, day=day.isoformat()),
                    text=t(intro, row.language, count=len(chosen), day=day.isoformat()),
                    cards=tuple(chosen),
                    style=style,
                    day=day,
                    language=row.language,
                )
                renders[key] = publisher.render(reply)
            elif note and not periodic:
                note_text = t("empty_note", row.language, day=day.isoformat())
                renders[key] = publisher.render(Reply(text=note_text, day=day))
            else:
                renders[key] = []
        return renders[key]

    @staticmethod
    async def _tell_deactivated(publisher: Publisher, target: Target) -> None:
        """Let the platform tell someone, once, if it can (an optional publisher hook)."""
        hook = getattr(publisher, "on_deactivated", None)
        if hook is None:
            return
        try:
            await hook(target)
        except Exception:
            log.exception("could not tell anyone that %s was deactivated", target)

    async def _deliver(
        self,
        row: Subscription,
        day: date,
        now: datetime,
        cards: Sequence[Card],
        renders: dict[tuple[Any, ...], list[Any]],
        report: TickReport,
        plan: Due | None = None,
    ) -> None:
        sub_id = row.id
        publisher = self.publishers[row.platform]
        claim = await self.ledger.claim(sub_id, day, now)
        if claim is None:
            report.skipped.append(sub_id)
            return
        delivery_id = claim.id
        messages = self._render(publisher, row, day, cards, renders, plan)
        target = row.target
        sent = claim.messages_sent
        redirects = 0
        try:
            while sent < len(messages):
                if redirects > 3:
                    raise DeliveryError("the chat keeps moving; giving up for now")
                try:
                    message_id = await publisher.send(target, messages[sent])
                except ChatMoved as moved:
                    redirects += 1
                    row = await self.subscriptions.move(sub_id, moved.new_chat_id)
                    target = row.target
                    log.info("subscription %s moved to chat %s", sub_id, row.chat_id)
                    continue
                except ThreadGone:
                    redirects += 1
                    row = await self.subscriptions.save(
                        sub_id, thread_id=None, last_error="topic not found; using the main chat"
                    )
                    target = Target(row.platform, row.chat_id, None)
                    note = publisher.render(Reply(text=t("thread_gone_note", row.language)))
                    for message in note:
                        await publisher.send(target, message)
                    continue
                sent += 1
                await self.ledger.progress(delivery_id, sent, len(messages), message_id, self.now())
        except ChatUnreachable as exc:
            await self._failed(delivery_id, sub_id, target, day, str(exc), len(messages), report)
            if await self.subscriptions.record_failure(sub_id, str(exc), day):
                report.deactivated.append(sub_id)
                self.metrics.deactivated.labels(row.platform).inc()
                log.warning("subscription %s deactivated: %s", sub_id, exc)
                await self._tell_deactivated(publisher, target)
                await self._alert_deactivated(target, str(exc))
            return
        except DeliveryError as exc:
            await self._failed(delivery_id, sub_id, target, day, str(exc), len(messages), report)
            return
        except Exception as exc:  # one chat never holds up the others
            log.exception("delivery to subscription %s failed", sub_id)
            error = f"{type(exc).__name__}: {exc}"
            await self._failed(delivery_id, sub_id, target, day, error, len(messages), report)
            return
        await self.ledger.progress(delivery_id, sent, len(messages), None, self.now())
        await self.ledger.finish(delivery_id, "done")
        await self.subscriptions.record_success(sub_id)
        report.delivered.append(sub_id)
        self.metrics.deliveries.labels(day.isoformat(), "done").inc()

    async def _failed(
        self,
        delivery_id: int,
        sub_id: int,
        target: Target,
        day: date,
        error: str,
        total: int,
        report: TickReport,
    ) -> None:
        """The ledger row fails (retried at a later tick); one WARNING line says why."""
        await self.ledger.finish(delivery_id, "failed", error, total=total)
        report.failed.append(sub_id)
        self.metrics.deliveries.labels(day.isoformat(), "failed").inc()
        where = f"{target.platform} chat {target.chat_id}"
        where += f" thread {target.thread_id}" if target.thread_id else ""
        log.warning("morning post %s to subscription %s (%s) failed: %s", day, sub_id, where, error)

    async def _alert_deactivated(self, target: Target, reason: str) -> None:
        if self.alerts is None:
            return
        chat = target.chat_id + (f" (thread {target.thread_id})" if target.thread_id else "")
        text = self.alerts.text(
            "alert_deactivated", platform=target.platform, chat=chat, reason=reason
        )
        await self.alerts.alert("deactivated", text)
