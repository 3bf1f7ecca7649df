"""``dailypapers run``: every configured platform and the clock, in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from typing import Protocol

from bot.app import App
from bot.clock import Ticker
from bot.errors import PlatformUnavailable

log = logging.getLogger(__name__)


class Adapter(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


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
    """Start adapters, register their publishers, tick every minute, until ``stop`` or a signal."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # not possible outside the main thread, or on Windows
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    started: list[Adapter] = []
    # off the loop, while the adapters connect (a one-shot CLI command never pays it)
    warming = asyncio.create_task(asyncio.to_thread(app.commands.ranking.ranker.warm_up))
    ticker = Ticker(app.delivery.tick, seconds=app.settings.tick_seconds)
    try:
        for platform in make_adapters(app):
            await start(platform)
            adapter = platform.adapter
            started.append(adapter)
            publisher = getattr(adapter, "publisher", None)
            if publisher is not None:
                app.delivery.register(publisher)
        ticker.start()
        log.info("bot running: %s", ", ".join(sorted(app.delivery.publishers)) or "no platform")
        await stop.wait()
    finally:
        ticker.shutdown()
        if not warming.done():
            warming.cancel()
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", type(adapter).__name__)
