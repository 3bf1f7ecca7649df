"""Settings: .env.example lists every setting with its real default, and loads as it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from bot.config import Settings

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def example_values() -> dict[str, str]:
    values = {}
    for line in EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_every_setting_is_in_env_example_with_its_default() -> None:
    listed = example_values()
    fields = {name.upper() for name in Settings.model_fields}
    assert fields == set(listed), "settings and .env.example differ"
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for key, value in listed.items():
        default = getattr(defaults, key.lower())
        if value == "":
            assert default in (None, [], ""), key
        elif isinstance(default, list):
            assert default == value.split(","), key
        elif isinstance(default, bool):
            assert default == TypeAdapter(bool).validate_python(value), key  # on/off, true/false
        else:
            assert default == type(default)(value), key


def test_a_copied_env_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text(EXAMPLE.read_text())
    for key in example_values():
        monkeypatch.delenv(key, raising=False)
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.telegram_bot_token is None and settings.discord_guild_id is None
    assert settings.bot_admin_ids == [] and not settings.llm_enabled


def test_admin_ids_and_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_ADMIN_IDS", "12, discord:34,")
    assert Settings(_env_file=None).bot_admin_ids == ["12", "discord:34"]  # type: ignore[call-arg]
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError, match="IANA"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("DEFAULT_TIMEZONE", "UTC")
    monkeypatch.setenv("DEFAULT_POST_TIME", "25:00")
    with pytest.raises(ValidationError, match="HH:MM"):
        Settings(_env_file=None)  # type: ignore[call-arg]


BAD_SETTINGS = [  # the fault probe's, and a few more; each through the real CLI
    ("TICK_SECONDS", "0", "greater than or equal to 1"),
    ("LOG_LEVEL", "VERBOSE", "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'"),
    ("HF_PAGE_SIZE", "0", "greater than or equal to 1"),
    ("DEFAULT_STYLE", "weird", "'compact' or 'cards'"),
    ("DEFAULT_TOP_N", "0", "greater than or equal to 1"),
    ("TELEGRAM_WEBHOOK_PORT", "99999", "less than or equal to 65535"),
    ("DATABASE_URL", "nonsense", "sqlite:///file.db or postgresql://"),
    ("TELEGRAM_WEBHOOK_SECRET", "has spaces", "A-Z, a-z, 0-9, _ and -"),
]
MORE_BAD_SETTINGS = [  # the same checks, in process
    ("TICK_SECONDS", "abc", "valid integer"),
    ("HF_PAGE_SIZE", "101", "less than or equal to 100"),
    ("CATCHUP_HOURS", "0", "greater than or equal to 1"),
    ("COMMAND_BURST", "0", "greater than or equal to 1"),
    ("COMMAND_RATE_PER_MINUTE", "0", "greater than 0"),
    ("HF_COMMAND_WAIT_SECONDS", "-1", "greater than 0"),
    ("TELEGRAM_SEND_TIMEOUT_SECONDS", "0", "greater than 0"),
    ("DELIVERY_CONCURRENCY", "0", "greater than or equal to 1"),
    ("HF_API_BASE_URL", "ftp://example.org", "http:// or https:// URL"),
    ("DISCORD_GATEWAY_URL", "https://x", "ws:// or wss:// URL"),
    ("DEFAULT_TIMEZONE", "localtime", "unknown IANA timezone"),
]


@pytest.mark.parametrize(("name", "value", "accepts"), MORE_BAD_SETTINGS)
def test_more_bad_settings(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, accepts: str
) -> None:
    from bot.cli import describe_settings_error

    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)  # type: ignore[call-arg]
    line = describe_settings_error(caught.value)
    assert line.startswith(name) and accepts in line, line


async def test_every_bad_setting_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    """The real CLI: one ``error:`` line naming the setting and what it accepts, exit code 2."""
    import asyncio
    import os
    import sys

    root = EXAMPLE.parent
    base = {k: v for k, v in os.environ.items() if k.upper() not in example_values()}
    base["DATABASE_URL"] = f"sqlite:///{tmp_path / 'never.db'}"

    gate = asyncio.Semaphore(4)  # a shared, busy machine: a few at a time

    async def run(name: str, value: str) -> tuple[int, str, str]:
        async with gate:
            return await run_one(name, value)

    async def run_one(name: str, value: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "db",
            "upgrade",
            env={**base, name: value},
            cwd=tmp_path,  # no .env of the developer's
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    base["PYTHONPATH"] = str(root)
    results = await asyncio.gather(*(run(name, value) for name, value, _ in BAD_SETTINGS))
    for (name, value, accepts), (code, out, err) in zip(BAD_SETTINGS, results, strict=True):
        lines = err.strip().splitlines()
        assert code == 2, (name, value, err)
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, err)
        assert name in lines[0] and accepts in lines[0], (name, lines[0])
        assert "Traceback" not in err and out == ""
        if name == "TELEGRAM_WEBHOOK_SECRET":
            assert value not in err  # secrets are never echoed
    assert not (tmp_path / "never.db").exists()
