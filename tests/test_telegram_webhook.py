"""Start-up modes: webhook with its secret token, and a refused token."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from bot import redact
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_harness import Clock, make_settings, running_bot

USER = 1001


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode_checks_the_secret_token(sqlite_url) -> None:
    port = free_port()
    async with FakeHuggingFace() as hf, FakeTelegram() as tg:
        tg.add_private_chat(USER, "Alice")
        settings = make_settings(
            sqlite_url,
            hf.base_url,
            tg,
            telegram_webhook_url="https://bot.example.org/tg/hook",
            telegram_webhook_secret="s3cret-token",
            telegram_webhook_listen="127.0.0.1",
            telegram_webhook_port=port,
        )
        async with running_bot(settings, Clock()):
            assert tg.webhook is not None
            assert tg.webhook["url"] == "https://bot.example.org/tg/hook"
            assert tg.webhook["secret_token"] == "s3cret-token"
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 1736500000,
                    "chat": {"id": USER, "type": "private", "first_name": "Alice"},
                    "from": {"id": USER, "is_bot": False, "first_name": "Alice"},
                    "text": "/help",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                },
            }
            url = f"http://127.0.0.1:{port}/tg/hook"
            async with httpx.AsyncClient() as client:
                refused = await client.post(url, json=update)
                wrong = await client.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
                )
                accepted = await client.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
                )
            assert refused.status_code == 403 and wrong.status_code == 403
            assert accepted.status_code == 200
            (answer,) = await tg.wait_sent(1, chat_id=USER)
            assert "/today" in answer.plain
            assert "getupdates" not in [name for name, _ in tg.calls]


async def test_webhook_without_a_secret_generates_one_and_refuses_forged_updates(
    sqlite_url, caplog: pytest.LogCaptureFixture
) -> None:
    """No TELEGRAM_WEBHOOK_SECRET: a random one is set with setWebhook; forged POSTs get 403."""
    port = free_port()
    group = -1002
    async with FakeHuggingFace() as hf, FakeTelegram() as tg:
        tg.add_private_chat(USER, "Alice")
        tg.add_group(group, admins=(USER,))
        settings = make_settings(
            sqlite_url,
            hf.base_url,
            tg,
            telegram_webhook_url="https://bot.example.org/tg/hook",
            telegram_webhook_listen="127.0.0.1",
            telegram_webhook_port=port,
        )
        assert settings.telegram_webhook_secret is None
        with caplog.at_level("DEBUG"):
            redact.install()  # as configure_logging does at start-up: on every root handler
            async with running_bot(settings, Clock()) as (app, _):
                assert tg.webhook is not None
                secret = tg.webhook.get("secret_token")
                assert isinstance(secret, str) and len(secret) >= 32
                forged = {
                    "update_id": 7,
                    "message": {
                        "message_id": 1,
                        "date": 1736500000,
                        "chat": {"id": group, "type": "supergroup", "title": "G"},
                        "from": {"id": USER, "is_bot": False, "first_name": "Alice"},
                        "text": "/subscribe",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
                    },
                }
                url = f"http://127.0.0.1:{port}/tg/hook"
                async with httpx.AsyncClient() as client:
                    bare = await client.post(url, json=forged)
                    guessed = await client.post(
                        url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
                    )
                assert bare.status_code == 403 and guessed.status_code == 403
                await asyncio.sleep(0.3)
                assert tg.sent_to(group) == []
                assert await app.subscriptions.list_all() == []  # nothing was subscribed
        messages = [record.getMessage() for record in caplog.records]
        assert any("secret_token" in message for message in messages)  # PTB logged it, masked
        assert any("generated a random one" in message for message in messages)
        assert not any(secret in message for message in messages)


async def test_a_wrong_token_fails_start_with_a_clear_message(sqlite_url) -> None:
    async with FakeHuggingFace() as hf, FakeTelegram(token="654321:THE-REAL-ONE") as tg:
        settings = make_settings(sqlite_url, hf.base_url, tg, telegram_bot_token="1:WRONG")
        with pytest.raises(RuntimeError, match="Telegram refused TELEGRAM_BOT_TOKEN"):
            async with running_bot(settings, Clock()):
                pass
        assert [name for name, _ in tg.calls] == []  # 401 answers are not recorded as calls
