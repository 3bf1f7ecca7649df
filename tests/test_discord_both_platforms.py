"""Telegram and Discord in one process (``run_bot``), sharing one App, one database, one tick."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.app import build_app
from bot.config import Settings
from bot.domain import Target
from bot.runner import run_bot
from tests.fakes.discord import FakeDiscord
from tests.fakes.hf_data import SEED_IDS
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.memory import FakeClock
from tests.fakes.net import free_port
from tests.fakes.telegram import FakeTelegram

USER = 1001


async def test_one_tick_delivers_to_both_platforms(sqlite_url: str) -> None:
    async with FakeHuggingFace() as hf:
        tg = FakeTelegram()
        tg.add_private_chat(USER, "Alice")
        await tg.start()
        discord = FakeDiscord()
        await discord.start()
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=sqlite_url,
            hf_api_base_url=hf.base_url,
            telegram_bot_token=tg.token,
            telegram_api_base_url=tg.base_url,
            discord_bot_token=discord.token,
            discord_api_base_url=discord.api_base_url,
            discord_gateway_url=discord.gateway_url,
            http_host="127.0.0.1",
            http_port=free_port(),  # run_bot serves /healthz: never the shared 8080
        )
        clock = FakeClock(datetime(2025, 1, 11, 8, 0, tzinfo=UTC))  # nothing due yet
        app = build_app(settings, now=clock)
        stop = asyncio.Event()
        task = asyncio.create_task(run_bot(app, stop))
        try:
            async with asyncio.timeout(15):
                while set(app.delivery.publishers) != {"telegram", "discord"}:
                    assert not task.done(), task
                    await asyncio.sleep(0.05)
            channel = discord.text_channel_id
            await app.subscriptions.subscribe(Target("telegram", str(USER)))
            await app.subscriptions.subscribe(Target("discord", str(channel)))

            report = await app.delivery.tick(datetime(2025, 1, 11, 9, 0, tzinfo=UTC))

            assert len(report.delivered) == 2 and report.renders == 2  # one render per platform
            assert SEED_IDS[0] in "".join(m.body for m in tg.sent_to(USER))
            urls = [e.get("url") for m in discord.sent(channel) for e in m["embeds"]]
            assert f"https://arxiv.org/abs/{SEED_IDS[0]}" in urls
        finally:
            stop.set()
            await asyncio.wait_for(task, 20)
            await app.aclose()
            await discord.stop()
            await tg.stop()
