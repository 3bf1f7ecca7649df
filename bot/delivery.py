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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.archive import Archive
from bot.cards import because_line, build_card
from bot.domain import Card, FeaturedPaper, Reply, Style, Subscription, Target
from bot.errors import SourceUnavailable
from bot.i18n import t
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
from bot.subscriptions import local_post_moment
from bot.summaries import SummaryService

log = logging.getLogger(__name__)


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
        ranking: PersonalRanking | None = None,
    ) -> None:
        self.archive = archive
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
            return report
        report.day = day
        due = [row for row in candidates if not await self.ledger.done(row.id, day)]
        report.due = len(due)
        if not due:
            return report
        cards_by_language = await self._cards(featured, {row.language for row in due})
        renders: dict[tuple[Any, ...], list[Any]] = {}
        gate = asyncio.Semaphore(self.concurrency)

        async def deliver(row: Subscription) -> None:
            async with gate:  # the platforms' rate limiters pace what this lets through
                cards = cards_by_language[row.language]
                await self._deliver(row, day, now, featured, cards, renders, report)

        await asyncio.gather(*(deliver(row) for row in due))
        report.renders = len(renders)
        return report

    async def _prepare_summaries(self, now: datetime) -> None:
        """Between posts, make today's digest's summaries for every language in use."""
        if not self.summaries.enabled:
            return
        deliverable = await self.subscriptions.deliverable(set(self.publishers))
        languages = {row.language for row in deliverable}
        if not languages:
            return
        try:
            day = await self.archive.todays_digest_date(now)
            papers = [fp.paper for fp in await self.archive.day(day, now)]
        except SourceUnavailable:
            return
        for language in sorted(languages):
            made = await self.summaries.prepare(papers, language)
            if made:
                log.info("prepared %d %s summaries for %s", made, language, day)

    async def _cards(
        self, featured: Sequence[FeaturedPaper], languages: set[str]
    ) -> dict[str, list[Card]]:
        """Summaries are made once per (day, language) before anyone is sent anything."""
        papers = [fp.paper for fp in featured]
        result = {}
        for language in sorted(languages):
            summaries = await self.summaries.summarize(papers, language)
            result[language] = [
                build_card(fp, summaries.get(fp.paper.arxiv_id), language) for fp in featured
            ]
        return result

    async def cards_for_chat(
        self, featured: Sequence[FeaturedPaper], cards: Sequence[Card], row: Subscription
    ) -> list[Card]:
        """The day's cards in this chat's order (``rank personal``), with their "because" line."""
        try:
            ordered = await self.ranking.order_for_chat(featured, row)
        except Exception:  # a chat's ranking never holds up its post: most voted first then
            log.exception("ranking for subscription %s failed", row.id)
            return list(cards)
        by_id = {card.arxiv_id: card for card in cards}
        result = []
        for fp in ordered:
            card = by_id.get(fp.paper.arxiv_id.strip())
            if card is not None:
                result.append(replace(card, because=because_line(fp.because, row.language)))
        return result

    def _render(
        self,
        publisher: Publisher,
        row: Subscription,
        day: date,
        cards: Sequence[Card],
        renders: dict[tuple[Any, ...], list[Any]],
    ) -> list[Any]:
        """Rendered once per (platform, day, language, style, selection), shared by chats."""
        chosen = select_cards(cards, row)
        style: Style = "cards" if row.style == "cards" else "compact"
        ids = tuple((c.arxiv_id, c.because) for c in chosen)
        note = not chosen and row.empty_note
        intro = "today_intro_personal" if row.rank == "personal" else "today_intro"
        key = (publisher.platform, day, row.language, style, ids, note, intro)
        if key not in renders:
            if chosen:
                reply = Reply(
                    title=t("today_title", row.language, day=day.isoformat()),
                    text=t(intro, row.language, count=len(chosen), day=day.isoformat()),
                    cards=tuple(chosen),
                    style=style,
                    day=day,
                )
                renders[key] = publisher.render(reply)
            elif note:
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
        featured: Sequence[FeaturedPaper],
        cards: Sequence[Card],
        renders: dict[tuple[Any, ...], list[Any]],
        report: TickReport,
    ) -> None:
        sub_id = row.id
        publisher = self.publishers[row.platform]
        claim = await self.ledger.claim(sub_id, day, now)
        if claim is None:
            report.skipped.append(sub_id)
            return
        delivery_id = claim.id
        if row.rank == "personal":
            cards = await self.cards_for_chat(featured, cards, row)
        messages = self._render(publisher, row, day, cards, renders)
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
            await self.ledger.finish(delivery_id, "failed", str(exc), total=len(messages))
            report.failed.append(sub_id)
            if await self.subscriptions.record_failure(sub_id, str(exc)):
                report.deactivated.append(sub_id)
                log.warning("subscription %s deactivated: %s", sub_id, exc)
                await self._tell_deactivated(publisher, target)
            return
        except DeliveryError as exc:
            await self.ledger.finish(delivery_id, "failed", str(exc), total=len(messages))
            report.failed.append(sub_id)
            log.warning("delivery to subscription %s failed: %s", sub_id, exc)
            return
        except Exception as exc:  # one chat never holds up the others
            log.exception("delivery to subscription %s failed", sub_id)
            error = f"{type(exc).__name__}: {exc}"
            await self.ledger.finish(delivery_id, "failed", error, total=len(messages))
            report.failed.append(sub_id)
            return
        await self.ledger.progress(delivery_id, sent, len(messages), None, self.now())
        await self.ledger.finish(delivery_id, "done")
        await self.subscriptions.record_success(sub_id)
        report.delivered.append(sub_id)
