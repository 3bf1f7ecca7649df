"""The message catalogue: Korean says everything English says, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

from bot.i18n import CATALOGUE, COMMAND_DESCRIPTIONS, catalogue_language, t

ROOT = Path(__file__).resolve().parent.parent


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field}


def test_korean_matches_english() -> None:
    assert set(CATALOGUE["ko"]) == set(CATALOGUE["en"])
    for key, english in CATALOGUE["en"].items():
        assert placeholders(CATALOGUE["ko"][key]) == placeholders(english), key
    assert set(COMMAND_DESCRIPTIONS["ko"]) == set(COMMAND_DESCRIPTIONS["en"])


def test_every_key_the_code_uses_exists() -> None:
    used: set[str] = set()
    for path in [*ROOT.glob("bot/*.py"), *ROOT.glob("adapters/**/*.py")]:
        used |= set(re.findall(r"\bt\(\s*\"([a-z_]+)\"", path.read_text()))
    assert used, "no t() calls found"
    assert used <= set(CATALOGUE["en"]), used - set(CATALOGUE["en"])


def test_languages_fall_back_to_english() -> None:
    assert catalogue_language("KO") == "ko" and catalogue_language("Korean") == "ko"
    assert catalogue_language("Japanese") == "en"
    assert t("unknown_command", "de", name="x") == "I don't know /x. Try /help."
