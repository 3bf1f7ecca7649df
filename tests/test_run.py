"""``dailypapers run`` as a user runs it: a real process, the real clock, both platforms' fakes.

This is the issues' "Must show" made repeatable: private /today, an admin's /subscribe and
/settings time (a minute that has just passed) → the digest at the next tick, once, not again
after a restart; a member refused; a blocked chat no longer sent to; Discord beside Telegram.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest

from adapters.telegram.render import validate_telegram_html
from tests.fakes.discord import FakeDiscord
from tests.fakes.hf_data import SEED_DAY, load_day
from tests.fakes.huggingface import FakeHuggingFace, recent_weekdays
from tests.fakes.net import free_port
from tests.fakes.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
ALICE, BOB, CAROL = 1001, 2002, 3003  # Alice administers the group; Bob is a member
GROUP = -1002


class BotProcess:
    """One ``dailypapers run`` subprocess; its log goes to a file (read it when a test fails)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log_path = log
        self.process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    async def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=self._log,
        )

    async def stop(self) -> int:
        assert self.process is not None and self._log is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout=30)
        self._log.close()
        return code

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


async def cli(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


def just_passed() -> str:
    """HH:MM of the minute that has just passed (UTC)."""
    return (datetime.now(UTC) - timedelta(minutes=1)).strftime("%H:%M")


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeHuggingFace, FakeTelegram, FakeDiscord]]:
    now = datetime.now(UTC)
    if now.hour == 0 and now.minute < 2:  # "a minute ago" must still be today
        await asyncio.sleep(120 - now.minute * 60 - now.second)
    hf = FakeHuggingFace()
    for day in recent_weekdays(datetime.now(UTC).date()):
        hf.set_day(day, load_day(SEED_DAY))  # so today's digest has papers
    tg = FakeTelegram()
    tg.add_private_chat(ALICE, "Alice")
    tg.add_private_chat(CAROL, "Carol")
    tg.add_group(GROUP, admins=(ALICE,))
    tg.add_user(BOB, "Bob")
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
    hf, tg, discord = fakes
    not_yet = (datetime.now(UTC) + timedelta(hours=13)).strftime("%H:%M")
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("HF_", "LLM_", "TELEGRAM_", "DISCORD_", "DATABASE_", "DEFAULT_", "HTTP_")
        )
    }
    (tmp_path / ".env").write_text("")
    return {
        **base,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "HF_API_BASE_URL": hf.base_url,
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "DISCORD_BOT_TOKEN": discord.token,
        "DISCORD_API_BASE_URL": discord.api_base_url,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "DEFAULT_POST_TIME": not_yet,  # a new subscription is not due until its time is set
        "TICK_SECONDS": "1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(free_port()),  # /healthz and /metrics: never the shared 8080
        "NO_PROXY": "127.0.0.1,localhost",
    }


def digests(messages: list) -> list:
    return [m for m in messages if "Daily Papers (" in m.body]


async def test_dailypapers_run_end_to_end(fakes, env, tmp_path: Path) -> None:
    _, tg, discord = fakes
    bot = BotProcess(env, tmp_path / "run.log")
    await bot.start()
    try:
        await tg.wait_for(lambda: bool(tg.commands), within=30)  # setMyCommands: it is up

        # a private chat's /today: valid HTML listing the day's papers with arXiv links
        tg.private_message(ALICE, "/today")
        (today,) = await tg.wait_sent(1, chat_id=ALICE, within=20)
        validate_telegram_html(today.text or "")
        assert today.body.count("https://arxiv.org/abs/") >= 10

        # a member's /settings is refused; the admin subscribes and sets a time just passed
        tg.group_message(GROUP, BOB, "/settings time 07:00")
        (refused,) = await tg.wait_sent(1, chat_id=GROUP, within=20)
        assert "only this chat's admins" in refused.body
        tg.group_message(GROUP, ALICE, "/subscribe@dailypapers_test_bot")
        await tg.wait_sent(2, chat_id=GROUP, within=20)
        tg.group_message(GROUP, ALICE, f"/settings time {just_passed()}")
        await tg.wait_for(lambda: len(digests(tg.sent_to(GROUP))) == 1, within=20)
        assert "arxiv.org/abs/2501.05366" in digests(tg.sent_to(GROUP))[0].body

        # Discord in the same process: /today with embeds, a permitted /subscribe → the post
        interaction = await discord.inject_command("today", user_id=discord.admin_id)
        await discord.wait_replied(interaction, within=20)
        embeds = [e for m in discord.replies(interaction) for e in m.get("embeds", [])]
        assert len(embeds) >= 10 and len(embeds) <= 10 * len(discord.replies(interaction))
        channel = discord.text_channel_id
        before = len(discord.sent(channel))
        await discord.inject_command("subscribe", user_id=discord.admin_id)
        await discord.inject_command(
            "settings", {"key": "time", "value": just_passed()}, user_id=discord.admin_id
        )
        for _ in range(200):
            posts = [m for m in discord.sent(channel)[before:] if "Daily Papers" in m["content"]]
            if posts:
                break
            await asyncio.sleep(0.1)
        assert posts, bot.log()

        await asyncio.sleep(3)  # three more ticks: nothing is posted twice
        assert len(digests(tg.sent_to(GROUP))) == 1
        discord_posts = [m for m in discord.sent(channel) if "Daily Papers" in m["content"]]
    finally:
        assert await bot.stop() == 0, bot.log()

    # a blocked chat: subscribed by an operator, then it stops being sent to (a failure on
    # one digest day is enough with DEACTIVATE_AFTER_FAILED_DAYS=1; the default is three days)
    env = {**env, "DEACTIVATE_AFTER_FAILED_DAYS": "1"}
    tg.block(CAROL)
    await cli(env, "channels", "add", "telegram", str(CAROL))
    rows = await cli(env, "channels", "list")
    carol = next(line for line in rows.splitlines() if f" {CAROL} " in line)
    await cli(env, "channels", "set", carol.split()[0].lstrip("#"), "time", just_passed())

    restarted = BotProcess(env, tmp_path / "run.log")
    await restarted.start()
    try:
        await tg.wait_for(lambda: [c[0] for c in tg.calls].count("getme") >= 2, within=30)
        for _ in range(100):
            if "inactive" in await cli(env, "channels", "list"):
                break
            await asyncio.sleep(0.5)
        attempts = [
            c for c in tg.calls if c[0] == "sendmessage" and str(c[1].get("chat_id")) == str(CAROL)
        ]
        assert len(attempts) == 1
        await asyncio.sleep(3)
        again = [
            c for c in tg.calls if c[0] == "sendmessage" and str(c[1].get("chat_id")) == str(CAROL)
        ]
        assert len(again) == len(attempts)  # deactivated: no more attempts
        # after the restart: still one digest in the group and in the Discord channel
        assert len(digests(tg.sent_to(GROUP))) == 1
        assert [m for m in discord.sent(channel) if "Daily Papers" in m["content"]] == (
            discord_posts
        )
    finally:
        assert await restarted.stop() == 0, restarted.log()
