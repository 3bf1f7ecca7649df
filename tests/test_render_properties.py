"""Property tests: no card, however hostile, breaks a platform's limits or markup rules.

Every Telegram message passes our validator and the fake Bot API's independent parser;
every Discord message passes ours and the fake Discord's; the Markdown parses (CommonMark)
into one heading link per card whose text is exactly the title.
"""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from adapters.discord.render import message_payload, validate_discord_message
from adapters.discord.render import render_reply as discord_reply
from adapters.markdown import link_target, render_markdown
from adapters.telegram.render import render_reply as telegram_reply
from adapters.telegram.render import validate_message
from bot.cards import clean_text
from bot.domain import STYLES, Button, Card, Reply, Summary
from tests.fakes.discord_validate import message_errors
from tests.fakes.telegram import parse_html

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NASTY = st.sampled_from(
    [
        "<", ">", "&", "&amp;", "<b>", "</a>", '"', "'", "[", "]", "(", ")", "](x)", "*", "_",
        "`", "~", "|", "\\", "#", "- ", "1. ", "@everyone", "@here", "<@123>", "😀", "👨‍👩‍👧",
        "\u200d", "\ufe0f", "é", "한국어", "\n", "  ", ". ", "! ", "&#128512;", "\x00", "\u2028",
    ]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(max_size=12), NASTY), max_size=30).map("".join)
LONG = st.one_of(TEXT, st.tuples(TEXT, st.integers(1, 300)).map(lambda t: t[0] * t[1]))
URL = st.one_of(
    st.none(),
    st.sampled_from(["https://github.com/o/r", "https://x.org/a(b)?q=1&r=<2>", "javascript:x"]),
    TEXT,
)
AUTHORS = st.one_of(
    st.lists(TEXT, max_size=12).map(tuple),
    st.integers(0, 5000).map(lambda n: tuple(f"Author {i}" for i in range(n))),
)
SUMMARY = st.one_of(
    st.builds(Summary, text=st.one_of(st.none(), LONG)),
    st.builds(
        Summary,
        whats_new=st.one_of(st.none(), LONG),
        technical_details=st.one_of(st.none(), LONG),
        performance_highlights=st.one_of(st.none(), LONG),
    ),
)
CARD = st.builds(
    Card,
    arxiv_id=st.one_of(st.from_regex(r"\d{4}\.\d{4,5}", fullmatch=True), TEXT),
    title=LONG,
    votes=st.integers(0, 10**6),
    authors=AUTHORS,
    organization=st.one_of(st.none(), TEXT),
    github_url=URL,
    github_stars=st.one_of(st.none(), st.integers(0, 10**6)),
    project_url=URL,
    keywords=st.lists(TEXT, max_size=40).map(tuple),
    summary=SUMMARY,
    day=st.one_of(st.none(), st.dates()),
)
BUTTON = st.builds(
    Button, label=TEXT, url=URL, command=st.one_of(st.none(), TEXT.map(lambda t: "/paper " + t))
)
REPLY = st.builds(
    Reply,
    text=st.one_of(st.just(""), LONG),
    title=st.one_of(st.none(), TEXT),
    cards=st.lists(CARD, max_size=12).map(tuple),
    style=st.sampled_from(STYLES),
    buttons=st.lists(BUTTON, max_size=4).map(tuple),
    is_error=st.booleans(),
)

BIG = Card(
    arxiv_id="2501.05366",
    title="<script>&amp; [x](y) " * 30,
    authors=tuple(f"Author {i}" for i in range(5000)),
    keywords=tuple(f"k{i}" for i in range(300)),
    summary=Summary(text="😀" * 5000),
)
SECTIONED = Card(
    arxiv_id="2501.05441",
    title="😀" * 300,
    summary=Summary(
        whats_new="A. " * 2000, technical_details="<&>" * 2000, performance_highlights="x"
    ),
)
FIFTY = Reply(title="Daily", cards=tuple([BIG, SECTIONED] * 25), style="cards")


def _visible_cards(reply: Reply) -> int:
    return 0 if reply.is_error else len(reply.cards)


@SETTINGS
@given(REPLY)
@example(FIFTY)
@example(Reply(title="Daily", cards=tuple([BIG, SECTIONED] * 25), style="compact"))
@example(Reply(text="😀" * 5000))
@example(Reply())
@example(  # the reply's own buttons may be labelled with digits, like the cards' numbers
    Reply(
        cards=(Card(arxiv_id="2501.00001", title="t"),),
        buttons=(Button(label="1", command="/paper "), Button(label="0", command="/paper ")),
    )
)
def test_telegram_messages_are_always_valid(reply: Reply) -> None:
    messages = telegram_reply(reply)
    for message in messages:
        validate_message(message)
        parse_html(message.text)
    if reply.style == "cards" and not reply.is_error:
        assert sum(1 for m in messages if "arxiv.org/abs/" in m.text) == len(reply.cards)
    elif reply.cards and not reply.is_error:
        callbacks = [b for m in messages for row in m.buttons for b in row if b.text.isdigit()]
        # the cards' numbered buttons, plus any of the reply's own buttons labelled with digits
        generic = sum(1 for b in reply.buttons if clean_text(b.label).isdigit())
        assert len(callbacks) <= len(reply.cards) + generic
        assert sum(m.text.count("https://arxiv.org/abs/") for m in messages) == len(reply.cards)
    if clean_text(reply.text) or (reply.cards and not reply.is_error):
        assert messages


@SETTINGS
@given(REPLY)
@example(FIFTY)
@example(Reply(title="Daily", cards=tuple([BIG, SECTIONED] * 25), style="compact"))
@example(Reply(text="@everyone " * 1000))
def test_discord_messages_are_always_valid(reply: Reply) -> None:
    messages = discord_reply(reply)
    for message in messages:
        validate_discord_message(message)
        assert message_errors(message_payload(message)) is None
        assert len(message.buttons) <= 25
    assert sum(len(m.embeds) for m in messages) == _visible_cards(reply)
    for message in messages:
        for embed in message.embeds:
            for field in embed.get("fields", []):
                assert "@everyone" not in field["value"] and "@here" not in field["value"]
            assert "@everyone" not in embed.get("description", "")
        assert "@everyone" not in message.content and "@here" not in message.content


_MD = MarkdownIt("commonmark")


@SETTINGS
@given(REPLY)
@example(FIFTY)
def test_markdown_keeps_one_link_per_card(reply: Reply) -> None:
    out = render_markdown(reply)
    tokens = _MD.parse(out)
    assert not [t for t in tokens if t.type == "html_block"]
    headings = [
        tokens[i + 1] for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h3"
    ]
    cards = [] if reply.is_error else list(reply.cards)
    assert len(headings) == len(cards)
    for heading, card in zip(headings, cards, strict=True):
        children = heading.children or []
        assert children[0].type == "link_open"
        assert children[-1].type == "link_close"
        assert children[0].attrGet("href") == _MD.normalizeLink(link_target(card.arxiv_url))
        inner = children[1:-1]
        assert all(c.type == "text" for c in inner), [c.type for c in inner]
        expected = clean_text(card.title) or clean_text(card.arxiv_id)
        assert "".join(c.content for c in inner) == expected
    inline = [t for t in tokens if t.type == "inline"]
    assert not [c for t in inline for c in t.children or [] if c.type == "html_inline"]


def test_fifty_cards_each_platform() -> None:
    telegram = telegram_reply(FIFTY)
    assert len(telegram) == 51  # the title, then one message per card
    assert sum(len(m.embeds) for m in discord_reply(FIFTY)) == 50
    assert render_markdown(FIFTY).count("\n### [") == 50


def test_day_is_irrelevant_to_validity() -> None:
    reply = Reply(cards=(Card(arxiv_id="1", title="t", day=date(1, 1, 1)),), style="cards")
    for message in discord_reply(reply):
        validate_discord_message(message)
