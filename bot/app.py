"""The composition root: one place that wires settings, database, source and services."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from bot.alerts import Alerts
from bot.archive import Archive
from bot.arxiv import USER_AGENT, ArxivTextSource
from bot.commands import Commands
from bot.config import Settings
from bot.db import Database
from bot.delivery import Delivery
from bot.fulltext import FullTextExtracts
from bot.group_commit import GroupCommit
from bot.huggingface import HuggingFaceSource
from bot.ledger import Ledger
from bot.llm import LlmClient
from bot.logs import configure_logging
from bot.metrics import Metrics
from bot.pacing import MemorySlots, SlotClock, make_slots
from bot.ports import DeliveryLedger, PaperSource, Publisher, SubscriptionStore
from bot.queue import DeliveryQueue
from bot.ranking import PersonalRanking, Ranker
from bot.ratings import Ratings
from bot.reachability import Reachability
from bot.redact import register as register_secrets
from bot.runtime import Runtime
from bot.subscriptions import Subscriptions
from bot.summaries import SummaryService


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    """Everything an adapter or the CLI needs, built once."""

    settings: Settings
    db: Database
    archive: Archive
    summaries: SummaryService
    commands: Commands
    subscriptions: SubscriptionStore
    ledger: DeliveryLedger
    delivery: Delivery
    reachability: Reachability
    now: Callable[[], datetime]
    metrics: Metrics
    alerts: Alerts
    runtime: Runtime
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    extracts: FullTextExtracts | None = None
    pace: SlotClock = field(default_factory=MemorySlots)  # send slots (shared on PostgreSQL)

    async def aclose(self) -> None:
        await self.archive.aclose()
        await self.alerts.drain()
        await self.summaries.aclose()
        if self.extracts is not None:
            await self.extracts.aclose()
        for client in self.clients:
            await client.aclose()
        self.db.dispose()


__all__ = ["App", "build_app", "configure_logging", "utc_now"]


def build_app(
    settings: Settings,
    *,
    now: Callable[[], datetime] | None = None,
    source: PaperSource | None = None,
    llm: LlmClient | None = None,
    publishers: Sequence[Publisher] = (),
    db: Database | None = None,
    migrate: bool = True,
) -> App:
    """Build the core: the one composition root, used by the CLI, the runner and the tests.

    Every argument after ``settings`` replaces a piece of the outside world: ``now`` (the
    clock), ``source`` (instead of Hugging Face), ``llm`` (instead of the configured model),
    ``publishers`` (registered for the morning post), ``db`` (an open database, instead of
    ``DATABASE_URL``; ``migrate`` says whether to upgrade the one opened here).
    """
    clock = now or utc_now
    register_secrets(settings.secret_values())
    db = db or Database.from_url(settings.database_url, migrate=migrate)
    metrics = Metrics()
    alerts = Alerts(settings, clock, metrics)
    clients: list[httpx.AsyncClient] = []
    if source is None:
        hf_http = httpx.AsyncClient(
            timeout=settings.hf_timeout_seconds,
            headers={"User-Agent": "dailypapers-bot (+https://github.com/)"},
            follow_redirects=True,
        )
        clients.append(hf_http)
        source = HuggingFaceSource(
            hf_http,
            settings.hf_api_base_url,
            token=settings.hf_token,
            page_size=settings.hf_page_size,
            max_retries=settings.hf_max_retries,
            timeout=settings.hf_timeout_seconds,
            metrics=metrics,
        )
    archive = Archive(
        db,
        source,
        refresh=timedelta(minutes=settings.hf_refresh_minutes),
        interactive_fetches=settings.hf_interactive_requests_per_5_minutes,
    )
    if llm is None and settings.llm_enabled:
        llm_http = httpx.AsyncClient(timeout=settings.llm_timeout_seconds)
        clients.append(llm_http)
        llm = LlmClient(
            llm_http,
            settings.llm_base_url,
            settings.llm_api_key,
            settings.llm_model or "",
            timeout=settings.llm_timeout_seconds,
            metrics=metrics,
        )
    extracts = None
    budget_seconds = 90.0
    if llm is not None and settings.fulltext:  # the configured model or an injected one
        arxiv_http = httpx.AsyncClient(
            timeout=settings.arxiv_timeout_seconds,
            headers={"User-Agent": USER_AGENT},
        )
        clients.append(arxiv_http)
        arxiv = ArxivTextSource(
            arxiv_http,
            settings.arxiv_base_url,
            delay=settings.arxiv_delay_seconds,
            timeout=settings.arxiv_timeout_seconds,
            max_bytes=int(settings.arxiv_max_mb * 1_000_000),
            max_attempts=settings.arxiv_max_retries,
        )
        extracts = FullTextExtracts(db, arxiv, input_tokens=settings.llm_input_tokens, now=clock)
        # first fetches are paced: a day's papers take about two requests each (HTML redirect)
        budget_seconds += 2 * settings.arxiv_delay_seconds * settings.default_top_n
    summaries = SummaryService(
        db,
        llm,
        concurrency=settings.llm_concurrency,
        model=settings.llm_model or (llm.model if llm else None),
        now=clock,
        extracts=extracts,
        budget_seconds=budget_seconds,
    )
    subscriptions = Subscriptions(db, settings)
    ranker = Ranker(
        settings.rank_backend,
        embeddings_model=settings.rank_embeddings_model,
        cache_size=settings.rank_cache_size,
    )
    ranking = PersonalRanking(Ratings(db), ranker)
    writes = GroupCommit(db)  # the fan-out's small writes share transactions
    ledger = Ledger(db, writes)
    commands = Commands(
        settings,
        archive,
        summaries,
        subscriptions,
        clock,
        metrics=metrics,
        alerts=alerts,
        ranking=ranking,
    )
    delivery = Delivery(
        archive,
        summaries,
        subscriptions,
        ledger,
        clock,
        queue=DeliveryQueue(db, writes),
        catchup=timedelta(hours=settings.catchup_hours),
        concurrency=settings.delivery_concurrency,
        metrics=metrics,
        alerts=alerts,
        ranking=ranking,
    )
    hf = source if isinstance(source, HuggingFaceSource) else None
    runtime = Runtime(
        db,
        delivery,
        metrics,
        alerts,
        clock,
        last_hf_fetch=lambda: hf.last_success if hf is not None else None,
        tick_seconds=settings.tick_seconds,
    )
    for publisher in publishers:
        delivery.register(publisher)
    return App(
        settings=settings,
        db=db,
        archive=archive,
        summaries=summaries,
        commands=commands,
        subscriptions=subscriptions,
        ledger=ledger,
        delivery=delivery,
        reachability=Reachability(subscriptions, alerts, metrics),
        now=clock,
        metrics=metrics,
        alerts=alerts,
        runtime=runtime,
        clients=clients,
        extracts=extracts,
        pace=make_slots(settings.pace_backend, db),
    )
