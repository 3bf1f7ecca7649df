"""The "because you liked" line and the 👍/👎 buttons in every renderer: escaped, within limits."""

from __future__ import annotations

from datetime import date

from adapters.discord.render import message_payload, validate_discord_message
from adapters.discord.render import render_reply as render_discord
from adapters.markdown import render_markdown
from adapters.telegram.render import render_reply as render_telegram
from adapters.telegram.render import validate_telegram_html
from adapters.text import render_text
from bot.cards import because_line
from bot.domain import Card, Reply
from tests.fakes.discord_validate import message_errors

HOSTILE = "Because you liked “<b>GANs</b> & *@everyone* [x](http://evil)”"


def card(n: int, because: str | None = HOSTILE) -> Card:
    return Card(
        arxiv_id=f"2501.{n:05d}",
        title=f"Paper {n}",
        votes=10,
        because=because,
        day=date(2025, 1, 10),
    )


def test_because_line_is_localised_and_short() -> None:
    assert because_line("A" * 300, "en").startswith("Because you liked “AAAA")
    assert len(because_line("A" * 300, "en") or "") < 100
    assert because_line("Search-o1", "ko") == "“Search-o1”을(를) 좋아하셔서"
    assert because_line(None) is None and because_line("  ") is None


def test_telegram_escapes_the_line_and_puts_rating_buttons_under_cards() -> None:
    reply = Reply(cards=(card(1), card(2)), style="cards")
    messages = render_telegram(reply)
    for message in messages:
        validate_telegram_html(message.text)
        assert "&lt;b&gt;GANs&lt;/b&gt; &amp;" in message.text
        datas = [b.callback_data for row in message.buttons for b in row if b.callback_data]
        arxiv_id = "2501.00001" if "Paper 1" in message.text else "2501.00002"
        assert datas == [f"/like {arxiv_id}", f"/dislike {arxiv_id}"]
    compact = render_telegram(Reply(cards=(card(1),), style="compact"))
    assert "💡 <i>Because you liked" in compact[0].text
    validate_telegram_html(compact[0].text)
    plain = render_telegram(Reply(cards=(card(3, because=None),), style="cards"))
    assert "💡" not in plain[0].text


def test_discord_escapes_the_line_and_numbers_rating_buttons() -> None:
    reply = Reply(cards=tuple(card(n) for n in range(1, 13)), style="cards")
    messages = render_discord(reply)
    assert len(messages) == 2  # ten embeds a message
    for message in messages:
        validate_discord_message(message)
        assert message_errors(message_payload(message)) is None
    first = messages[0]
    assert len(first.buttons) == 20
    assert (first.buttons[0].label, first.buttons[0].custom_id) == ("👍 1", "/like 2501.00001")
    assert (first.buttons[1].label, first.buttons[1].custom_id) == ("👎 1", "/dislike 2501.00001")
    assert messages[1].buttons[0].label == "👍 11"
    embed = first.embeds[0]
    because = next(f["value"] for f in embed["fields"] if f["name"] == "💡")
    assert "\\*@everyone\\*" in because or "@\u200beveryone" in because
    assert "[x](http://evil)" not in because
    compact = render_discord(Reply(cards=(card(1),), style="compact"))
    assert "💡 *Because you liked" in compact[0].embeds[0]["description"]


def test_text_and_markdown_show_the_line() -> None:
    reply = Reply(cards=(card(1),), style="cards")
    assert "💡 Because you liked “<b>GANs</b>" in render_text(reply)
    assert "💡 \\[bold]x" in render_text(Reply(cards=(card(1, "[bold]x"),)), color=True)
    markdown = render_markdown(reply)
    assert "💡 *Because you liked" in markdown and "<b>" not in markdown
