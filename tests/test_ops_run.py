"""Operating a real ``dailypapers run`` process against the fakes: /healthz, /metrics moving
after a morning post, ``dailypapers status``, and SIGTERM stopping it within 10 seconds."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_app
from bot.config import Settings
from bot.domain import Target
from tests.fakes.discord import FakeDiscord
from tests.fakes.hf_data import SEED_DAY, load_day
from tests.fakes.huggingface import FakeHuggingFace, recent_weekdays
from tests.fakes.net import free_port
from tests.fakes.telegram import FakeTelegram
from tests.test_run import BotProcess, cli, digests, just_passed

OPERATOR, GROUP = 1001, -1002


def metric(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeHuggingFace, FakeTelegram, FakeDiscord]]:
    now = datetime.now(UTC)
    if now.hour == 0 and now.minute < 2:  # "a minute ago" must still be today
        await asyncio.sleep(120 - now.minute * 60 - now.second)
    hf = FakeHuggingFace()
    for day in recent_weekdays(datetime.now(UTC).date()):
        hf.set_day(day, load_day(SEED_DAY))
    tg = FakeTelegram()
    tg.add_private_chat(OPERATOR, "Operator")
    tg.add_group(GROUP, admins=(OPERATOR,))
    discord = FakeDiscord()
    await hf.start()
    await tg.start()
    await discord.start()
    yield hf, tg, discord
    await discord.stop()
    await tg.stop()
    await hf.stop()


@pytest.fixture
def env(fakes, tmp_path: Path) -> dict[str, str]:
    import os

    hf, tg, discord = fakes
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HF_", "LLM_", "TELEGRAM_", "DISCORD_", "DATABASE_", "DEFAULT_"))
        and k not in ("HTTP_HOST", "HTTP_PORT", "LOG_FORMAT", "BOT_ADMIN_IDS")
    }
    return {
        **base,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "HF_API_BASE_URL": hf.base_url,
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "DISCORD_BOT_TOKEN": discord.token,
        "DISCORD_API_BASE_URL": discord.api_base_url,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "BOT_ADMIN_IDS": str(OPERATOR),
        "TICK_SECONDS": "1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(free_port()),
        "NO_PROXY": "127.0.0.1,localhost",
    }


async def get(env: dict[str, str], path: str) -> httpx.Response:
    url = f"http://127.0.0.1:{env['HTTP_PORT']}{path}"
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.get(url)


async def wait_healthy(env: dict[str, str], bot: BotProcess, within: float = 60) -> dict[str, Any]:
    """Poll /healthz until it answers 200 with a recorded tick and both platforms connected."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            response = await get(env, "/healthz")
            body = response.json()
            platforms = body.get("platforms", {})
            connected = [p["connected"] for p in platforms.values()]
            ready = len(connected) == 2 and all(connected)
            if response.status_code == 200 and body["last_tick"] and ready:
                return dict(body)
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.3)
    raise AssertionError(f"/healthz never became healthy:\n{bot.log()}")


async def subscribe_group(env: dict[str, str], time_of_day: str) -> None:
    """The group's admin subscribed earlier (written straight to the shared SQLite file)."""
    settings = Settings(_env_file=None, database_url=env["DATABASE_URL"])  # type: ignore[call-arg]
    app = build_app(settings)
    try:
        target = Target("telegram", str(GROUP))
        if await app.subscriptions.get(target) is None:
            await app.subscriptions.subscribe(target, "Readers")
        await app.subscriptions.set(target, "time", time_of_day)
    finally:
        await app.aclose()


async def test_run_serves_healthz_and_metrics_and_counts_the_morning_post(
    fakes, env, tmp_path: Path
) -> None:
    _, tg, _ = fakes
    later = (datetime.now(UTC) + timedelta(hours=13)).strftime("%H:%M")
    await subscribe_group(env, later)  # subscribed, not due yet
    bot = BotProcess(env, tmp_path / "run.log")
    await bot.start()
    try:
        health = await wait_healthy(env, bot)
        assert health["status"] == "ok"
        assert health["database"] == {"reachable": True}
        assert health["platforms"]["telegram"] == {"connected": True, "down_since": None}
        assert health["platforms"]["discord"] == {"connected": True, "down_since": None}
        assert health["leader"] == "single instance"
        assert health["last_tick"]["outcome"] == "ok"
        assert "last_hf_fetch" in health  # None until the first fetch (the post below)
        assert set(health) >= {"last_tick", "last_hf_fetch", "problems", "warnings"}

        before = await get(env, "/metrics")
        assert before.status_code == 200
        assert before.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert "# TYPE dailypapers_deliveries_total counter" in before.text
        active = metric(before.text, "dailypapers_subscriptions_active", platform="telegram")
        assert active == 1
        assert metric(before.text, "dailypapers_ticks_total", outcome="ok") >= 1

        # the group's time comes: one morning post, and the counters move
        await subscribe_group(env, just_passed())
        await tg.wait_for(lambda: len(digests(tg.sent_to(GROUP))) == 1, within=30)
        for _ in range(50):
            after = (await get(env, "/metrics")).text
            day_done = [
                s
                for f in text_string_to_metric_families(after)
                for s in f.samples
                if s.name == "dailypapers_deliveries_total" and s.labels.get("status") == "done"
            ]
            ticked = metric(after, "dailypapers_tick_seconds_count")
            if day_done and ticked >= 2:  # a tick is counted once it has ended
                break
            await asyncio.sleep(0.2)
        assert [s.value for s in day_done] == [1.0], after
        sent = metric(after, "dailypapers_messages_sent_total", platform="telegram")
        assert sent >= 1
        assert metric(after, "dailypapers_hf_requests_total", outcome="ok") >= 1
        assert metric(after, "dailypapers_tick_seconds_count") >= 2
        fetched = (await get(env, "/healthz")).json()["last_hf_fetch"]
        assert fetched is not None and fetched.startswith(str(datetime.now(UTC).year))

        # a command's latency lands in the histogram
        tg.private_message(OPERATOR, "/help")
        await tg.wait_sent(1, chat_id=OPERATOR, within=20)
        for _ in range(50):
            text = (await get(env, "/metrics")).text
            if metric(text, "dailypapers_command_seconds_count", command="help") >= 1:
                break
            await asyncio.sleep(0.2)
        assert metric(text, "dailypapers_command_seconds_count", command="help") == 1
        # the delivery log: one line for the tick that posted
        posted = [
            line for line in bot.log().splitlines() if "INFO bot.delivery: morning post" in line
        ]
        assert len(posted) == 1 and ": 1 chats, 1 done, 0 failed, 0 deactivated, " in posted[0]
    finally:
        assert await bot.stop() == 0, bot.log()

    # the same facts from the database, for a terminal (and a script: --json)
    out = json.loads(await cli(env, "status", "--json"))
    assert out["status"] in ("ok", "degraded")
    assert out["database"] == {"reachable": True}
    assert out["platforms"]["telegram"]["connected"] is True
    assert out["last_tick"]["outcome"] == "ok"
    assert out["deliveries"]["done"] == 1
    assert out["subscriptions_active"] == {"telegram": 1}


async def test_sigterm_stops_the_bot_within_10_seconds(fakes, env, tmp_path: Path) -> None:
    bot = BotProcess(env, tmp_path / "run.log")
    await bot.start()
    await wait_healthy(env, bot)
    assert bot.process is not None
    began = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(bot.process.wait(), timeout=15)
    elapsed = time.monotonic() - began
    assert code == 0, bot.log()
    assert elapsed < 10, f"took {elapsed:.1f} s to stop:\n{bot.log()}"
    await bot.stop()  # closes the log file
    with pytest.raises(httpx.TransportError):
        await get(env, "/healthz")


async def test_on_postgres_healthz_names_the_roles_this_process_leads(
    fakes, env, postgres_url: str, tmp_path: Path
) -> None:
    bot = BotProcess({**env, "DATABASE_URL": postgres_url, "INSTANCE_ID": "alpha"}, tmp_path / "a")
    await bot.start()
    try:
        health = await wait_healthy(env, bot)
        assert health["leader"] == {"discord": "leading", "telegram": "leading"}
        assert health["instance"] == "alpha"
    finally:
        assert await bot.stop() == 0, bot.log()
