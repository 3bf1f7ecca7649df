"""Operator alerts: one per kind per hour, to the operators in BOT_ADMIN_IDS, on their platform.

End to end through the real libraries: PTB against the fake Bot API (the operator's private chat)
and discord.py against the fake Discord (a DM channel opened through the REST API).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.discord.client import DiscordAdapter
from bot.alerts import Alerts, Operator, parse_operators
from bot.app import build_app
from bot.config import Settings
from bot.domain import Target
from bot.metrics import Metrics
from tests.fakes.discord import FakeDiscord
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.memory import FakeClock
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_harness import Clock, make_settings, running_bot

OPERATOR = 1001
READER_A, READER_B, READER_C = 2001, 2002, 2003
GROUP = -100200


def at(hour: int, minute: int) -> datetime:
    return datetime(2025, 1, 11, hour, minute, tzinfo=UTC)  # Saturday: Friday's digest


def test_operator_ids_name_their_platform() -> None:
    ids = ["12345", "telegram:678", "discord:42", "123456789012345678", " "]
    assert parse_operators(ids) == [
        Operator("telegram", "12345"),
        Operator("telegram", "678"),
        Operator("discord", "42"),
        Operator("discord", "123456789012345678"),  # a bare snowflake is a Discord id
    ]


class Recorder:
    platform = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def notify_operator(self, user_id: str, text: str) -> None:
        self.sent.append((user_id, text))


async def test_secrets_never_reach_an_alert() -> None:
    """The database password (in DATABASE_URL) and the bot token are masked in what the
    operator receives; a long reason is shortened after masking."""
    password, token = "Pg-S3cret-Pass-77", "123456:SECRET-bot-token-88"
    database_url = f"postgresql+psycopg://bot:{password}@db.internal:5432/papers"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        telegram_bot_token=token,
        bot_admin_ids="5",
    )
    alerts = Alerts(settings, FakeClock(at(9, 0)), Metrics())
    recorder = Recorder()
    alerts.register(recorder)
    reason = (
        f"connection to {database_url} failed (password {password} rejected); "
        f"POST https://api.telegram.org/bot{token}/sendMessage: 401 Unauthorized\n" + "x" * 1000
    )
    text = alerts.text("alert_source_down", reason=reason)
    assert await alerts.alert("source_down", text) == 1
    assert await alerts.alert("exception", f"raw {database_url} {token}") == 1
    (_, sent), (_, raw) = recorder.sent
    for message in (sent, raw):
        assert password not in message and token not in message
    assert "postgresql+psycopg://bot:***@db.internal:5432/papers" in sent
    assert "(password *** rejected)" in sent and "/bot***/sendMessage: 401" in sent
    assert len(sent) < 500 and "xxx…" in sent  # the reason is cut at 300 characters


async def test_one_alert_per_kind_per_hour_and_the_held_back_are_counted() -> None:
    clock = FakeClock(at(9, 0))
    settings = Settings(_env_file=None, bot_admin_ids="5,discord:9")  # type: ignore[call-arg]
    metrics = Metrics()
    alerts = Alerts(settings, clock, metrics)
    recorder = Recorder()
    alerts.register(recorder)  # no Discord notifier: discord:9 is skipped, not an error
    assert await alerts.alert("deactivated", "chat 1") == 1
    clock.advance(minutes=59)
    assert await alerts.alert("deactivated", "chat 2") == 0
    assert await alerts.alert("deactivated", "chat 3") == 0
    assert await alerts.alert("exception", "boom") == 1  # another kind has its own hour
    clock.advance(minutes=2)
    assert await alerts.alert("deactivated", "chat 4") == 1
    texts = [text for _, text in recorder.sent]
    assert texts[0] == "⚠️ dailypapers alert: chat 1"
    assert texts[1] == "⚠️ dailypapers alert: boom"
    assert texts[2] == (
        "⚠️ dailypapers alert: chat 4\n(2 more of this kind in the last hour were not sent.)"
    )
    assert {user for user, _ in recorder.sent} == {"5"}
    assert metrics.alerts.labels("deactivated", "suppressed")._value.get() == 2


@pytest.fixture
async def hf() -> AsyncIterator[FakeHuggingFace]:
    async with FakeHuggingFace() as server:
        yield server


async def test_telegram_operator_gets_one_alert_for_two_deactivations_in_an_hour(
    sqlite_url: str, hf: FakeHuggingFace
) -> None:
    tg = FakeTelegram()
    tg.add_private_chat(OPERATOR, "Operator")
    for reader in (READER_A, READER_B, READER_C):
        tg.add_private_chat(reader, "Reader")
        tg.block(reader)
    await tg.start()
    settings = make_settings(
        sqlite_url, hf.base_url, tg, bot_admin_ids=str(OPERATOR), deactivate_after_failed_days=1
    )
    clock = Clock(at(9, 0))
    try:
        async with running_bot(settings, clock) as (app, adapter):
            app.alerts.register(adapter.publisher)

            async def deactivate(reader: int, hour: int, minute: int) -> None:
                target = Target("telegram", str(reader))
                await app.subscriptions.subscribe(target, None)
                await app.subscriptions.set(target, "time", "09:00")
                clock.now = at(hour, minute)  # one failed digest day deactivates (setting: 1)
                await app.delivery.tick(clock.now)
                row = await app.subscriptions.get(target)
                assert row is not None and not row.active

            await deactivate(READER_A, 9, 0)
            await deactivate(READER_B, 9, 20)  # the same hour: held back
            alerts = tg.sent_to(OPERATOR)
            assert len(alerts) == 1
            assert alerts[0].text == (
                f"⚠️ dailypapers alert: stopped posting to telegram chat {READER_A} after "
                "repeated failures (Forbidden: bot was blocked by the user). "
                "`dailypapers channels list` shows it; a chat admin can /subscribe again."
            )
            await deactivate(READER_C, 10, 5)  # an hour later: the next alert, with the count
            alerts = tg.sent_to(OPERATOR)
            assert len(alerts) == 2
            assert f"telegram chat {READER_C}" in (alerts[1].text or "")
            assert "(1 more of this kind in the last hour were not sent.)" in (alerts[1].text or "")
            deactivated = app.metrics.deactivated.labels("telegram")._value.get()
            assert deactivated == 3
    finally:
        await tg.stop()


async def test_operator_is_alerted_when_telegram_says_the_bot_was_removed(
    sqlite_url: str, hf: FakeHuggingFace
) -> None:
    tg = FakeTelegram()
    tg.add_private_chat(OPERATOR, "Operator")
    tg.add_group(GROUP, "Readers", admins=(OPERATOR,))
    await tg.start()
    settings = make_settings(sqlite_url, hf.base_url, tg, bot_admin_ids=str(OPERATOR))
    try:
        async with running_bot(settings, Clock(at(8, 0))) as (app, adapter):
            app.alerts.register(adapter.publisher)
            await app.subscriptions.subscribe(Target("telegram", str(GROUP)), None)
            tg.bot_member_changed(GROUP, "kicked", OPERATOR)  # my_chat_member, no failed send
            for _ in range(200):
                if tg.sent_to(OPERATOR):
                    break
                await asyncio.sleep(0.05)
            (alert,) = tg.sent_to(OPERATOR)
            assert (alert.text or "").startswith(
                f"⚠️ dailypapers alert: stopped posting to telegram chat {GROUP} after "
            )
            assert "removed from the group" in (alert.text or "")
            assert app.metrics.deactivated.labels("telegram")._value.get() == 1
    finally:
        await tg.stop()


async def test_discord_operator_gets_one_dm_for_two_deactivations_in_an_hour(
    sqlite_url: str, hf: FakeHuggingFace
) -> None:
    fake = FakeDiscord()
    await fake.start()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=sqlite_url,
        hf_api_base_url=hf.base_url,
        hf_max_retries=0,
        discord_bot_token=fake.token,
        discord_api_base_url=fake.api_base_url,
        discord_gateway_url=fake.gateway_url,
        bot_admin_ids=f"discord:{fake.admin_id}",
        deactivate_after_failed_days=1,
    )
    clock = FakeClock(at(9, 0))
    app = build_app(settings, now=clock)
    adapter = DiscordAdapter(app, ready_timeout=5, guild_ready_timeout=0.05)
    try:
        await adapter.start()
        app.delivery.register(adapter.publisher)
        app.alerts.register(adapter.publisher)

        async def deactivate(start: datetime) -> int:
            channel = fake.add_channel(fake.guild_id, f"news-{start.minute}")
            target = Target("discord", str(channel))
            await app.subscriptions.subscribe(target, None)
            await fake.delete_channel(channel, notify=False)
            clock.set(start)  # one failed digest day deactivates (setting: 1)
            await app.delivery.tick(clock())
            row = await app.subscriptions.get(target)
            assert row is not None and not row.active
            return channel

        first = await deactivate(at(9, 0))
        await deactivate(at(9, 30))
        dm = fake.dm_channels[fake.admin_id]
        messages = fake.sent(dm)
        assert len(messages) == 1
        content = messages[0]["content"]
        assert content.startswith(f"⚠️ dailypapers alert: stopped posting to discord chat {first}")
        assert "404 10003 Unknown Channel" in content
        assert ("POST", "/users/@me/channels") in fake.requests
    finally:
        await adapter.stop()
        await app.aclose()
        await fake.stop()
