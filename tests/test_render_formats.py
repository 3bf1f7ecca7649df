"""Terminal text, JSON and the ``render(reply, fmt)`` entry point."""

from __future__ import annotations

import json
from datetime import date

import pytest
from rich.text import Text

from adapters.formats import FORMATS, render
from adapters.jsonfmt import render_json
from adapters.text import render_text
from bot.domain import Button, Card, Reply, Summary
from bot.errors import BadArgument

DAY = date(2025, 1, 10)
CARD = Card(
    arxiv_id="2501.05366",
    title="Search-o1 [bold]not markup[/bold]",
    votes=39,
    authors=("Xiaoxi Li", "Zhicheng Dou"),
    github_url="https://github.com/RUC-NLPIR/Search-o1",
    github_stars=900,
    keywords=("RAG",),
    summary=Summary(whats_new="New [red]thing[/red].", technical_details="Details.", source="llm"),
    day=DAY,
)
REPLY = Reply(
    title="Daily Papers (2025-01-10)",
    cards=(CARD,),
    style="cards",
    day=DAY,
    buttons=(Button("Hugging Face", url="https://huggingface.co/papers?date=2025-01-10"),),
)


def test_text_cards_style() -> None:
    assert render_text(REPLY) == (
        "Daily Papers (2025-01-10)\n"
        "=========================\n\n"
        "1. Search-o1 [bold]not markup[/bold]  (👍 39)\n"
        "   https://arxiv.org/abs/2501.05366\n"
        "   Authors: Xiaoxi Li, Zhicheng Dou\n"
        "   Code: https://github.com/RUC-NLPIR/Search-o1 (⭐ 900)\n"
        "   Keywords: RAG\n"
        "   What's New: New [red]thing[/red].\n"
        "   Technical Details: Details.\n"
    )


def test_text_compact_style_shows_first_sentence() -> None:
    compact = Reply(title="Daily", cards=(CARD,), style="compact")
    lines = render_text(compact).splitlines()
    assert lines[4:] == [
        "   https://arxiv.org/abs/2501.05366",
        "   Authors: Xiaoxi Li, Zhicheng Dou",
        "   New [red]thing[/red].",
    ]


def test_color_markup_escapes_untrusted_text() -> None:
    colored = render_text(REPLY, color=True)
    assert "[bold]Daily Papers (2025-01-10)[/bold]" in colored
    plain = Text.from_markup(colored).plain  # rich parses it; untrusted brackets survive
    assert "Search-o1 [bold]not markup[/bold]" in plain
    assert "New [red]thing[/red]." in plain
    error = render_text(Reply(text="Bad [x] date", is_error=True), color=True)
    assert Text.from_markup(error).plain == "Bad [x] date\n"


def test_json_is_complete_and_stable() -> None:
    data = json.loads(render_json(REPLY))
    assert data["title"] == "Daily Papers (2025-01-10)" and data["day"] == "2025-01-10"
    card = data["cards"][0]
    assert card["summary"]["whats_new"] == "New [red]thing[/red]."
    assert card["arxiv_url"] == "https://arxiv.org/abs/2501.05366"
    assert card["hf_url"] == "https://huggingface.co/papers/2501.05366"
    assert card["thumbnail_url"].endswith("/2501.05366.png")
    assert card["day"] == "2025-01-10" and card["authors"] == ["Xiaoxi Li", "Zhicheng Dou"]
    assert data["buttons"] == [
        {
            "label": "Hugging Face",
            "url": "https://huggingface.co/papers?date=2025-01-10",
            "command": None,
        }
    ]
    assert render_json(REPLY) == render_json(REPLY)
    assert '"text": "한국어 요약"' in render_json(Reply(text="한국어 요약"))  # not \\uXXXX


def test_every_format_renders() -> None:
    outputs = {fmt: render(REPLY, fmt) for fmt in FORMATS}
    assert outputs["markdown"].startswith("## Daily Papers (2025-01-10)\n\n### [Search-o1 ")
    assert outputs["telegram"].startswith("──── Telegram message 1/2 (text) ────\n<b>Daily")
    assert "(photo https://cdn-thumbnails" in outputs["telegram"]
    assert "[Hugging Face → https://huggingface.co/papers?date=2025-01-10]" in outputs["telegram"]
    payloads = json.loads(outputs["discord"])
    assert payloads[0]["embeds"][0]["url"] == "https://arxiv.org/abs/2501.05366"
    assert json.loads(outputs["json"])["style"] == "cards"
    assert all(out.endswith("\n") for out in outputs.values())


def test_unknown_format_is_a_friendly_error() -> None:
    with pytest.raises(BadArgument, match="choose one of text, markdown"):
        render(REPLY, "html")
