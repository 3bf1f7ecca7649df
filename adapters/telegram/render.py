"""Reply → Telegram messages in HTML parse mode (pure: no network, no telegram import).

Limits are counted as Telegram counts them: UTF-16 code units of the text left after
entity parsing (tags are free, ``&amp;`` is one). Long content is split between cards or
lines, never inside a tag. ``validate_telegram_html`` is the same check the fake Bot API
server applies, so a message this module emits is one Telegram would accept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

from bot.cards import (
    clean_text,
    clip,
    clip_sentences,
    gist_line,
    group_blocks,
    pack,
    safe_url,
    shorten_authors,
    split_text,
    utf16_len,
)
from bot.domain import Button, Card, Reply
from bot.i18n import t

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
BUTTONS_PER_ROW = 5
COMPACT_GIST = 200  # the one summary line under an item of a compact list
_MIN_SUMMARY = 120  # a caption with less summary than this is not worth it: use a text message


@dataclass(frozen=True)
class TgButton:
    text: str
    url: str | None = None
    callback_data: str | None = None


@dataclass(frozen=True)
class TelegramMessage:
    text: str  # Telegram HTML; the caption when photo is set
    photo: str | None = None  # URL: send with sendPhoto, text as caption (<= 1024)
    buttons: tuple[tuple[TgButton, ...], ...] = ()  # inline keyboard rows
    disable_preview: bool = True


# ---------------------------------------------------------------- validation (Telegram's rules)

_FORMATTING = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span"})
_FORMATTING_ALL = _FORMATTING | {"tg-spoiler"}
_TAGS = _FORMATTING_ALL | {"a", "code", "pre", "blockquote", "tg-emoji"}
_BARE_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});)")
_BARE_LT = re.compile(r"<(?![a-zA-Z]|/[a-zA-Z])")
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));")


class _TelegramHTML(HTMLParser):
    """Parses Telegram's HTML subset, raising ValueError where Telegram would refuse."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.stack: list[str] = []
        self.text: list[str] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _entity(self) -> str:
        match = _ENTITY.match(self.source, self._offset())
        if not match:
            raise ValueError(
                f"bad entity at {self._offset()}: {self.source[self._offset() :][:12]!r}"
            )
        if match.group(1):
            return html.unescape(match.group())
        code = int(match.group(2) or match.group(3), 16 if match.group(3) else 10)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"bad character reference {match.group()!r}")
        return chr(code)

    def handle_data(self, data: str) -> None:
        for ch in "<>&":
            if ch in data:
                raise ValueError(f"unescaped {ch!r} in text: {data[:40]!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        self.text.append(self._entity())

    def handle_charref(self, name: str) -> None:
        self.text.append(self._entity())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise ValueError(f"unsupported tag <{tag}>")
        raw = self.get_starttag_text() or ""
        if "<" in raw[1:] or re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#[xX][0-9a-fA-F]+);)", raw):
            raise ValueError(f"unescaped character in tag {raw[:60]!r}")
        self._check_attrs(tag, dict(attrs), len(attrs))
        self._check_nesting(tag)
        self.stack.append(tag)

    def _check_attrs(self, tag: str, attrs: dict[str, str | None], count: int) -> None:
        allowed = {
            "a": {"href"},
            "span": {"class"},
            "tg-emoji": {"emoji-id"},
            "code": {"class"},
            "blockquote": {"expandable"},
        }.get(tag, set())
        if count != len(attrs) or not set(attrs) <= allowed:
            raise ValueError(f"unsupported attributes on <{tag}>: {sorted(attrs)}")
        if tag == "a" and not attrs.get("href"):
            raise ValueError("<a> needs an href")
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise ValueError('<span> must be class="tg-spoiler"')
        if tag == "tg-emoji" and not (attrs.get("emoji-id") or "").isdigit():
            raise ValueError("<tg-emoji> needs a numeric emoji-id")
        language = (attrs.get("class") or "").startswith("language-")
        if tag == "code" and "class" in attrs and not (self.stack[-1:] == ["pre"] and language):
            raise ValueError('only <pre><code class="language-…"> may name a language')

    def _check_nesting(self, tag: str) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent == "code" or (parent == "pre" and tag != "code"):
            raise ValueError(f"<{tag}> inside <{parent}>")
        if (tag == "pre" or (tag == "code" and parent != "pre")) and self.stack:
            raise ValueError(f"<{tag}> cannot be nested in other entities")
        if tag == "a" and "a" in self.stack:
            raise ValueError("<a> inside <a>")
        if tag == "blockquote" and any(t in ("blockquote", "a") for t in self.stack):
            raise ValueError("<blockquote> cannot be nested there")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise ValueError(f"self-closing <{tag}/> is not supported")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ValueError(f"</{tag}> does not close {self.stack[-1:] or 'anything'}")
        self.stack.pop()

    def handle_comment(self, data: str) -> None:
        raise ValueError("comments are not supported")

    def handle_decl(self, decl: str) -> None:
        raise ValueError("declarations are not supported")

    def handle_pi(self, data: str) -> None:
        raise ValueError("processing instructions are not supported")

    def unknown_decl(self, data: str) -> None:
        raise ValueError("declarations are not supported")


def telegram_visible_text(text: str) -> str:
    """The text Telegram shows for ``text`` in HTML mode; ValueError if it would refuse it."""
    # html.parser forgives some of these silently ("AT&T" at the end, "</>"); Telegram does not.
    for pattern, char in ((_BARE_AMP, "&"), (_BARE_LT, "<")):
        if match := pattern.search(text):
            raise ValueError(
                f"unescaped {char!r} at {match.start()}: {text[match.start() :][:20]!r}"
            )
    parser = _TelegramHTML(text)
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise ValueError(f"unclosed tags: {parser.stack}")
    return "".join(parser.text)


def visible_length(text: str) -> int:
    """UTF-16 length of the visible text: what Telegram's limits count."""
    return utf16_len(telegram_visible_text(text))


def validate_telegram_html(
    text: str, *, limit: int = TEXT_LIMIT, allow_empty: bool = False
) -> None:
    """Raise ValueError unless Telegram would accept ``text`` as an HTML message or caption.

    Text messages: ``limit=4096``; captions: ``limit=1024, allow_empty=True``.
    """
    visible = telegram_visible_text(text)
    if not allow_empty and not visible.strip():
        raise ValueError("message text is empty")
    if utf16_len(visible) > limit:
        raise ValueError(f"text is {utf16_len(visible)} UTF-16 units long, limit {limit}")


def validate_message(message: TelegramMessage) -> None:
    """Every rule a message must pass: text/caption HTML and limits, inline keyboard."""
    if message.photo is not None:
        if not safe_url(message.photo):
            raise ValueError(f"photo is not an http(s) URL: {message.photo!r}")
        validate_telegram_html(message.text, limit=CAPTION_LIMIT, allow_empty=True)
    else:
        validate_telegram_html(message.text)
    for row in message.buttons:
        if not row:
            raise ValueError("empty keyboard row")
        for button in row:
            if not button.text.strip():
                raise ValueError("button without text")
            if (button.url is None) == (button.callback_data is None):
                raise ValueError("a button needs exactly one of url, callback_data")
            if button.callback_data is not None:
                size = len(button.callback_data.encode("utf-8"))
                if not 1 <= size <= CALLBACK_DATA_LIMIT:
                    raise ValueError(f"callback_data is {size} bytes, must be 1-64")
            if button.url is not None and not safe_url(button.url):
                raise ValueError(f"button url is not an http(s) URL: {button.url!r}")


# ---------------------------------------------------------------- building blocks

_TAG = re.compile(r"<[^>]*>")


def _length(text: str) -> int:
    """visible_length for HTML this module built (attributes escaped): fast, no validation."""
    return utf16_len(html.unescape(_TAG.sub("", text)))


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def _href(url: str) -> str:
    """A URL ready for href="…": odd characters percent-encoded, then attribute-escaped."""
    return html.escape(quote(url, safe=":/?#[]@!$&'()*+,;=%~.-_"), quote=True)


def link(url: str, label: str) -> str:
    return f'<a href="{_href(url)}">{esc(label)}</a>'


def _head_lines(card: Card, language: str = "en") -> list[str]:
    """The card without its summary: title, votes, people, links, keywords."""
    title = clip(clean_text(card.title) or card.arxiv_id, 300, measure=utf16_len)
    lines = [
        f"<b>{link(card.arxiv_url, title)}</b>",
        f"👍 {card.votes:,} · {link(card.hf_url, 'Hugging Face')}",
    ]
    if authors := shorten_authors(card.authors, language=language):
        lines.append(f"👥 {esc(clip(authors, 400, measure=utf16_len))}")
    if organization := clean_text(card.organization):
        lines.append(f"🏛 {esc(clip(organization, 150, measure=utf16_len))}")
    if github := safe_url(card.github_url):
        stars = f" ⭐ {card.github_stars:,}" if card.github_stars else ""
        lines.append(f"💻 {link(github, 'GitHub')}{stars}")
    if project := safe_url(card.project_url):
        lines.append(f"🌐 {link(project, t('label_project_page', language))}")
    keywords = ", ".join(k for k in (clean_text(k) for k in card.keywords) if k)
    if keywords:
        lines.append(f"🏷 {esc(clip(keywords, 250, measure=utf16_len))}")
    if because := _because(card):
        lines.append(because)
    return lines


def _because(card: Card) -> str:
    """The personal-ranking line ("Because you liked …"), escaped, or ""."""
    text = clean_text(card.because)
    return f"💡 <i>{esc(clip(text, 200, measure=utf16_len))}</i>" if text else ""


def rate_row(card: Card) -> tuple[TgButton, ...]:
    """👍/👎 under a card: they run /like and /dislike for the chat (and the presser)."""
    made = [
        TgButton(label, callback_data=data)
        for label, command in (("👍", "/like"), ("👎", "/dislike"))
        if (data := _callback(f"{command} {card.arxiv_id}"))
    ]
    return tuple(made)


Parts = list[tuple[str | None, str]]


def _summary_parts(card: Card) -> Parts:
    summary = card.summary
    if summary.has_sections:
        parts: Parts = [(heading, clean_text(body)) for heading, body in summary.sections()]
    else:
        parts = [(None, clean_text(summary.text))] if clean_text(summary.text) else []
    if note := clean_text(card.note):
        parts.append((None, clip(note, 200)))
    return parts


def _card_html(head: list[str], parts: Parts) -> str:
    body = [f"<b>{esc(h)}:</b> {esc(t)}" if h else esc(t) for h, t in parts if t]
    return "\n".join(head) + ("\n\n" + "\n\n".join(body) if body else "")


def _fit(head: list[str], parts: Parts, limit: int) -> str | None:
    """The card with its summary clipped (by sentence, else word) to fit ``limit``, or None."""
    full = _card_html(head, parts)
    if _length(full) <= limit:
        return full
    if not parts:
        return None
    overhead = _length(_card_html(head, [(h, "x") for h, _ in parts])) - len(parts)
    available = limit - overhead
    total = sum(utf16_len(t) for _, t in parts)
    if available < _MIN_SUMMARY:
        return None
    clipped = [
        clip_sentences(t, available * utf16_len(t) // total, measure=utf16_len) for _, t in parts
    ]
    slack = available - sum(utf16_len(t) for t in clipped)
    for i, (_, text) in enumerate(parts):  # hand what the sentence cuts left over back out
        if clipped[i] != text and slack > 0:
            better = clip_sentences(text, utf16_len(clipped[i]) + slack, measure=utf16_len)
            slack -= utf16_len(better) - utf16_len(clipped[i])
            clipped[i] = better
    if sum(utf16_len(t) for t in clipped) < min(total, _MIN_SUMMARY):
        return None
    return _card_html(head, [(h, t) for (h, _), t in zip(parts, clipped, strict=True)])


def render_card_html(card: Card, limit: int = TEXT_LIMIT, language: str = "en") -> str:
    """The full card as Telegram HTML, its summary clipped only if it must be."""
    head = _head_lines(card, language)
    return _fit(head, _summary_parts(card), limit) or "\n".join(head)


def _callback(command: str | None) -> str | None:
    if command and 1 <= len(command.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
        return command
    return None


def _reply_buttons(buttons: Sequence[Button]) -> list[tuple[TgButton, ...]]:
    made: list[TgButton] = []
    for button in buttons:
        label = clip(clean_text(button.label), 60) or "Open"
        if url := safe_url(button.url):
            made.append(TgButton(label, url=url))
        elif data := _callback(button.command):
            made.append(TgButton(label, callback_data=data))
    return [tuple(made[i : i + 2]) for i in range(0, len(made), 2)]


def _rows(
    buttons: Sequence[TgButton], per_row: int = BUTTONS_PER_ROW
) -> list[tuple[TgButton, ...]]:
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def _intro_blocks(reply: Reply) -> list[str]:
    blocks: list[str] = []
    if title := clean_text(reply.title):
        blocks.append(f"<b>{esc(clip(title, 300, measure=utf16_len))}</b>")
    text = clean_text(reply.text, keep_newlines=True)
    if text:
        blocks.extend(esc(chunk) for chunk in split_text(text, TEXT_LIMIT - 400, measure=utf16_len))
    return blocks


# ---------------------------------------------------------------- replies


def _item_label(number: int, word: str | None) -> str:
    """A listed item's button: its number, and the action's word when there is one."""
    return f"{number} · {clip(clean_text(word), 40)}" if word and clean_text(word) else str(number)


def _compact(reply: Reply) -> list[TelegramMessage]:
    blocks = _intro_blocks(reply)
    intro = len(blocks)
    for n, card in enumerate(reply.cards, reply.start):
        title = clip(clean_text(card.title) or card.arxiv_id, 200, measure=utf16_len)
        line = f"{n}. {link(card.arxiv_url, title)} · 👍 {card.votes:,} · {link(card.hf_url, '🤗')}"
        if because := _because(card):
            line += "\n    " + because
        if gist := gist_line(card):
            line += f"\n<i>{esc(clip(gist, COMPACT_GIST, measure=utf16_len))}</i>"
        blocks.append(line)
    messages: list[TelegramMessage] = []
    index = 0
    for group in group_blocks(blocks, TEXT_LIMIT, measure=_length, sep="\n"):
        held = range(index, index + len(group))
        index += len(group)
        buttons = [
            TgButton(_item_label(i - intro + reply.start, reply.item_label), callback_data=data)
            for i in held
            if i >= intro and (data := _callback(f"/paper {reply.cards[i - intro].arxiv_id}"))
        ]
        per_row = 2 if reply.item_label else BUTTONS_PER_ROW
        messages.append(
            TelegramMessage(text="\n".join(group), buttons=tuple(_rows(buttons, per_row)))
        )
    return messages


def _cards(reply: Reply) -> list[TelegramMessage]:
    intro = _intro_blocks(reply)
    messages = [TelegramMessage(text=t) for t in pack(intro, TEXT_LIMIT, measure=_length)]
    for card in reply.cards:
        head, parts = _head_lines(card, reply.language), _summary_parts(card)
        # the head already links the HF page; 👍/👎 under the card
        buttons = tuple(row for row in (rate_row(card),) if row)
        photo = safe_url(card.thumbnail_url)
        caption = _fit(head, parts, CAPTION_LIMIT) if photo else None
        if caption is not None:
            messages.append(TelegramMessage(text=caption, photo=photo, buttons=buttons))
        else:
            text = _fit(head, parts, TEXT_LIMIT) or "\n".join(head)
            messages.append(TelegramMessage(text=text, buttons=buttons))
    return messages


def _text_only(reply: Reply) -> list[TelegramMessage]:
    blocks = _intro_blocks(reply)
    return [TelegramMessage(text=t) for t in pack(blocks, TEXT_LIMIT, measure=_length)]


def render_reply(reply: Reply) -> list[TelegramMessage]:
    """Telegram messages for a reply, in order; reply.buttons go under the last one."""
    if reply.is_error or not reply.cards:
        messages = _text_only(reply)
    elif reply.style == "cards":
        messages = _cards(reply)
    else:
        messages = _compact(reply)
    extra = _reply_buttons(reply.buttons)
    if extra:
        if not messages:
            messages = [TelegramMessage(text="🔗")]
        last = messages[-1]
        messages[-1] = TelegramMessage(
            text=last.text,
            photo=last.photo,
            buttons=last.buttons + tuple(extra),
            disable_preview=last.disable_preview,
        )
    return messages
