"""``dailypapers run``: every configured platform and the clock, in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.app import App
from bot.clock import Ticker
from bot.errors import PlatformUnavailable
from bot.web import OpsServer

log = logging.getLogger(__name__)


class Adapter(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def connected(self) -> bool: ...

    def down_since(self) -> datetime | None: ...

    async def probe(self) -> None: ...


@dataclass(frozen=True)
class Platform:
    """A configured platform: its adapter, and what to check when it cannot start."""

    name: str
    settings_hint: str
    adapter: Adapter


def make_adapters(app: App) -> list[Platform]:
    """One adapter per platform whose token is set (imported only when used)."""
    platforms: list[Platform] = []
    if app.settings.telegram_bot_token:
        from adapters.telegram.bot import TelegramAdapter

        hint = "TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL"
        platforms.append(Platform("Telegram", hint, TelegramAdapter(app)))
    if app.settings.discord_bot_token:
        from adapters.discord.client import DiscordAdapter

        hint = "DISCORD_BOT_TOKEN, DISCORD_API_BASE_URL and DISCORD_GATEWAY_URL"
        platforms.append(Platform("Discord", hint, DiscordAdapter(app)))
    return platforms


async def start(platform: Platform) -> None:
    """Start one adapter; any failure becomes one sentence saying what to check."""
    try:
        await platform.adapter.start()
    except Exception as exc:
        log.debug("%s failed to start", platform.name, exc_info=True)
        reason = str(exc).strip() or type(exc).__name__
        raise PlatformUnavailable(
            f"{platform.name} could not start: {reason}. "
            f"Check {platform.settings_hint}, and the network."
        ) from None


async def run_bot(app: App, stop: asyncio.Event | None = None) -> None:
    """Serve /healthz and /metrics, start adapters, register their publishers (morning post,
    operator alerts), tick every minute, until ``stop`` or a signal (SIGTERM, SIGINT)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # not possible outside the main thread, or on Windows
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    settings = app.settings
    started: list[Adapter] = []
    ticker = Ticker(app.runtime.tick, seconds=settings.tick_seconds)
    server = OpsServer(app.runtime, settings.http_host, settings.http_port)
    app.runtime.started_at = app.now()
    try:
        if settings.http_port:
            await server.start()
        for platform in make_adapters(app):
            await start(platform)
            adapter = platform.adapter
            started.append(adapter)
            publisher = getattr(adapter, "publisher", None)
            if publisher is not None:
                app.delivery.register(publisher)
                app.alerts.register(publisher)
            app.runtime.watch(platform.name.lower(), adapter)
        ticker.start()
        log.info("bot running: %s", ", ".join(sorted(app.delivery.publishers)) or "no platform")
        await stop.wait()
        log.info("stopping")
    finally:
        ticker.shutdown()
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", type(adapter).__name__)
        await server.stop()
