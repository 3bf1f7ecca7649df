"""No secret in any output: the real ``dailypapers run`` with recognisable secrets, each path."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from bot import redact
from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
SECRETS = {
    "HF_TOKEN": "hf_SECRETHFTOKEN0001",
    "LLM_API_KEY": "sk-SECRETLLMKEY0002",
    "DISCORD_BOT_TOKEN": "SECRETDISCORD.TOKEN.0003",
    "TELEGRAM_WEBHOOK_SECRET": "SECRET_WEBHOOK_0004",
}
DB_PASSWORD = "SECRETDBPASSWORD0005"
WRONG_TOKEN = "424242:SECRET_TELEGRAM_TOKEN_0006"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HF_", "LLM_", "TELEGRAM_", "DISCORD_", "DATABASE_", "LOG_"))
    }
    return {
        **env,
        **SECRETS,
        "LLM_MODEL": "gpt-test",
        "LOG_LEVEL": "DEBUG",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "NO_PROXY": "127.0.0.1,localhost",
    }


async def run_cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace")


def assert_no_secret(output: str, *extra: str) -> None:
    for secret in [*SECRETS.values(), DB_PASSWORD, WRONG_TOKEN, *extra]:
        assert secret not in output, f"{secret} leaked:\n{output[-3000:]}"
    # nor the token's secret half alone
    assert "SECRET_TELEGRAM_TOKEN_0006" not in output


async def test_telegram_rejecting_the_token_at_debug(tmp_path: Path) -> None:
    async with FakeHuggingFace() as hf, FakeTelegram() as tg:
        env = {
            **base_env(tmp_path),
            "HF_API_BASE_URL": hf.base_url,
            "TELEGRAM_BOT_TOKEN": WRONG_TOKEN,
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "DISCORD_API_BASE_URL": f"http://127.0.0.1:{free_port()}/api/v10",
        }
        code, output = await run_cli(env, tmp_path, "run")
    assert code != 0
    assert "Set Bot API URL" in output  # PTB's DEBUG line was printed, masked
    assert "Telegram could not start" in output and "***" in output
    assert_no_secret(output)


async def test_an_unopenable_database_url_with_a_password(tmp_path: Path) -> None:
    env = {
        **base_env(tmp_path),
        "TELEGRAM_BOT_TOKEN": WRONG_TOKEN,
        "DATABASE_URL": f"postgresql://dailypapers:{DB_PASSWORD}@127.0.0.1:{free_port()}/dp",
    }
    code, output = await run_cli(env, tmp_path, "run")
    assert code == 2
    assert "error: cannot open the database 'postgresql://dailypapers:***@" in output
    assert_no_secret(output)
    code, output = await run_cli(env, tmp_path, "db", "upgrade")
    assert code == 2 and "error: cannot upgrade" in output
    assert_no_secret(output)


async def test_webhook_mode_at_debug_shows_neither_token_nor_secret(tmp_path: Path) -> None:
    async with FakeHuggingFace() as hf, FakeTelegram() as tg:
        env = {
            **base_env(tmp_path),
            "HF_API_BASE_URL": hf.base_url,
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook",
            "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "TELEGRAM_WEBHOOK_PORT": str(free_port()),
        }
        env.pop("DISCORD_BOT_TOKEN")
        log = tmp_path / "run.log"
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env={**env, "PYTHONPATH": str(ROOT)},
                cwd=tmp_path,
                stdout=sink,
                stderr=sink,
            )
            try:
                await tg.wait_for(lambda: tg.webhook is not None, within=60)
                assert tg.webhook is not None
                assert tg.webhook["secret_token"] == SECRETS["TELEGRAM_WEBHOOK_SECRET"]
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), timeout=30)
    output = log.read_text(errors="replace")
    assert "setWebhook" in output or "setwebhook" in output.lower()
    assert_no_secret(output, tg.token)


def test_redact_masks_known_secrets_and_url_passwords() -> None:
    redact.forget_all()
    redact.register(["tok-12345", None, "", "ab"])
    assert redact.redact("url https://api/bottok-12345/getMe") == "url https://api/bot***/getMe"
    assert redact.redact("ab stays") == "ab stays"  # too short to be a secret
    assert (
        redact.redact("postgresql://u:p4ss@h:5432/db and redis://:x@h")
        == "postgresql://u:***@h:5432/db and redis://:***@h"
    )
    assert redact.safe_url("postgresql://u:p4ss@h/db") == "postgresql://u:***@h/db"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("tok-12345",), None)
    assert redact.SecretFilter().filter(record) and record.getMessage() == "token=***"
    redact.forget_all()


@pytest.fixture(autouse=True)
def _clean_registry() -> None:
    redact.forget_all()


def test_json_logs_show_only_the_redacted_traceback() -> None:
    """python-json-logger formats ``exc_info`` itself: the filter must leave it only the
    redacted text (LOG_FORMAT=json printed the token inside the traceback)."""
    import io

    from bot.logs import make_formatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter("json"))
    handler.addFilter(redact.SecretFilter())
    logger = logging.getLogger("tests.json_secrets")
    logger.addHandler(handler)
    logger.propagate = False
    redact.register(["JSONSECRET-123456"])
    try:
        raise RuntimeError("token JSONSECRET-123456 was rejected")
    except RuntimeError:
        logger.exception("start failed for %s", "JSONSECRET-123456")
    logger.removeHandler(handler)
    out = stream.getvalue()
    assert "JSONSECRET-123456" not in out
    assert '"exc_info"' in out and "RuntimeError: token *** was rejected" in out
