"""The message catalogue (Fluent): Korean says everything English says, with the same
placeholders; plurals are right; every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.i18n import (
    CATALOGUE,
    COMMAND_DESCRIPTIONS,
    LANGUAGES,
    catalogue_language,
    messages,
    t,
    variables,
)

ROOT = Path(__file__).resolve().parent.parent


def test_korean_matches_english() -> None:
    english, korean = messages("en"), messages("ko")
    assert set(korean) == set(english), set(korean) ^ set(english)
    for key, message in english.items():
        assert message.value is not None, key
        assert variables(korean[key]) == variables(message), key
    assert set(COMMAND_DESCRIPTIONS["ko"]) == set(COMMAND_DESCRIPTIONS["en"])
    assert set(CATALOGUE["ko"]) == set(CATALOGUE["en"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_formats_without_errors(language: str, caplog) -> None:
    for key, message in messages(language).items():
        values = {name: 1 for name in variables(message)}
        assert t(key, language, **values).strip(), key
    assert not [r for r in caplog.records if r.name == "bot.i18n"]


def test_every_key_the_code_uses_exists() -> None:
    used: set[str] = set()
    for path in [*ROOT.glob("bot/*.py"), *ROOT.glob("adapters/**/*.py")]:
        used |= set(re.findall(r"\bt\(\s*\"([a-z_]+)\"", path.read_text()))
    assert used, "no t() calls found"
    assert used <= set(messages("en")), used - set(messages("en"))


def test_plural_forms() -> None:
    one = t("today_intro", "en", count=1, day="2025-01-10")
    assert one.startswith("One paper featured") and "papers" not in one
    assert t("today_intro", "en", count=2, day="2025-01-10").startswith("2 papers featured")
    assert t("search_intro", "en", count=1, query="GAN") == "One paper matches 'GAN'."
    assert t("search_intro", "en", count=62, query="x").startswith("62 papers match")
    assert t("showing", "en", count=10, total=62) == "Showing 10 of 62."
    assert t("top_title", "en", n=1, period="7 days") == "The top paper of the past 7 days"
    for key, message in messages("en").items():  # no message says "1 papers"
        for name in variables(message) & {"count", "n", "total"}:
            values = {v: 1 for v in variables(message)}
            assert not re.search(r"\b1 papers\b", t(key, "en", **values)), (key, name)
    assert "30일" in t("top_title", "ko", n=3, period=t("period_month", "ko"))
    assert "달" not in t("top_title", "ko", n=3, period=t("period_month", "ko"))


def test_languages_fall_back_to_english() -> None:
    assert catalogue_language("KO") == "ko" and catalogue_language("Korean") == "ko"
    assert catalogue_language("Japanese") == "en"
    assert t("unknown_command", "de", name="x") == "I don't know /x. Try /help."
    with pytest.raises(KeyError):
        t("no_such_key", "en")
