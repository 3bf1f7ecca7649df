"""``dailypapers run``: every platform, the clock and /healthz + /metrics, in one process.

Several processes may run on one PostgreSQL database. Each connects every platform for
sending, registers itself (identity and heartbeat, ``bot/instances.py``) and delivers; the
connections that must be unique per bot token — Telegram long polling, the Discord gateway —
are held by whichever process holds that platform's lease, and a standby takes over when the
holder stops renewing it. With one process the lease is simply always ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.app import App
from bot.clock import Ticker
from bot.db import is_sqlite
from bot.engine import Engine
from bot.errors import PlatformUnavailable
from bot.instances import Instances, Leadership, Leases
from bot.single_process import one_process_per_sqlite_file
from bot.web import OpsServer

log = logging.getLogger(__name__)


class Adapter(Protocol):
    @property
    def needs_leader(self) -> bool: ...

    async def connect(self) -> None: ...

    async def start_receiving(self) -> None: ...

    async def stop_receiving(self) -> None: ...

    async def stop(self) -> None: ...

    # connectivity, for /healthz and the platform-down alert (bot/runtime.py)
    def connected(self) -> bool: ...

    def down_since(self) -> datetime | None: ...

    async def probe(self) -> None: ...


@dataclass(frozen=True)
class Platform:
    """A configured platform: its adapter, what to check when it cannot start, its token."""

    name: str
    settings_hint: str
    adapter: Adapter
    token: str

    @property
    def lease_name(self) -> str:
        """One lease per bot token (two bots may share a database)."""
        digest = hashlib.sha256(self.token.encode()).hexdigest()[:16]
        return f"{self.name.lower()}:{digest}"


def make_adapters(app: App) -> list[Platform]:
    """One adapter per platform whose token is set (imported only when used)."""
    platforms: list[Platform] = []
    settings = app.settings
    if settings.telegram_bot_token:
        from adapters.telegram.bot import TelegramAdapter

        hint = "TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL"
        adapter = TelegramAdapter(app)
        platforms.append(Platform("Telegram", hint, adapter, settings.telegram_bot_token))
    if settings.discord_bot_token:
        from adapters.discord.client import DiscordAdapter

        hint = "DISCORD_BOT_TOKEN, DISCORD_API_BASE_URL and DISCORD_GATEWAY_URL"
        platforms.append(Platform("Discord", hint, DiscordAdapter(app), settings.discord_bot_token))
    return platforms


def unavailable(platform: Platform, exc: BaseException) -> PlatformUnavailable:
    """Any start-up failure as one sentence saying what to check."""
    log.debug("%s failed to start", platform.name, exc_info=exc)
    reason = str(exc).strip() or type(exc).__name__
    return PlatformUnavailable(
        f"{platform.name} could not start: {reason}. "
        f"Check {platform.settings_hint}, and the network."
    )


async def connect(platform: Platform) -> None:
    try:
        await platform.adapter.connect()
    except Exception as exc:
        raise unavailable(platform, exc) from None


class Heartbeat:
    """Every HEARTBEAT_SECONDS: renew this instance's heartbeat and its leases."""

    def __init__(self, instances: Instances, roles: list[Leadership], seconds: float) -> None:
        self.instances = instances
        self.roles = roles
        self.seconds = seconds
        self._task: asyncio.Task[None] | None = None

    async def step(self) -> None:
        try:
            if not await self.instances.beat():
                log.error("another process took over INSTANCE_ID=%s", self.instances.id)
        except Exception as exc:
            log.warning("heartbeat failed (%s); retrying", type(exc).__name__)
        for role in self.roles:
            try:
                await role.step()
            except Exception:
                log.exception("taking up %s failed; retrying", role.name)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            await self.step()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def run_bot(app: App, stop: asyncio.Event | None = None) -> None:
    """Serve /healthz and /metrics, connect adapters (publishers for the morning post and the
    operator alerts), take up the roles this instance can get, tick, until SIGTERM/SIGINT."""
    with one_process_per_sqlite_file(app.settings.database_url):
        await _run(app, stop or asyncio.Event())


async def _run(app: App, stop: asyncio.Event) -> None:
    settings = app.settings
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # not possible outside the main thread, or on Windows
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    ttl = timedelta(seconds=settings.lease_seconds)
    instances = Instances(app.db, settings.instance_name, app.now, stale=ttl)
    leases = Leases(app.db, app.now)
    await instances.register()
    connected: list[Adapter] = []
    roles: list[Leadership] = []
    ticker = Ticker(app.runtime.tick, seconds=settings.tick_seconds)
    app.delivery.holder = instances.holder
    engine = Engine(
        app.delivery,
        app.now,
        workers=settings.delivery_concurrency,
        holders=instances.holders,
        stale=ttl,
    )
    app.runtime.deliver = engine.tick
    engine_started = False
    # off the loop, while the adapters connect (a one-shot CLI command never pays it)
    warming = asyncio.create_task(asyncio.to_thread(app.commands.ranking.ranker.warm_up))
    heartbeat = Heartbeat(instances, roles, settings.heartbeat_seconds)
    server = OpsServer(app.runtime, settings.http_host, settings.http_port)
    app.runtime.started_at = app.now()
    app.runtime.instance = instances.id
    role_of: dict[str, Leadership] = {}
    if not is_sqlite(app.db.engine):  # SQLite allows one process per file: no one to lead
        app.runtime.leadership = lambda: {
            name: "leading" if role.leading else "standby" for name, role in role_of.items()
        }
    try:
        # from registration on: connecting the platforms may outlast LEASE_SECONDS, and a
        # silent instance's claims (and the leases it took first) are taken over by others
        heartbeat.start()
        if settings.http_port:
            await server.start()
        for platform in make_adapters(app):
            await connect(platform)
            adapter = platform.adapter
            connected.append(adapter)
            publisher = getattr(adapter, "publisher", None)
            if publisher is not None:
                app.delivery.register(publisher)
                app.alerts.register(publisher)
            app.runtime.watch(platform.name.lower(), adapter)
            if adapter.needs_leader:
                role = Leadership(
                    leases,
                    platform.lease_name,
                    instances.id,
                    ttl,
                    adapter.start_receiving,
                    adapter.stop_receiving,
                )
                try:
                    await role.step()
                except Exception as exc:
                    raise unavailable(platform, exc) from None
                roles.append(role)
                role_of[platform.name.lower()] = role
                if not role.leading:
                    log.info("%s: another instance receives updates; standing by", platform.name)
            else:
                await adapter.start_receiving()
        await engine.start()
        engine_started = True
        ticker.start()
        log.info(
            "bot running as instance %s: %s",
            instances.id,
            ", ".join(sorted(app.delivery.publishers)) or "no platform",
        )
        await stop.wait()
        log.info("stopping")
    finally:
        ticker.shutdown()
        if not warming.done():
            warming.cancel()
        if engine_started:  # the message in flight goes out, the claims go back
            await engine.stop()
        await heartbeat.stop()
        for role in roles:
            try:
                await role.resign()
            except Exception:
                log.exception("giving up %s failed", role.name)
        for adapter in reversed(connected):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", type(adapter).__name__)
        try:
            await instances.stop()
        except Exception:
            log.warning("could not mark instance %s stopped", instances.id)
        await server.stop()
