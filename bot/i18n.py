"""The bot's own messages, in Project Fluent files (``bot/locales/{en,ko}.ftl``).

Why Fluent rather than gettext: our messages are looked up by key (``t("today_intro", ...)``)
and take named arguments; Fluent is built on exactly that, and its selectors give each language
its own plural rules (CLDR, through Babel) inside the translation ("1 paper", "2 papers"; Korean
needs none) without a second API such as ``ngettext``. A translator edits one text file per
language; a missing Korean message falls back to English.

Paper content is summarised in any language (see summaries); the bot's own sentences come from
this catalogue and fall back to English for languages it does not hold.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import ast, parse, serialize
from fluent.syntax.visitor import Visitor as FluentVisitor

log = logging.getLogger(__name__)

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("en", "ko")
_COMMAND_PREFIX = "command_"


@cache
def _source(language: str) -> str:
    return (LOCALES / f"{language}.ftl").read_text(encoding="utf-8")


@cache
def _bundle(language: str) -> FluentBundle:
    # no Unicode isolation marks around arguments: chat clients show them as stray characters
    bundle = FluentBundle([language], use_isolating=False)
    bundle.add_resource(FluentResource(_source(language)))
    return bundle


@cache
def messages(language: str) -> dict[str, ast.Message]:
    """The parsed messages of one language file, by key (for tests and tools)."""
    resource = parse(_source(language))
    junk = [entry for entry in resource.body if isinstance(entry, ast.Junk)]
    if junk:
        raise ValueError(f"{language}.ftl does not parse: {(junk[0].content or '')[:80]!r}")
    return {entry.id.name: entry for entry in resource.body if isinstance(entry, ast.Message)}


def variables(message: ast.Message) -> set[str]:
    """The ``$names`` a message uses (in text and in selectors)."""
    found: set[str] = set()

    class Visitor(FluentVisitor):
        def visit_VariableReference(self, node: ast.VariableReference) -> None:
            found.add(node.id.name)

    Visitor().visit(message)
    return found


def source_text(message: ast.Message) -> str:
    return serialize(ast.Resource([message]))


class _Catalogue(dict[str, dict[str, str]]):
    """``CATALOGUE[lang][key]``: each message's Fluent source, for code that lists keys."""


CATALOGUE = _Catalogue(
    {
        lang: {
            key: source_text(msg)
            for key, msg in messages(lang).items()
            if not key.startswith(_COMMAND_PREFIX)
        }
        for lang in LANGUAGES
    }
)


def catalogue_language(language: str) -> str:
    """The catalogue that serves ``language`` (English for languages we do not hold)."""
    code = language.strip().lower()
    if code in LANGUAGES:
        return code
    if code in {"korean", "한국어"}:
        return "ko"
    return "en"


def _argument(value: Any) -> Any:
    """Numbers stay numbers (plural selectors need them); everything else is shown as text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, date | datetime):
            return value.isoformat()
        return str(value)
    return value


def t(key: str, language: str = "en", /, **values: Any) -> str:
    """The message ``key`` in ``language``, formatted with ``values``.

    Plural forms are chosen inside the message from a number argument (``count=3``).
    Raises KeyError for a key no catalogue holds.
    """
    lang = catalogue_language(language)
    bundle = _bundle(lang)
    if not bundle.has_message(key):
        bundle = _bundle("en")
        if not bundle.has_message(key):
            raise KeyError(key)
    message = bundle.get_message(key)
    if message.value is None:
        raise KeyError(key)
    text, errors = bundle.format_pattern(
        message.value, {name: _argument(v) for name, v in values.items()}
    )
    if errors:
        log.warning("message %s [%s]: %s", key, lang, errors)
    return str(text)


def _descriptions(language: str) -> dict[str, str]:
    return {
        key.removeprefix(_COMMAND_PREFIX): t(key, language)
        for key in messages(language)
        if key.startswith(_COMMAND_PREFIX)
    }


COMMAND_DESCRIPTIONS: dict[str, dict[str, str]] = {lang: _descriptions(lang) for lang in LANGUAGES}
