"""``dailypapers run``: every configured platform and the clock, in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Protocol

from bot.app import App
from bot.clock import Ticker

log = logging.getLogger(__name__)


class Adapter(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def make_adapters(app: App) -> list[Adapter]:
    """One adapter per platform whose token is set (imported only when used)."""
    adapters: list[Adapter] = []
    if app.settings.telegram_bot_token:
        from adapters.telegram.bot import TelegramAdapter

        adapters.append(TelegramAdapter(app))
    if app.settings.discord_bot_token:
        from adapters.discord.client import DiscordAdapter

        adapters.append(DiscordAdapter(app))
    return adapters


async def run_bot(app: App, stop: asyncio.Event | None = None) -> None:
    """Start adapters, register their publishers, tick every minute, until ``stop`` or a signal."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # not possible outside the main thread, or on Windows
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    started: list[Adapter] = []
    ticker = Ticker(app.delivery.tick, seconds=app.settings.tick_seconds)
    try:
        for adapter in make_adapters(app):
            await adapter.start()
            started.append(adapter)
            publisher = getattr(adapter, "publisher", None)
            if publisher is not None:
                app.delivery.register(publisher)
        ticker.start()
        log.info("bot running: %s", ", ".join(sorted(app.delivery.publishers)) or "no platform")
        await stop.wait()
    finally:
        ticker.shutdown()
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", type(adapter).__name__)
