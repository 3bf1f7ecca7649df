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
