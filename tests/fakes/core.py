"""Build the real core around in-process fakes (the errbot-style "test backend")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from bot.app import App, build_app
from bot.commands import ChatContext
from bot.config import Settings
from bot.db import Database
from bot.llm import LlmClient
from bot.ports import Publisher
from tests.fakes.memory import FakeClock, MemorySource, paper

FRIDAY = date(2025, 1, 10)
THURSDAY = date(2025, 1, 9)
MONDAY = date(2025, 1, 13)


def sample_days() -> dict[date, list[Any]]:
    """Thu 9th, Fri 10th, an empty weekend, Mon 13th."""
    return {
        THURSDAY: [
            paper("2501.04001", "Diffusion Models for Everything", 12, THURSDAY),
            paper("2501.04002", "A Survey of Surveys", 3, THURSDAY),
        ],
        FRIDAY: [
            paper(
                "2501.05366",
                "Search-o1: Agentic Search-Enhanced Large Reasoning Models",
                39,
                FRIDAY,
                keywords=("RAG", "reasoning"),
            ),
            paper(
                "2501.05441",
                "The GAN is dead; long live the GAN! A Modern GAN Baseline",
                24,
                FRIDAY,
            ),
            paper(
                "2501.05453",
                "An Empirical Study of Autoregressive Pre-training from Videos",
                16,
                FRIDAY,
                abstract="Video diffusion and <b>tokens</b> & more. Second.",
            ),
        ],
        MONDAY: [paper("2501.06001", "Monday Paper on Diffusion", 7, MONDAY)],
    }


def make_core(
    db: Database,
    *,
    source: MemorySource | None = None,
    now: datetime | None = None,
    llm: LlmClient | None = None,
    publishers: Sequence[Publisher] = (),
    **settings: Any,
) -> tuple[App, MemorySource, FakeClock]:
    """The real core (``build_app``) on ``db``, an in-memory source and a settable clock.

    Full text is off unless asked for (``fulltext=True`` with ``arxiv_base_url`` on the fake
    arXiv): an injected ``llm`` would otherwise send the summariser to arxiv.org.
    """
    settings.setdefault("fulltext", False)
    source = source or MemorySource(sample_days())
    clock = FakeClock(now or datetime(2025, 1, 11, 9, 0, tzinfo=UTC))
    config = Settings(_env_file=None, database_url=str(db.engine.url), **settings)  # type: ignore[call-arg]
    app = build_app(config, now=clock, source=source, llm=llm, publishers=publishers, db=db)
    return app, source, clock


def private(chat: str = "100", user: str = "100") -> ChatContext:
    return ChatContext(platform="test", chat_id=chat, user_id=user, chat_type="private")


def group(chat: str = "-200", user: str = "7", *, admin: bool) -> ChatContext:
    async def check() -> bool:
        return admin

    return ChatContext(
        platform="test", chat_id=chat, user_id=user, chat_type="group", check_admin=check
    )
