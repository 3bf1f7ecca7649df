"""Cards say each thing once: one Hugging Face link, no project page repeating the code link,
at most five keywords, HF's own Markdown never shown raw, one summary line per listed item."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import regex

from adapters.discord.render import render_reply as discord_reply
from adapters.markdown import render_markdown
from adapters.telegram.render import render_reply as telegram_reply
from adapters.text import render_text
from bot.cards import build_card, clip, shorten_authors, strip_markdown, utf16_len
from bot.domain import FeaturedPaper, PaperInfo, Reply
from tests.fakes.telegram import parse_html

DAY = date(2025, 6, 25)
HF = "https://huggingface.co/papers/2506.01234"


def paper(project_page: str = "https://github.com/acme/tidy/") -> FeaturedPaper:
    info = PaperInfo(
        arxiv_id="2506.01234",
        title="A Tidy Paper",
        abstract="We study tidiness. It matters a lot.",
        authors=("Ada", "Bob"),
        github_repo="https://github.com/acme/tidy",
        project_page=project_page,
        keywords=tuple(f"kw{n}" for n in range(10)),
        ai_summary="A **bold** claim with `code`, _style_ and [a link](https://example.com).",
    )
    return FeaturedPaper(day=DAY, paper=info, votes=42)


def test_card_has_no_repeated_project_page_and_five_keywords() -> None:
    card = build_card(paper())
    assert card.github_url == "https://github.com/acme/tidy"
    assert card.project_url is None  # the same page as the code link
    assert card.keywords == ("kw0", "kw1", "kw2", "kw3", "kw4")
    other = build_card(paper(project_page="https://acme.github.io/tidy"))
    assert other.project_url == "https://acme.github.io/tidy"


def test_hf_markdown_is_stripped_never_raw() -> None:
    card = build_card(paper())
    assert card.summary.text == "A bold claim with code, style and a link."
    assert strip_markdown("plain text, no marks") == "plain text, no marks"
    assert strip_markdown("2 * 3 = 6") == "2 * 3 = 6"
    for text in (
        "".join(m.plain for m in _telegram(card, "cards")),
        render_text(Reply(cards=(card,), style="cards")),
    ):
        assert "**" not in text and "`" not in text and "A bold claim" in text


def _telegram(card, style):
    from tests.fakes.telegram import SentMessage

    messages = telegram_reply(Reply(cards=(card,), style=style))
    out = []
    for m in messages:
        plain = parse_html(m.text)
        out.append(
            SentMessage("sendMessage", 1, 1, None, m.text, None, m.photo, "HTML", None, True, plain)
        )
    return out


def test_one_hugging_face_link_per_card_on_every_platform() -> None:
    card = build_card(paper())
    for style in ("cards", "compact"):
        messages = telegram_reply(Reply(cards=(card,), style=style))
        links = sum(m.text.count(HF) for m in messages)
        links += sum(1 for m in messages for row in m.buttons for b in row if b.url == HF)
        assert links == 1, style
        embeds = [e for m in discord_reply(Reply(cards=(card,), style=style)) for e in m.embeds]
        shown = "".join(str(e) for e in embeds)
        assert shown.count(HF) <= 1


def test_compact_lists_show_one_summary_line_per_item_everywhere() -> None:
    cards = tuple(build_card(paper()) for _ in range(1))
    reply = Reply(title="Daily Papers", cards=cards, style="compact")
    (message,) = telegram_reply(reply)
    assert "<i>A bold claim with code, style and a link.</i>" in message.text
    (discord,) = discord_reply(reply)
    assert "A bold claim with code, style and a link" in discord.embeds[0]["description"]
    assert "A bold claim with code, style and a link." in render_text(reply)


def test_clip_never_splits_a_grapheme() -> None:
    flags = "🇰🇷🇯🇵🇺🇸🇫🇷🇩🇪"  # each flag is two code points, one grapheme
    family = "👨‍👩‍👧‍👦" * 4
    accents = "e\u0301" * 10
    for text in (flags, family, accents):
        for limit in range(1, 2 * utf16_len(text)):
            clipped = clip(text, limit, measure=utf16_len)
            body = clipped.removesuffix("…")
            assert text.startswith(body)
            graphemes = regex.findall(r"\X", text)
            kept = regex.findall(r"\X", body)
            assert kept == graphemes[: len(kept)], (text, limit, clipped)
            assert utf16_len(clipped) <= limit or clipped == ""


def test_renderer_labels_follow_the_reply_language() -> None:
    card = build_card(paper(project_page="https://acme.github.io/tidy"))
    korean = Reply(cards=(card,), style="cards", language="ko")
    (embed,) = [e for m in discord_reply(korean) for e in m.embeds]
    names = [f["name"] for f in embed["fields"]]
    assert "저자" in names and "코드" in names and "Authors" not in names
    assert "저자: Ada, Bob" in render_text(korean)
    html = "".join(m.text for m in telegram_reply(korean))
    assert "프로젝트 페이지" in html and "Project page" not in html
    english = [e for m in discord_reply(Reply(cards=(card,), style="cards")) for e in m.embeds]
    assert "Authors" in [f["name"] for f in english[0]["fields"]]


def test_more_authors_follow_the_reply_language() -> None:
    card = build_card(paper())
    card = replace(card, authors=tuple(f"Author {n}" for n in range(1, 13)))
    compact = Reply(cards=(card,), style="compact", language="ko")
    assert "Author 3, … 외 9명" in render_text(compact)
    embeds = [e for m in discord_reply(compact) for e in m.embeds]
    assert "Author 3, … 외 9명" in embeds[0]["description"]
    cards = replace(compact, style="cards")
    (embed,) = [e for m in discord_reply(cards) for e in m.embeds]
    assert "Author 8, … 외 4명" in str(embed["fields"])
    html = "".join(m.text for m in telegram_reply(cards))
    assert "Author 8, … 외 4명" in html and "more" not in html
    assert "Author 8, … +4 more" in render_text(replace(cards, language="en"))
    assert shorten_authors(["A"] * 5000, language="ko").endswith("… 외 4,992명")
    # Markdown keeps the seed's English shape in every language
    assert "Author 8, … +4 more" in render_markdown(cards)
