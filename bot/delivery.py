"""The morning post: which subscriptions are due, and the fan-out.

"Who is due" and "who got what" live in the database: each subscription's ``next_post_at``
(the queue, ``bot/queue.py``) says when it is next taken up, and the unique (subscription,
period) ledger row (``bot/ledger.py``) records what was sent, message by message, so a restart
neither re-posts nor skips. A failure is judged by whose it is: the chat's own (blocked, gone)
ends its day; the platform's (network, 5xx, 429) holds the delivery, counts against nobody and
retries within a minute or two for as long as the catch-up window lasts; anything else is
retried with a growing pause, and given up (WARNING and an operator alert) after a few tries.
This module sees only plain ``Subscription``/``DeliveryRecord`` objects, through ports.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.alerts import Alerts
from bot.archive import Archive, latest_settled_day
from bot.cards import build_card
from bot.db import is_outage
from bot.domain import (
    Card,
    DeliveryRecord,
    FeaturedPaper,
    PaperInfo,
    Reply,
    Style,
    Subscription,
    Target,
)
from bot.errors import SourceUnavailable
from bot.i18n import t
from bot.metrics import Metrics
from bot.ports import (
    ChatMerged,
    ChatMoved,
    ChatUnreachable,
    DeliveryError,
    DeliveryLedger,
    DeliveryQueue,
    PlatformDown,
    Publisher,
    SendUnknown,
    Settlement,
    SubscriptionStore,
    ThreadGone,
)
from bot.ranking import PersonalRanking
from bot.ratings import Ratings
from bot.schedule import Due, due_period, first_moment, pending_moment
from bot.subscriptions import local_post_moment
from bot.summaries import SummaryService

log = logging.getLogger(__name__)

MAX_PERIOD_PAPERS = 50  # a weekly or monthly digest picks its top N among these
PAGE = 200  # subscriptions claimed at a time
POSTPONE = timedelta(minutes=1)  # Hugging Face unreachable at post time: look again then
PLATFORM_RETRY = timedelta(seconds=10)  # a platform failing as a whole: first pause...
PLATFORM_RETRY_CAP = timedelta(seconds=60)  # ...doubling up to this (back within 2 min)
ERROR_RETRY = timedelta(seconds=30)  # the chat's own odd failure: first pause, doubling...
ERROR_RETRY_CAP = timedelta(minutes=10)
MAX_ERRORS = 5  # ...and given up after this many in one period
CLAIM_TIMEOUT = timedelta(minutes=5)  # a claim by a holder no heartbeat vouches for
PREPARE_EVERY = timedelta(minutes=10)  # summaries made ahead of the post, at most this often
PREPARE_FOR = 1000  # ...for the chats due soonest


@dataclass
class TickReport:
    """What one tick did, for logs and tests."""

    day: date | None = None
    due: int = 0
    delivered: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    deactivated: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # the platform failed: retried shortly
    missed: list[int] = field(default_factory=list)  # the catch-up window ended first
    renders: int = 0
    postponed: str | None = None  # why the post waits (Hugging Face unreachable)
    seconds: float = 0.0

    def log_line(self) -> str:
        """The delivery log's one line per tick that did something."""
        line = (
            f"morning post {self.day}: {self.due} chats, {len(self.delivered)} done, "
            f"{len(self.failed)} failed, {len(self.deactivated)} deactivated, {self.seconds:.0f} s"
        )
        line += f", {len(self.held)} held (platform failing)" if self.held else ""
        return line + (f" ({len(self.skipped)} done elsewhere)" if self.skipped else "")


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


@dataclass
class Job:
    """One claimed subscription's digest, ready to send."""

    row: Subscription
    plan: Due
    due_at: datetime
    cards: list[Card]
    record: DeliveryRecord | None = None  # its ledger entry, begun with the page


class SendCancelled(Exception):
    """A send was cancelled under a worker (the process is going down): end the tick so."""


class Stopping(Exception):
    """The process is shutting down: the delivery stops after the message in flight."""


class Delivery:
    """Fans the digest out to every due subscription through the platforms' publishers.

    Who is due comes from the queue (``DeliveryQueue``): ``claim`` takes a page of due rows for
    this instance, ``prepare`` turns them into ``Job``s (the digest each chat is shown), ``run``
    sends one. ``tick`` does all three until nothing is due (tests, the CLI); the runner's
    ``Engine`` (bot/engine.py) runs them as a queue with workers instead.
    """

    def __init__(
        self,
        archive: Archive,
        summaries: SummaryService,
        subscriptions: SubscriptionStore,
        ledger: DeliveryLedger,
        now: Callable[[], datetime],
        *,
        queue: DeliveryQueue,
        catchup: timedelta = timedelta(hours=12),
        concurrency: int = 8,
        metrics: Metrics | None = None,
        alerts: Alerts | None = None,
        ranking: PersonalRanking | None = None,
        holder: str | None = None,
    ) -> None:
        self.archive = archive
        self.metrics = metrics or Metrics()
        self.alerts = alerts
        self.ranking = ranking or PersonalRanking(Ratings(archive.db))
        self.summaries = summaries
        self.subscriptions = subscriptions
        self.ledger = ledger
        self.queue = queue
        self.now = now
        self.catchup = catchup
        self.concurrency = max(concurrency, 1)
        self.publishers: dict[str, Publisher] = {}
        # who claims: "instance:boot" (the runner sets it from bot/instances.py)
        self.holder = holder or f"local-{secrets.token_hex(6)}:0"
        self.held: set[int] = set()  # claimed here and not settled yet
        self.stopping = False
        self._pending_alerts: list[Awaitable[Any]] = []
        self._prepared_at: datetime | None = None
        self._missed: list[Subscription] = []
        self._fresh: set[int] = set()  # scheduled in this page (not caught up)
        self._skipped_while_down = 0
        self._started: datetime | None = None  # the first claim: windows ending later are ours
        # a platform that failed as a whole: (no claims for it before, consecutive failures)
        self.backoff: dict[str, tuple[datetime, int]] = {}

    def register(self, publisher: Publisher) -> None:
        self.publishers[publisher.platform] = publisher

    # --- claiming ---------------------------------------------------------------------------

    def sending_platforms(self, now: datetime) -> set[str]:
        """The registered platforms not backing off after a platform-wide failure."""
        return {
            name
            for name in self.publishers
            if name not in self.backoff or self.backoff[name][0] <= now
        }

    async def claim(self, now: datetime, limit: int = PAGE) -> list[Subscription]:
        if self._started is None:
            self._started = now
        rows = await self.queue.claim(self.holder, self.sending_platforms(now), now, limit)
        self.held.update(row.id for row in rows)
        return rows

    async def settle(self, settlements: Sequence[Settlement]) -> None:
        await self.queue.settle(settlements, self.holder)
        self.held.difference_update(item.sub_id for item in settlements)

    async def release_all(self) -> None:
        """Give back every claim this instance holds (shutdown): another takes them at once."""
        await self.queue.release(self.holder, set())
        self.held.clear()

    def _next(self, row: Subscription, due: datetime, now: datetime) -> Settlement:
        """Done with the moment ``due``: the row comes back at its next post moment (or is
        parked, if its stored schedule cannot be used: a settings change brings it back)."""
        try:
            following = pending_moment(row.post_time, row.timezone, now, self.catchup, after=due)
        except (ValueError, KeyError, ZoneInfoNotFoundError) as exc:
            log.warning("subscription %s parked: its schedule cannot be used (%s)", row.id, exc)
            return Settlement(row.id, row.next_post_at, None, None)
        return Settlement(row.id, row.next_post_at, following, following)

    def _moment(self, row: Subscription, now: datetime) -> datetime | Settlement:
        """The post moment to deliver for now, or how the row goes back to the queue."""
        if not row.receiving or row.paused:
            return Settlement(row.id, row.next_post_at, None, None)  # posts nothing
        try:
            if row.due_at is None:  # new, or its schedule changed: work out its moment
                due = first_moment(row.post_time, row.timezone, now, self.catchup)
                self._fresh.add(row.id)  # if due at once, it gets the digest of now
            else:
                due = row.due_at
                if now > due + self.catchup:  # not running, or failing, all window long
                    self._miss(row, due)
                    due = pending_moment(row.post_time, row.timezone, now, self.catchup, after=due)
        except (ValueError, KeyError, ZoneInfoNotFoundError) as exc:
            log.warning(
                "subscription %s skipped: its schedule cannot be used (timezone %r, time %r: "
                "%s); fix it with `dailypapers channels set %s timezone ...`",
                row.id,
                row.timezone,
                row.post_time,
                exc,
                row.id,
            )  # once: parked until its settings change
            return Settlement(row.id, row.next_post_at, None, None)
        if due > now:
            return Settlement(row.id, row.next_post_at, due, due)
        return due

    def gave_up(self, row: Subscription, due: datetime, why: str) -> None:
        """A post moment is over for a chat without its digest: one WARNING, one alert."""
        log.warning(
            "morning post of %s to subscription %s (%s chat %s) given up: %s",
            due.isoformat(timespec="minutes"),
            row.id,
            row.platform,
            row.chat_id,
            why,
        )
        self.metrics.deliveries.labels("gave_up").inc()
        if self.alerts is not None:
            text = self.alerts.text(
                "alert_gave_up", platform=row.platform, chat=row.chat_id, reason=why
            )
            self._pending_alerts.append(self.alerts.alert("gave_up", text))

    def _digest_moment(self, row: Subscription, due: datetime, now: datetime) -> datetime:
        """Whose digest a chat gets: its post moment's, when it was caught up (the day it
        would have had); the current one for a chat scheduled just now (a new subscriber whose
        time passed earlier today gets today's digest at once, not an older one)."""
        return now if row.id in self._fresh else due

    def _miss(self, row: Subscription, due: datetime) -> None:
        """A post moment's window ended before it went out. If this process was running when
        it ended, the delivery was failing: that is reported. If not, the bot was down (the
        operator knows) and the day may have had nothing new: one INFO line."""
        if self._started is not None and due + self.catchup >= self._started:
            self._missed.append(row)
        else:
            self._skipped_while_down += 1

    def _report_missed(self, report: TickReport) -> None:
        """Chats whose catch-up window ended before their post went out: one WARNING and one
        alert for the lot (a bot that was down over a weekend misses every chat at once)."""
        missed, self._missed = self._missed, []
        if self._skipped_while_down:
            log.info(
                "%d post moments passed while the bot was not running; each chat gets its next",
                self._skipped_while_down,
            )
            self._skipped_while_down = 0
        if not missed:
            return
        report.missed += [row.id for row in missed]
        self.metrics.deliveries.labels("gave_up").inc(len(missed))
        shown = ", ".join(f"{row.platform} chat {row.chat_id}" for row in missed[:5])
        more = f" and {len(missed) - 5} more" if len(missed) > 5 else ""
        why = "the catch-up window ended before it went out (the bot was down or failing)"
        log.warning("%d morning posts given up (%s%s): %s", len(missed), shown, more, why)
        if self.alerts is not None:
            text = self.alerts.text(
                "alert_gave_up_many", count=len(missed), chats=shown + more, reason=why
            )
            self._pending_alerts.append(self.alerts.alert("gave_up", text))

    # --- preparing --------------------------------------------------------------------------

    async def prepare(
        self, rows: Sequence[Subscription], now: datetime, report: TickReport
    ) -> list[Job]:
        """The claimed rows' digests; what is not due (or done) goes back to the queue."""
        back: list[Settlement] = []
        ready: list[tuple[Subscription, datetime]] = []
        self._fresh.clear()
        for row in rows:
            moment = self._moment(row, now)
            if isinstance(moment, Settlement):
                back.append(moment)
            else:
                ready.append((row, moment))
        jobs: list[Job] = []
        try:
            self._report_missed(report)
            if ready:
                jobs = await self._plan(ready, now, report, back)
        except BaseException:
            # (the database went away, say): these rows are no longer held here, so the
            # engine's next look at its own claims gives them back
            self.held.difference_update(row.id for row, _ in ready)
            raise
        finally:
            try:
                await self.settle(back)
            except BaseException:
                self.held.difference_update(row.id for row in rows)  # all go back, as above
                raise
            await self._flush_alerts()
        return jobs

    async def _plan(
        self,
        ready: list[tuple[Subscription, datetime]],
        now: datetime,
        report: TickReport,
        back: list[Settlement],
    ) -> list[Job]:
        # each chat gets the digest of its own post moment (a 23:50 post caught up at 00:05
        # is the day it would have been): one lookup per settled day the page's moments see
        digest_of: dict[date, date] = {}
        windows: dict[tuple[date, date], list[FeaturedPaper]] = {}
        try:
            for row, due in ready:
                settled = latest_settled_day(self._digest_moment(row, due, now))
                if settled not in digest_of:
                    day = await self.archive.todays_digest_date(self._digest_moment(row, due, now))
                    digest_of[settled] = day
                    windows[(day, day)] = await self.archive.day(day, now)
        except SourceUnavailable as exc:
            log.warning("morning post postponed, source unavailable: %s", exc)
            report.postponed = str(exc)
            back += [
                Settlement(row.id, row.next_post_at, now + POSTPONE, due) for row, due in ready
            ]
            if self.alerts is not None:
                text = self.alerts.text("alert_source_down", reason=exc)
                await self.alerts.alert("source_down", text)
            return []
        report.day = max(digest_of.values())
        planned: list[tuple[Subscription, Due, datetime]] = []
        for row, due in ready:
            local = due.astimezone(ZoneInfo(row.timezone))
            day = digest_of[latest_settled_day(self._digest_moment(row, due, now))]
            plan = due_period(row.digest_period, row.weekday, local, day)
            if plan is None:  # a weekly or monthly digest posts nothing today
                back.append(self._next(row, due, now))
            else:
                planned.append((row, plan, due))
        # the page's ledger entries, created or resumed in one transaction
        records = await self.ledger.begin_many(
            [(row.id, plan.key) for row, plan, _ in planned], now
        )
        plans = []
        for row, plan, due in planned:
            if (row.id, plan.key) not in records:  # done already
                back.append(self._next(row, due, now))
            else:
                plans.append((row, plan, due))
        report.due += len(plans)
        if not plans:
            return []
        shown: dict[int, list[FeaturedPaper]] = {}
        selections: dict[tuple[Any, ...], list[FeaturedPaper]] = {}
        for row, plan, _ in plans:
            window = (plan.start, plan.end)
            if window not in windows:  # a week's or a month's most voted papers
                windows[window] = await self.archive.top(
                    MAX_PERIOD_PAPERS, plan.days, now, end=plan.end
                )
            if row.rank == "personal":  # its own order: no two chats share it
                shown[row.id] = await self.shown_for_chat(windows[window], row)
                continue
            # chats with the same filters see the same papers: chosen once per page
            same = (window, row.top_n, row.min_votes, row.include_keywords, row.exclude_keywords)
            if same not in selections:
                selections[same] = await self.shown_for_chat(windows[window], row)
            shown[row.id] = selections[same]
        needed: dict[str, dict[str, PaperInfo]] = {}
        for row, _, _ in plans:
            if shows_summaries(row):
                for fp in shown[row.id]:
                    needed.setdefault(row.language, {}).setdefault(fp.paper.arxiv_id, fp.paper)
        summaries = {
            language: await self.summaries.summarize(list(papers.values()), language)
            for language, papers in sorted(needed.items())
        }
        jobs = []
        built: dict[tuple[Any, ...], Card] = {}  # one card per (paper, language, summary)

        def card(fp: FeaturedPaper, row: Subscription) -> Card:
            made = summaries.get(row.language, {}) if shows_summaries(row) else {}
            key = (fp.day, fp.paper.arxiv_id, fp.because, row.language, shows_summaries(row))
            if key not in built:
                built[key] = build_card(fp, made.get(fp.paper.arxiv_id), row.language)
            return built[key]

        for row, plan, due in plans:
            cards = [card(fp, row) for fp in shown[row.id]]
            jobs.append(Job(row, plan, due, cards, records[(row.id, plan.key)]))
        return jobs

    # --- the drain: everything due, now -----------------------------------------------------

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Deliver everything due at ``now``, page by page, and return when done.

        Safe to call as often as you like: claims, the ledger and ``next_post_at`` keep a
        chat from being sent a day twice. The runner uses ``Engine`` instead, which never waits
        for a fan-out to end.
        """
        now = now or self.now()
        report = TickReport()
        began = time.monotonic()
        renders: dict[tuple[Any, ...], list[Any]] = {}
        await self.queue.release(self.holder, set())  # a tick that failed may have left some
        self.held.clear()
        # claims of a process that died, known to no registry: free after CLAIM_TIMEOUT (the
        # runner's engine frees a dead instance's claims by its heartbeat, within a minute)
        await self.queue.reclaim(self.holder, set(), set(), now - CLAIM_TIMEOUT)

        # the next page is claimed and prepared while this one is sent (no page boundaries)
        pending: asyncio.Queue[Job | None] = asyncio.Queue(maxsize=PAGE)

        async def produce() -> None:
            while True:
                rows = await self.claim(now, PAGE)
                if not rows:
                    break
                for job in await self.prepare(rows, now, report):
                    await pending.put(job)
                if report.postponed or len(rows) < PAGE:
                    break
            for _ in range(self.concurrency):
                await pending.put(None)

        async def work() -> None:  # the platforms' rate limiters pace what this lets through
            while (job := await pending.get()) is not None:
                try:
                    await self.run(job, now, report, renders)
                except asyncio.CancelledError as exc:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise  # the tick itself is being cancelled
                    raise SendCancelled() from exc  # a send was: the tick ends as cancelled

        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(produce())
                for _ in range(self.concurrency):
                    group.create_task(work())
        except* Exception as failed:  # the first failure as itself (the database is down...)
            first = failed.exceptions[0]
            if isinstance(first, SendCancelled):
                raise asyncio.CancelledError() from None
            raise first from None
        if report.due == 0 and not report.postponed:
            await self.prepare_summaries(now)
        report.renders = len(renders)
        report.seconds = time.monotonic() - began
        if report.due:
            log.info("%s", report.log_line())
        return report

    async def prepare_summaries(self, now: datetime) -> None:
        """Between posts, make the summaries today's digest will show, for each chat that shows
        them (its top N after filters, in its language), so a post rarely waits for an LLM."""
        if not self.summaries.enabled:
            return
        if self._prepared_at is not None and abs(now - self._prepared_at) < PREPARE_EVERY:
            return
        self._prepared_at = now
        rows = [  # the chats due soonest: bounded, however many subscribe
            row
            for row in await self.subscriptions.deliverable(set(self.publishers), limit=PREPARE_FOR)
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
            await asyncio.sleep(0)  # a thousand chats' selections: let the loop breathe
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

    async def run(
        self,
        job: Job,
        now: datetime,
        report: TickReport,
        renders: dict[tuple[Any, ...], list[Any]],
    ) -> None:
        """Send one claimed chat its digest and settle it, whatever happens."""
        try:
            settlement = await self._send(job, now, report, renders)
        except Stopping:
            settlement = Settlement(
                job.row.id, job.row.next_post_at, job.row.next_post_at, job.due_at
            )
        except Exception as exc:  # before any send (rendering, a bug): never retried for ever
            if is_outage(exc):
                raise
            log.exception("delivery to subscription %s failed before sending", job.row.id)
            settlement = self._odd_failure(job, f"{type(exc).__name__}: {exc}", now)
        except BaseException:
            # the database is down (or the task was cancelled): the claim is released when
            # the engine next looks at its own claims, and the ledger keeps the progress
            raise
        await self.settle([settlement])
        await self._flush_alerts()

    async def _send(
        self,
        job: Job,
        now: datetime,
        report: TickReport,
        renders: dict[tuple[Any, ...], list[Any]],
    ) -> Settlement:
        row, plan, day = job.row, job.plan, job.plan.key
        sub_id = row.id
        publisher = self.publishers[row.platform]
        if row.platform not in self.sending_platforms(now):  # it failed after this was queued
            report.held.append(sub_id)
            retry = self.backoff[row.platform][0]
            return Settlement(sub_id, row.next_post_at, retry, job.due_at)
        claim = job.record or await self.ledger.begin(sub_id, day, now)
        if claim is None:  # done meanwhile (a merge brought the day here)
            report.skipped.append(sub_id)
            return self._next(row, job.due_at, now)
        delivery_id = claim.id
        messages = self._render(publisher, row, day, job.cards, renders, plan)
        target = row.target
        sent = recorded = claim.messages_sent
        ids = list(claim.sent_ids)  # the platform's ids of what was sent, in order
        redirects = 0
        try:
            while sent < len(messages):
                if self.stopping:
                    raise Stopping()
                if redirects > 3:
                    raise DeliveryError("the chat keeps moving; giving up for now")
                if sent > recorded:  # the one before is recorded first: a restart resumes
                    await self.ledger.progress(delivery_id, sent, len(messages), ids, now)
                    recorded = sent
                message_id: str | None
                try:
                    message_id = await publisher.send(target, messages[sent])
                except SendUnknown as unknown:
                    # the platform took the request but answered too late. It has usually
                    # posted the message, so it counts as sent and is never resent: a rare
                    # lost message, never a duplicate (docs/architecture.md).
                    log.warning("subscription %s: %s; counted as sent", sub_id, unknown)
                    message_id = None
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
                if message_id is not None:
                    ids.append(message_id)
        except Stopping:  # nobody's failure: it keeps its place, with the progress made
            seen = job.row.next_post_at
            return Settlement(
                sub_id, seen, seen, job.due_at, delivery_id, None, sent, len(messages), tuple(ids)
            )
        except PlatformDown as exc:
            held = self._held_back(job, delivery_id, str(exc), sent, len(messages), now, report)
            return replace(held, sent_ids=tuple(ids))
        except ChatUnreachable as exc:
            self._log_failed(sub_id, target, day, str(exc), report)
            if await self.subscriptions.record_failure(sub_id, str(exc), day):
                report.deactivated.append(sub_id)
                self.metrics.deactivated.labels(row.platform).inc()
                log.warning("subscription %s deactivated: %s", sub_id, exc)
                await self._tell_deactivated(publisher, target)
                await self._alert_deactivated(target, str(exc))
            after = self._next(job.row, job.due_at, now)  # a fact about the chat: the day is over
            return replace(
                after,
                delivery_id=delivery_id,
                status="failed",
                error=str(exc),
                sent=sent,
                total=len(messages),
                sent_ids=tuple(ids),
                count_error=True,
            )
        except ChatMerged as exc:  # the chat's survivor subscription carries the day
            self._log_failed(sub_id, target, day, str(exc), report)
            return Settlement(
                sub_id,
                job.row.next_post_at,
                None,
                None,
                delivery_id,
                "failed",
                sent,
                len(messages),
                tuple(ids),
                str(exc),
            )
        except (DeliveryError, Exception) as exc:  # one chat never holds up the others
            if is_outage(exc):
                raise  # the database is down for everyone: the clock logs it once
            if not isinstance(exc, DeliveryError):
                log.exception("delivery to subscription %s failed", sub_id)
            error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
            self._log_failed(sub_id, target, day, error, report)
            return replace(
                self._retry_or_give_up(job, claim.errors, error, now),
                delivery_id=delivery_id,
                status="failed",
                error=error,
                sent=sent,
                total=len(messages),
                sent_ids=tuple(ids),
                count_error=True,
            )
        self.backoff.pop(row.platform, None)
        report.delivered.append(sub_id)
        self.metrics.deliveries.labels("done").inc()
        return replace(
            self._next(job.row, job.due_at, now),
            delivery_id=delivery_id,
            status="done",
            sent=sent,
            total=len(messages),
            sent_ids=tuple(ids),
            success=True,
        )

    def _retry_or_give_up(
        self, job: Job, errors_before: int, error: str, now: datetime
    ) -> Settlement:
        """A failure neither the chat's nor the platform's: retried after a growing pause, and
        given up (WARNING, alert) after ``MAX_ERRORS`` of them in one period."""
        tries = errors_before + 1
        if tries >= MAX_ERRORS:
            self.gave_up(job.row, job.due_at, f"{tries} failed attempts; last: {error}")
            return self._next(job.row, job.due_at, now)
        retry = now + min(ERROR_RETRY * 2 ** (tries - 1), ERROR_RETRY_CAP)
        return Settlement(job.row.id, job.row.next_post_at, retry, job.due_at)

    def _odd_failure(self, job: Job, error: str, now: datetime) -> Settlement:
        """``_retry_or_give_up`` for a failure before any send, with its ledger entry."""
        record = job.record
        after = self._retry_or_give_up(job, record.errors if record else 0, error, now)
        if record is None:
            return after
        return replace(
            after,
            delivery_id=record.id,
            status="failed",
            error=error,
            sent=record.messages_sent,
            total=record.messages_total,
            sent_ids=record.sent_ids,
            count_error=True,
        )

    def _held_back(
        self,
        job: Job,
        delivery_id: int,
        error: str,
        sent: int,
        total: int,
        now: datetime,
        report: TickReport,
    ) -> Settlement:
        """The platform failed as a whole: the chat keeps its place, nothing counts against
        it, and no chat of that platform is claimed for a while (backing off up to a minute,
        so held deliveries go out within two minutes of the platform's return)."""
        platform = job.row.platform
        _, failures = self.backoff.get(platform, (now, 0))
        pause = min(PLATFORM_RETRY * 2**failures, PLATFORM_RETRY_CAP)
        if platform not in self.backoff or self.backoff[platform][0] <= now:
            self.backoff[platform] = (now + pause, failures + 1)
            log.warning(
                "%s is failing (%s); holding its deliveries for %d s",
                platform,
                error,
                pause.total_seconds(),
            )
        report.held.append(job.row.id)
        self.metrics.deliveries.labels("held").inc()
        return Settlement(
            job.row.id,
            job.row.next_post_at,
            now + pause,
            job.due_at,
            delivery_id,
            "failed",
            sent,
            total,
            error=error,
        )

    def _log_failed(
        self, sub_id: int, target: Target, day: date, error: str, report: TickReport
    ) -> None:
        """One WARNING line per failed chat."""
        report.failed.append(sub_id)
        self.metrics.deliveries.labels("failed").inc()
        where = f"{target.platform} chat {target.chat_id}"
        where += f" thread {target.thread_id}" if target.thread_id else ""
        log.warning("morning post %s to subscription %s (%s) failed: %s", day, sub_id, where, error)

    async def _flush_alerts(self) -> None:
        pending, self._pending_alerts = self._pending_alerts, []
        for alert in pending:
            await alert

    async def _alert_deactivated(self, target: Target, reason: str) -> None:
        if self.alerts is None:
            return
        chat = target.chat_id + (f" (thread {target.thread_id})" if target.thread_id else "")
        text = self.alerts.text(
            "alert_deactivated", platform=target.platform, chat=chat, reason=reason
        )
        await self.alerts.alert("deactivated", text)
