"""Discord embeds: fields, escaping, limits and splitting; the shared validator."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from adapters.discord.render import (
    DiscordButton,
    DiscordMessage,
    card_embed,
    embed_length,
    escape_markdown,
    message_payload,
    render_reply,
    validate_discord_message,
)
from bot.domain import Button, Card, Reply, Summary
from tests.fakes.discord_validate import message_errors

DAY = date(2025, 1, 10)
SECTIONS = Summary(
    whats_new="Search-o1 adds *agentic* search. It retrieves on demand.",
    technical_details="Reason-in-Documents condenses [retrieved] text.",
    performance_highlights="Beats experts on GPQA @everyone.",
    source="llm",
)


def card(n: int = 1, **kw: object) -> Card:
    base: dict[str, object] = {
        "arxiv_id": f"2501.{n:05d}",
        "title": f"Paper {n}: *not* bold",
        "votes": 100 - n,
        "authors": ("Xiaoxi Li", "Zhicheng_Dou"),
        "summary": Summary(text="A plain summary with `code`. And a second sentence."),
        "day": DAY,
    }
    base.update(kw)
    return Card(**base)  # type: ignore[arg-type]


def check(messages: list[DiscordMessage]) -> None:
    assert messages
    for message in messages:
        validate_discord_message(message)
        payload = message_payload(message)
        assert message_errors(payload) is None  # the fake server's own checks agree


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed["fields"]}


def test_card_embed_fields_and_escaping() -> None:
    embed = card_embed(
        card(
            1,
            organization="Org_Lab",
            github_url="https://github.com/o/r",
            github_stars=1500,
            project_url="https://example.org/a(b)",
            keywords=("rag", "llm|agents"),
            summary=SECTIONS,
        )
    )
    assert embed["title"] == "Paper 1: *not* bold"  # titles are not markdown
    assert embed["url"] == "https://arxiv.org/abs/2501.00001"
    assert embed["thumbnail"] == {
        "url": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2501.00001.png"
    }
    assert embed["footer"] == {"text": "arXiv 2501.00001 · Daily Papers 2025-01-10"}
    assert "description" not in embed
    assert fields(embed) == {
        "Votes": "👍 99 · [Hugging Face](https://huggingface.co/papers/2501.00001)",
        "Organization": "Org\\_Lab",
        "Authors": "Xiaoxi Li, Zhicheng\\_Dou",
        "Code": "[GitHub](https://github.com/o/r) ⭐ 1,500",
        "Project": "[Project page](https://example.org/a%28b%29)",
        "Keywords": "rag, llm\\|agents",
        "What's New": "Search-o1 adds \\*agentic\\* search. It retrieves on demand.",
        "Technical Details": "Reason-in-Documents condenses \\[retrieved\\] text.",
        "Performance Highlights": "Beats experts on GPQA @\u200beveryone.",
    }
    check([DiscordMessage(embeds=(embed,))])


def test_plain_summary_goes_to_the_description() -> None:
    embed = card_embed(card(1))
    assert embed["description"] == "A plain summary with \\`code\\`. And a second sentence."
    assert set(fields(embed)) == {"Votes", "Authors"}


def test_escape_markdown() -> None:
    assert escape_markdown("# h\n- item\n> q ~~s~~ ||sp|| <@123> @here") == (
        "\\# h\n\\- item\n\\> q \\~\\~s\\~\\~ \\|\\|sp\\|\\| <\u200b@123\\> @\u200bhere"
    )


def test_escape_markdown_defuses_every_mention_kind() -> None:
    """A slash-command mention (</name:id>) is clickable in Discord: it must stay plain text."""
    cases = {
        "</subscribe:123>": "<\u200b/subscribe:123\\>",
        "<#456>": "<\u200b#456\\>",
        "<@&789>": "<\u200b@&789\\>",
        "<t:1700000000:R>": "<\u200bt:1700000000:R\\>",
        "<a:dance:42>": "<\u200ba:dance:42\\>",
    }
    for raw, escaped in cases.items():
        assert escape_markdown(raw) == escaped, raw
    assert escape_markdown("1 </ 2 and a/b") == "1 <\u200b/ 2 and a/b"


def test_huge_card_respects_every_embed_limit() -> None:
    huge = card(
        1,
        title="T" * 400,
        authors=tuple(f"Author {i}" for i in range(5000)),
        keywords=tuple(f"keyword{i}" for i in range(500)),
        organization="O" * 2000,
        summary=Summary(text="Long sentence. " * 1000),
    )
    embed = card_embed(huge)
    check([DiscordMessage(embeds=(embed,))])
    assert len(embed["title"]) == 256 and embed["title"].endswith("…")
    assert "+4,992 more" in fields(embed)["Authors"]
    assert embed_length(embed) <= 6000
    sectioned = card_embed(
        card(2, summary=Summary(whats_new="W " * 900, technical_details="T " * 900, text=None))
    )
    check([DiscordMessage(embeds=(sectioned,))])
    assert all(len(v) <= 1024 for v in fields(sectioned).values())


def test_cards_style_splits_by_ten_and_by_6000() -> None:
    cards = tuple(card(n, summary=Summary(text="Words here. " * 300)) for n in range(1, 51))
    messages = render_reply(Reply(title="Daily Papers (2025-01-10)", cards=cards, style="cards"))
    check(messages)
    assert messages[0].content == "**Daily Papers \\(2025-01-10\\)**"
    assert sum(len(m.embeds) for m in messages) == 50
    assert [e["url"] for m in messages for e in m.embeds] == [c.arxiv_url for c in cards]
    assert max(len(m.embeds) for m in messages) <= 10
    assert len(messages) > 5  # 3.6k-character embeds: at most one per message


def test_compact_style_short_embeds_with_paper_buttons() -> None:
    cards = tuple(card(n, summary=SECTIONS) for n in range(1, 13))
    messages = render_reply(
        Reply(
            title="Daily",
            cards=cards,
            style="compact",
            buttons=(Button("Hugging Face", url="https://huggingface.co/papers"),),
        )
    )
    check(messages)
    assert [len(m.embeds) for m in messages] == [10, 2]
    first = messages[0].embeds[0]
    assert first["title"] == "1. Paper 1: *not* bold"
    assert first["description"] == (
        "👍 99 · Xiaoxi Li, Zhicheng\\_Dou\nSearch-o1 adds \\*agentic\\* search."
    )
    assert first["thumbnail"] == {
        "url": "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2501.00001.png"
    }
    assert messages[0].buttons[0] == DiscordButton("1", custom_id="/paper 2501.00001")
    assert [b.label for b in messages[1].buttons] == ["11", "12", "Hugging Face"]
    assert messages[1].buttons[-1].url == "https://huggingface.co/papers"


def test_text_replies_split_at_2000() -> None:
    text = "\n".join(f"line {i} *x*" for i in range(400))
    messages = render_reply(Reply(text=text, is_error=True, cards=(card(),)))
    check(messages)
    assert len(messages) > 1 and all(not m.embeds for m in messages)
    assert "".join(m.content for m in messages).count("\\*x\\*") == 400


def test_payload_shape() -> None:
    message = DiscordMessage(
        content="hi",
        buttons=(DiscordButton("a", custom_id="/x"), DiscordButton("b", url="https://b.org")),
    )
    assert message_payload(message) == {
        "content": "hi",
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 2, "label": "a", "custom_id": "/x"},
                    {"type": 2, "style": 5, "label": "b", "url": "https://b.org"},
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ({"content": "x" * 2001}, "content"),
        ({}, "empty"),
        ({"content": "  "}, "empty"),
        ({"embeds": [{"title": "t"}] * 11}, "11 embeds"),
        ({"embeds": [{"title": "t" * 257}]}, "title"),
        ({"embeds": [{"description": "d" * 4097}]}, "description"),
        ({"embeds": [{"description": "😀" * 2049}]}, "description"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "fields"),
        ({"embeds": [{"fields": [{"name": "n", "value": ""}]}]}, "empty"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "value"),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, "footer"),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, "6000"),
        ({"embeds": [{"url": "javascript:x"}]}, "URL"),
        ({"components": [{"type": 1, "components": []}]}, "1-5"),
        (
            {"components": [{"type": 1, "components": [{"type": 2, "style": 2, "label": "x"}]}]},
            "custom_id",
        ),
    ],
)
def test_validator_rejects(payload: dict[str, Any], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        validate_discord_message(payload)


def test_duplicate_custom_ids_are_refused_and_never_rendered() -> None:
    twice = DiscordMessage(
        buttons=(DiscordButton("1", custom_id="/x"), DiscordButton("2", custom_id="/x"))
    )
    with pytest.raises(ValueError, match="duplicate"):
        validate_discord_message(twice)
    same = card(1)
    messages = render_reply(
        Reply(cards=(same, same), buttons=(Button("Again", command="/paper 2501.00001"),))
    )
    check(messages)
    assert [b.label for b in messages[0].buttons] == ["1"]
