"""The composition root: one place that wires settings, database, source and services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from bot.archive import Archive
from bot.commands import Commands
from bot.config import Settings
from bot.db import Database
from bot.delivery import Delivery
from bot.huggingface import HuggingFaceSource
from bot.llm import LlmClient
from bot.ranking import PersonalRanking, Ranker
from bot.ratings import Ratings
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
    subscriptions: Subscriptions
    delivery: Delivery
    now: Callable[[], datetime]
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    async def aclose(self) -> None:
        await self.summaries.aclose()
        for client in self.clients:
            await client.aclose()
        self.db.dispose()


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "apscheduler.executors.default", "apscheduler.scheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def build_app(
    settings: Settings,
    *,
    now: Callable[[], datetime] | None = None,
    migrate: bool = True,
) -> App:
    """Build the core. ``now`` is injectable so tests can drive the clock."""
    clock = now or utc_now
    db = Database.from_url(settings.database_url, migrate=migrate)
    hf_http = httpx.AsyncClient(
        timeout=settings.hf_timeout_seconds,
        headers={"User-Agent": "dailypapers-bot (+https://github.com/)"},
        follow_redirects=True,
    )
    source = HuggingFaceSource(
        hf_http,
        settings.hf_api_base_url,
        token=settings.hf_token,
        page_size=settings.hf_page_size,
        max_retries=settings.hf_max_retries,
        timeout=settings.hf_timeout_seconds,
    )
    archive = Archive(db, source, refresh=timedelta(minutes=settings.hf_refresh_minutes))
    clients = [hf_http]
    llm = None
    if settings.llm_enabled:
        llm_http = httpx.AsyncClient(timeout=settings.llm_timeout_seconds)
        clients.append(llm_http)
        llm = LlmClient(
            llm_http,
            settings.llm_base_url,
            settings.llm_api_key,
            settings.llm_model or "",
            timeout=settings.llm_timeout_seconds,
        )
    summaries = SummaryService(
        db, llm, concurrency=settings.llm_concurrency, model=settings.llm_model, now=clock
    )
    subscriptions = Subscriptions(db, settings)
    ranker = Ranker(
        settings.rank_backend,
        embeddings_model=settings.rank_embeddings_model,
        cache_size=settings.rank_cache_size,
    )
    ranking = PersonalRanking(Ratings(db), ranker)
    commands = Commands(settings, archive, summaries, subscriptions, clock, ranking=ranking)
    delivery = Delivery(
        db,
        archive,
        summaries,
        subscriptions,
        clock,
        catchup=timedelta(hours=settings.catchup_hours),
        concurrency=settings.delivery_concurrency,
        ranking=ranking,
    )
    return App(
        settings=settings,
        db=db,
        archive=archive,
        summaries=summaries,
        commands=commands,
        subscriptions=subscriptions,
        delivery=delivery,
        now=clock,
        clients=clients,
    )
