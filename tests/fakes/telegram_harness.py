"""The real core + the Telegram adapter against the fake Bot API and the fake Hugging Face."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from adapters.telegram.bot import TelegramAdapter
from bot.app import App, build_app
from bot.config import Settings
from tests.fakes.telegram import FakeTelegram

# Saturday 2025-01-11 09:00 UTC: today's digest is Friday 2025-01-10 (the seed's ten papers)
SATURDAY_MORNING = datetime(2025, 1, 11, 9, 0, tzinfo=UTC)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = SATURDAY_MORNING) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_settings(database_url: str, hf_url: str, tg: FakeTelegram, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "hf_api_base_url": hf_url,
        "telegram_bot_token": tg.token,
        "telegram_api_base_url": tg.base_url,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(
    settings: Settings, clock: Clock
) -> AsyncIterator[tuple[App, TelegramAdapter]]:
    """Build the App, start the adapter (polling the fake), register its publisher."""
    app = build_app(settings, now=clock)
    adapter = TelegramAdapter(app, poll_timeout=1)
    try:
        await adapter.start()
        app.delivery.register(adapter.publisher)
        yield app, adapter
    finally:
        await adapter.stop()
        await app.aclose()
