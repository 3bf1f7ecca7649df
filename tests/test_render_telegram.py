"""Telegram HTML rendering and the validator the fake Bot API server shares."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.telegram.render import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    TelegramMessage,
    render_card_html,
    render_reply,
    telegram_visible_text,
    validate_message,
    validate_telegram_html,
    visible_length,
)
from bot.domain import Button, Card, Reply, Summary
from tests.fakes.telegram import parse_html

DAY = date(2025, 1, 10)
KO = Summary(
    whats_new="이 연구는 Search-o1이라는 프레임워크를 소개합니다. " * 4,
    technical_details="검색된 문서는 Reason-in-Documents 모듈을 통해 분석됩니다. " * 4,
    performance_highlights="GPQA 확장 세트에서는 인간 전문가를 넘어섰습니다. " * 4,
    language="ko",
    source="llm",
)


def card(n: int = 1, **kw: object) -> Card:
    base: dict[str, object] = {
        "arxiv_id": f"2501.{n:05d}",
        "title": f"Paper <{n}> & friends",
        "votes": 100 - n,
        "authors": ("Xiaoxi Li", "Zhicheng Dou"),
        "summary": Summary(text="A plain summary. It has two sentences."),
        "day": DAY,
    }
    base.update(kw)
    return Card(**base)  # type: ignore[arg-type]


def check(messages: list[TelegramMessage]) -> None:
    assert messages, "never an empty reply"
    for message in messages:
        validate_message(message)
        parse_html(message.text)  # the fake server's independent parser agrees


# --- the validator -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "good",
    [
        "plain",
        "<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler>",
        '<span class="tg-spoiler">x</span> <a href="https://x.org/?a=1&amp;b=&quot;2&quot;">l</a>',
        '<b><a href="https://x.org">bold link</a></b>',
        '<pre><code class="language-python">x &lt; 1</code></pre>',
        "<blockquote>q <b>b</b></blockquote> &#128512; &#x1F600;",
        "Tom &amp; Jerry &lt;3 &gt;",
    ],
)
def test_validator_accepts(good: str) -> None:
    validate_telegram_html(good)


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("line<br>break", "unsupported tag"),
        ("<p>para</p>", "unsupported tag"),
        ("<b><i>x</b></i>", "does not close"),
        ("<b>open", "unclosed"),
        ("a < b", "unescaped"),
        ("a > b", "unescaped"),
        ("AT&T", "unescaped"),
        ("a & b", "unescaped"),
        ("&nbsp;", "unescaped"),
        ("&amp", "unescaped"),
        ("<a>no href</a>", "href"),
        ('<a href="https://a"><a href="https://b">x</a></a>', "inside <a>"),
        ("<b><code>x</code></b>", "nested"),
        ("<code><b>x</b></code>", "inside <code>"),
        ("<span>x</span>", "tg-spoiler"),
        ('<b class="x">x</b>', "attributes"),
        ("<!-- c -->", "unescaped"),
        ("<b/>", "self-closing"),
        ("x</>", "unescaped"),
        ("x <3", "unescaped"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "blockquote"),
        ("", "empty"),
        ("<b> </b>", "empty"),
    ],
)
def test_validator_rejects(bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        validate_telegram_html(bad)


def test_limits_count_utf16_units_after_entities() -> None:
    validate_telegram_html("😀" * 2048)  # 4096 UTF-16 units
    with pytest.raises(ValueError, match="4098 UTF-16"):
        validate_telegram_html("😀" * 2049)
    validate_telegram_html("&amp;" * 4096)  # each entity counts one
    validate_telegram_html("<b>" + "x" * 4096 + "</b>")  # tags count nothing
    with pytest.raises(ValueError):
        validate_telegram_html("x" * 1025, limit=CAPTION_LIMIT)
    validate_telegram_html("", limit=CAPTION_LIMIT, allow_empty=True)
    assert telegram_visible_text("<b>a &lt; b</b> &#33;") == "a < b !"


def test_validate_message_checks_buttons() -> None:
    from adapters.telegram.render import TgButton

    ok = TelegramMessage("x", buttons=((TgButton("1", callback_data="/paper 2501.05366"),),))
    validate_message(ok)
    for bad in (
        TgButton("1", callback_data="/paper " + "9" * 60),
        TgButton("1"),
        TgButton("1", url="https://a", callback_data="/x"),
        TgButton(" ", callback_data="/x"),
        TgButton("1", url="javascript:alert(1)"),
    ):
        with pytest.raises(ValueError):
            validate_message(TelegramMessage("x", buttons=((bad,),)))
    with pytest.raises(ValueError, match="photo"):
        validate_message(TelegramMessage("x", photo="file:///etc/passwd"))


# --- compact listing -------------------------------------------------------------------------


def test_compact_listing_is_one_message_with_buttons() -> None:
    cards = (card(1), card(2, title="Second", votes=5))
    reply = Reply(title="Daily Papers (2025-01-10)", cards=cards, style="compact")
    [message] = render_reply(reply)
    check([message])
    assert message.photo is None and message.disable_preview
    assert message.text == (
        "<b>Daily Papers (2025-01-10)</b>\n"
        '1. <a href="https://arxiv.org/abs/2501.00001">Paper &lt;1&gt; &amp; friends</a>'
        ' · 👍 99 · <a href="https://huggingface.co/papers/2501.00001">🤗</a>\n'
        "<i>A plain summary.</i>\n"
        '2. <a href="https://arxiv.org/abs/2501.00002">Second</a>'
        ' · 👍 5 · <a href="https://huggingface.co/papers/2501.00002">🤗</a>\n'
        "<i>A plain summary.</i>"
    )
    [[one, two]] = message.buttons
    assert (one.text, one.callback_data) == ("1", "/paper 2501.00001")
    assert (two.text, two.callback_data) == ("2", "/paper 2501.00002")


def test_compact_fifty_long_titles_split_with_their_own_buttons() -> None:
    cards = tuple(card(n, title=f"Title {n} " + "long words " * 25) for n in range(1, 51))
    messages = render_reply(Reply(title="Daily", cards=cards, style="compact"))
    check(messages)
    assert len(messages) > 1
    numbers = [b.text for m in messages for row in m.buttons for b in row]
    assert numbers == [str(n) for n in range(1, 51)]
    for message in messages:  # each message's buttons point at the papers it lists
        for row in message.buttons:
            for button in row:
                assert f"{button.callback_data[len('/paper ') :]}" in message.text  # type: ignore[index]
            assert len(row) <= 5


def test_callback_data_never_exceeds_64_bytes() -> None:
    long_id = "x" * 70
    reply = Reply(
        cards=(card(1), card(2, arxiv_id=long_id)),
        buttons=(Button("Long", command="/paper " + "é" * 40), Button("Ok", command="/today")),
    )
    messages = render_reply(reply)
    check(messages)
    data = [b.callback_data for m in messages for row in m.buttons for b in row]
    assert data == ["/paper 2501.00001", "/today"]


def test_reply_url_buttons_go_under_the_last_message() -> None:
    reply = Reply(
        text="Hello <there>",
        buttons=(Button("Hugging Face", url="https://huggingface.co/papers"),),
    )
    [message] = render_reply(reply)
    check([message])
    assert message.text == "Hello &lt;there&gt;"
    assert message.buttons[0][0].url == "https://huggingface.co/papers"


def test_error_reply_is_escaped_text_and_long_text_splits_at_lines() -> None:
    [error] = render_reply(Reply(text="Unknown date: <b>&", is_error=True, cards=(card(),)))
    assert error.text == "Unknown date: &lt;b&gt;&amp;" and error.buttons == ()
    long_text = "\n".join(f"line {i} & <more>" for i in range(600))
    messages = render_reply(Reply(text=long_text))
    check(messages)
    assert len(messages) > 1
    shown = "\n".join(telegram_visible_text(m.text) for m in messages)
    assert shown == long_text


# --- cards style ---------------------------------------------------------------------------


def test_card_caption_with_sections_is_clipped_at_sentences() -> None:
    full = card(
        1,
        organization="RUC",
        github_url="https://github.com/RUC-NLPIR/Search-o1",
        github_stars=1234,
        project_url="https://search-o1.github.io/",
        keywords=("RAG", "LRM"),
        summary=KO,
    )
    header, photo = render_reply(Reply(title="Daily", cards=(full,), style="cards"))
    check([header, photo])
    assert header.text == "<b>Daily</b>"
    assert (
        photo.photo
        == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2501.00001.png"
    )
    assert visible_length(photo.text) <= CAPTION_LIMIT
    for heading in ("What's New", "Technical Details", "Performance Highlights"):
        assert f"<b>{heading}:</b> " in photo.text
    shown = telegram_visible_text(photo.text)
    assert "👥 Xiaoxi Li, Zhicheng Dou" in shown and "🏛 RUC" in shown and "⭐ 1,234" in shown
    assert '<a href="https://github.com/RUC-NLPIR/Search-o1">GitHub</a>' in photo.text
    assert "🏷 RAG, LRM" in shown
    for paragraph in shown.split("\n\n")[1:]:
        assert paragraph.endswith("."), paragraph  # whole sentences only
    # the head links the HF page, so no URL button repeats it; only 👍/👎 under the card
    assert [[b.callback_data for b in row] for row in photo.buttons] == [
        ["/like 2501.00001", "/dislike 2501.00001"]
    ]
    assert photo.text.count("https://huggingface.co/papers/2501.00001") == 1


def test_card_that_cannot_fit_a_caption_becomes_a_text_message() -> None:
    crowded = card(1, title="T " * 140, keywords=tuple(f"kw{i}" for i in range(60)), summary=KO)
    crowded = Card(**{**crowded.__dict__, "authors": tuple("N" * 45 for _ in range(8))})
    [message] = render_reply(Reply(cards=(crowded,), style="cards"))
    check([message])
    assert message.photo is None
    assert visible_length(message.text) > CAPTION_LIMIT
    assert KO.whats_new and KO.whats_new.strip() in telegram_visible_text(message.text)


def test_render_card_html_full_and_empty_summary() -> None:
    html = render_card_html(card(1, summary=Summary()))
    validate_telegram_html(html)
    assert "\n\n" not in html  # no summary paragraph at all
    big = render_card_html(card(1, summary=Summary(text="Long sentence here. " * 400)))
    validate_telegram_html(big)
    assert TEXT_LIMIT - 30 < visible_length(big) <= TEXT_LIMIT
