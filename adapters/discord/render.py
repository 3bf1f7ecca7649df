"""Reply → Discord messages with embeds (pure: no network, no discord import).

Lengths are counted in UTF-16 code units: Discord documents "characters", and counting
UTF-16 units is never less than counting code points, so a message that fits here fits
there. ``validate_discord_message`` is the check the fake Discord server applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.cards import (
    clean_text,
    clip,
    gist_line,
    group_blocks,
    safe_url,
    shorten_authors,
    split_text,
    utf16_len,
)
from bot.domain import Button, Card, Reply
from bot.i18n import t

CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL = 6000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
BUTTONS_LIMIT = 25
BUTTON_LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
BUTTON_URL_LIMIT = 512
URL_LIMIT = 2048
COLOR = 0xFFD21E  # Hugging Face yellow


@dataclass(frozen=True)
class DiscordButton:
    label: str
    url: str | None = None
    custom_id: str | None = None


@dataclass(frozen=True)
class DiscordMessage:
    content: str = ""
    embeds: tuple[dict[str, Any], ...] = ()  # Discord API embed JSON, all limits respected
    buttons: tuple[DiscordButton, ...] = ()


# ---------------------------------------------------------------- escaping

_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()])")
_LINE_START = re.compile(r"(?m)^(\s*(?:\d+)?)([#+.-])")
_MASS_MENTION = re.compile(r"@(everyone|here)")
_MENTION = re.compile(r"<([@#:/]|t:|a:)")  # users, roles, channels, emoji, commands


def escape_markdown(text: str) -> str:
    """Untrusted text made literal in Discord markdown; mass mentions defused."""
    text = _LINE_START.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", text))
    # two passes: "<@everyone" must lose both its mention and its mass mention
    text = _MASS_MENTION.sub("@\u200b\\1", text)
    return _MENTION.sub("<\u200b\\1", text)


def _escaped_len(text: str) -> int:
    return utf16_len(escape_markdown(text))


def _md(text: str, limit: int) -> str:
    """Clean, clip (so the escaped text fits ``limit``) and escape."""
    return escape_markdown(clip(clean_text(text), limit, measure=_escaped_len))


def _url(url: str) -> str:
    """Percent-encode what would end a markdown link target early."""
    return quote(url, safe=":/?#[]@!$&'*+,;=%~.-_")


def _embed_url(url: str) -> str | None:
    return url if (url := _url(url)) and safe_url(url) and len(url) <= URL_LIMIT else None


def _mdlink(label: str, url: str) -> str:
    # "@" percent-encoded too: a link target is text Discord scans for "@everyone"
    return f"[{label}]({_url(url).replace('@', '%40')})"


# ---------------------------------------------------------------- embeds


def _field(name: str, value: str, inline: bool = False) -> dict[str, Any]:
    return {"name": name, "value": value, "inline": inline}


def embed_length(embed: Mapping[str, Any]) -> int:
    """What Discord sums towards the 6000 limit for one embed."""
    parts = [embed.get("title"), embed.get("description")]
    parts += [(embed.get("footer") or {}).get("text"), (embed.get("author") or {}).get("name")]
    for field in embed.get("fields") or ():
        parts += [field.get("name"), field.get("value")]
    return sum(utf16_len(p) for p in parts if isinstance(p, str))


def _title(card: Card, prefix: str = "") -> str:
    title = clean_text(card.title) or clean_text(card.arxiv_id) or "Untitled"
    return clip(prefix + title, TITLE_LIMIT, measure=utf16_len)


def _footer(card: Card) -> dict[str, str]:
    day = f" · Daily Papers {card.day.isoformat()}" if card.day else ""
    return {"text": clip(f"arXiv {clean_text(card.arxiv_id)}{day}", 200, measure=utf16_len)}


def card_embed(card: Card, language: str = "en") -> dict[str, Any]:
    """One paper's full embed; every limit of a single embed respected (≤ 6000 in total)."""
    votes = f"👍 {card.votes:,}"
    if hf := _embed_url(card.hf_url):
        votes += f" · {_mdlink('Hugging Face', hf)}"
    fields = [_field(t("label_votes", language), votes, inline=True)]
    if because := clean_text(card.because):
        fields.append(_field("💡", _md(because, 256)))
    if organization := clean_text(card.organization):
        fields.append(
            _field(t("label_organization", language), _md(organization, 256), inline=True)
        )
    if authors := shorten_authors(card.authors, language=language):
        fields.append(_field(t("label_authors", language), _md(authors, FIELD_VALUE_LIMIT)))
    if github := safe_url(card.github_url):
        stars = f" ⭐ {card.github_stars:,}" if card.github_stars else ""
        if utf16_len(code := _mdlink("GitHub", github) + stars) <= 300:
            fields.append(_field(t("label_code", language), code, inline=True))
    project = safe_url(card.project_url)
    if project and utf16_len(page := _mdlink(t("label_project_page", language), project)) <= 300:
        fields.append(_field(t("label_project", language), page, inline=True))
    keywords = ", ".join(k for k in (clean_text(k) for k in card.keywords) if k)
    if keywords:
        fields.append(_field(t("label_keywords", language), _md(keywords, 512)))
    embed: dict[str, Any] = {"title": _title(card), "color": COLOR}
    if url := _embed_url(card.arxiv_url):
        embed["url"] = url
    if url := _embed_url(card.thumbnail_url):
        embed["thumbnail"] = {"url": url}
    embed["footer"] = _footer(card)
    summary = card.summary
    room = EMBED_TOTAL - embed_length({**embed, "fields": fields})
    if summary.has_sections:
        sections = summary.sections()
        share = min(FIELD_VALUE_LIMIT, (room - 300) // max(len(sections), 1))
        for heading, body in sections:
            if value := _md(body, share):
                fields.append(_field(heading, value))
    elif text := clean_text(summary.text):
        embed["description"] = _md(text, min(DESCRIPTION_LIMIT, room - 300))
    if note := clean_text(card.note):
        fields.append(_field("ℹ️", _md(note, 250)))
    embed["fields"] = fields
    return embed


def compact_embed(card: Card, number: int, language: str = "en") -> dict[str, Any]:
    """A short embed for listings: title, link, thumbnail, votes, a few authors, the gist."""
    lines = [f"👍 {card.votes:,}"]
    if authors := shorten_authors(card.authors, max_names=3, language=language):
        lines[0] += f" · {_md(authors, 300)}"
    if sentence := gist_line(card):
        lines.append(_md(sentence, 400))
    if because := clean_text(card.because):
        lines.append(f"💡 *{_md(because, 200)}*")
    embed: dict[str, Any] = {"title": _title(card, f"{number}. "), "color": COLOR}
    if url := _embed_url(card.arxiv_url):
        embed["url"] = url
    embed["description"] = "\n".join(lines)
    if thumbnail := _embed_url(card.thumbnail_url):
        embed["thumbnail"] = {"url": thumbnail}
    return embed


# ---------------------------------------------------------------- messages


def _content_chunks(reply: Reply) -> list[str]:
    lines: list[str] = []
    if title := clean_text(reply.title):
        lines.append(f"**{_md(title, 300)}**")
    if text := clean_text(reply.text, keep_newlines=True):
        lines.extend(escape_markdown(chunk) for chunk in split_text(text, 900))
    return [c for c in _pack_lines(lines) if c.strip()]


def _pack_lines(lines: Sequence[str]) -> list[str]:
    chunks: list[str] = []
    for group in group_blocks(lines, CONTENT_LIMIT, measure=utf16_len):
        chunks.append("\n".join(group))
    return chunks


def _buttons(buttons: Sequence[Button]) -> tuple[DiscordButton, ...]:
    made: list[DiscordButton] = []
    for button in buttons:
        if button.command and any(b.custom_id == button.command for b in made):
            continue
        label = clip(clean_text(button.label), BUTTON_LABEL_LIMIT, measure=utf16_len) or "Open"
        url = safe_url(button.url)
        if url and len(url) <= BUTTON_URL_LIMIT:
            made.append(DiscordButton(label, url=url))
        elif button.command and 1 <= utf16_len(button.command) <= CUSTOM_ID_LIMIT:
            made.append(DiscordButton(label, custom_id=button.command))
    return tuple(made[:BUTTONS_LIMIT])


def _embed_messages(embeds: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Embeds packed ≤ 10 and ≤ 6000 characters per message."""
    messages: list[list[dict[str, Any]]] = []
    total = 0
    for embed in embeds:
        size = embed_length(embed)
        if messages and len(messages[-1]) < EMBEDS_PER_MESSAGE and total + size <= EMBED_TOTAL:
            messages[-1].append(embed)
            total += size
        else:
            messages.append([embed])
            total = size
    return messages


def render_reply(reply: Reply) -> list[DiscordMessage]:
    """Discord messages for a reply, in order; reply.buttons go on the last one."""
    contents = _content_chunks(reply)
    messages = [DiscordMessage(content=c) for c in contents]
    if not reply.is_error and reply.cards:
        if reply.style == "cards":
            embeds = [card_embed(card, reply.language) for card in reply.cards]
        else:
            embeds = [
                compact_embed(card, n, reply.language)
                for n, card in enumerate(reply.cards, reply.start)
            ]
        groups = _embed_messages(embeds)
        first = 0
        if messages:  # the title rides along with the first embeds
            messages[-1] = DiscordMessage(content=messages[-1].content, embeds=tuple(groups[0]))
            first = 1
        messages.extend(DiscordMessage(embeds=tuple(group)) for group in groups[first:])
        if reply.style == "compact":
            messages = _with_paper_buttons(messages, reply.cards, reply.start, reply.item_label)
        else:
            messages = _with_rate_buttons(messages, reply.cards)
    extra = _buttons(reply.buttons)
    if extra:
        if not messages:
            messages = [DiscordMessage(content="🔗")]
        last = messages[-1]
        taken = {b.custom_id for b in last.buttons if b.custom_id}
        fresh = [b for b in extra if not b.custom_id or b.custom_id not in taken]
        room = BUTTONS_LIMIT - len(last.buttons)
        messages[-1] = DiscordMessage(last.content, last.embeds, last.buttons + tuple(fresh[:room]))
    return messages


def _with_paper_buttons(
    messages: list[DiscordMessage],
    cards: Sequence[Card],
    start: int = 1,
    item_label: str | None = None,
) -> list[DiscordMessage]:
    """A "/paper <id>" button under each listed paper, numbered like the embeds."""
    result: list[DiscordMessage] = []
    number = 0
    for message in messages:
        buttons: list[DiscordButton] = []
        for _ in message.embeds:
            card = cards[number]
            number += 1
            command = f"/paper {clean_text(card.arxiv_id)}"
            unique = all(b.custom_id != command for b in buttons)  # Discord refuses duplicates
            if utf16_len(command) <= CUSTOM_ID_LIMIT and unique:
                label = str(number + start - 1)
                if word := clean_text(item_label):
                    label = clip(f"{label} · {word}", BUTTON_LABEL_LIMIT, measure=utf16_len)
                buttons.append(DiscordButton(label, custom_id=command))
        result.append(DiscordMessage(message.content, message.embeds, tuple(buttons)))
    return result


def _with_rate_buttons(
    messages: list[DiscordMessage], cards: Sequence[Card]
) -> list[DiscordMessage]:
    """👍/👎 for each full card ("/like <id>", "/dislike <id>"), numbered when several share a
    message; at most 10 embeds a message, so 20 buttons fit in Discord's 25."""
    result: list[DiscordMessage] = []
    number = 0
    for message in messages:
        buttons: list[DiscordButton] = []
        several = len(message.embeds) > 1
        for _ in message.embeds:
            card = cards[number]
            number += 1
            for mark, command in (("👍", "/like"), ("👎", "/dislike")):
                custom_id = f"{command} {clean_text(card.arxiv_id)}"
                fresh = all(b.custom_id != custom_id for b in buttons)
                if utf16_len(custom_id) <= CUSTOM_ID_LIMIT and fresh:
                    label = f"{mark} {number}" if several else mark
                    buttons.append(DiscordButton(label, custom_id=custom_id))
        result.append(DiscordMessage(message.content, message.embeds, tuple(buttons)))
    return result


# ---------------------------------------------------------------- API payloads and validation


def message_payload(message: DiscordMessage) -> dict[str, Any]:
    """The JSON body Discord receives (content, embeds, components)."""
    payload: dict[str, Any] = {}
    if message.content:
        payload["content"] = message.content
    if message.embeds:
        payload["embeds"] = [dict(e) for e in message.embeds]
    if message.buttons:
        rows = [message.buttons[i : i + 5] for i in range(0, len(message.buttons), 5)]
        payload["components"] = [
            {"type": 1, "components": [_button_payload(b) for b in row]} for row in rows
        ]
    return payload


def _button_payload(button: DiscordButton) -> dict[str, Any]:
    if button.url is not None:
        return {"type": 2, "style": 5, "label": button.label, "url": button.url}
    return {"type": 2, "style": 2, "label": button.label, "custom_id": button.custom_id}


def _check_str(value: Any, what: str, limit: int, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string")
    if required and not value.strip():
        raise ValueError(f"{what} must not be empty")
    if utf16_len(value) > limit:
        raise ValueError(f"{what} is {utf16_len(value)} characters, limit {limit}")


def _check_embed(embed: Any, n: int) -> None:
    if not isinstance(embed, Mapping):
        raise ValueError(f"embed {n} is not an object")
    _check_str(embed.get("title"), f"embed {n} title", TITLE_LIMIT)
    _check_str(embed.get("description"), f"embed {n} description", DESCRIPTION_LIMIT)
    urls = [("url", embed.get("url"))]
    urls += [(f"{k}.url", (embed.get(k) or {}).get("url")) for k in ("thumbnail", "image")]
    for key, url in urls:
        if url is not None and not (safe_url(url) and len(url) <= URL_LIMIT):
            raise ValueError(f"embed {n} {key} is not an http(s) URL")
    fields = embed.get("fields") or []
    if not isinstance(fields, list | tuple) or len(fields) > FIELDS_LIMIT:
        raise ValueError(f"embed {n} has more than {FIELDS_LIMIT} fields")
    for i, field in enumerate(fields):
        _check_str(field.get("name"), f"embed {n} field {i} name", FIELD_NAME_LIMIT, required=True)
        value = field.get("value")
        _check_str(value, f"embed {n} field {i} value", FIELD_VALUE_LIMIT, required=True)
    _check_str((embed.get("footer") or {}).get("text"), f"embed {n} footer", FOOTER_LIMIT)
    _check_str((embed.get("author") or {}).get("name"), f"embed {n} author", AUTHOR_LIMIT)


def validate_discord_message(payload: DiscordMessage | Mapping[str, Any]) -> None:
    """Raise ValueError where Discord would refuse the message (limits, shapes, emptiness).

    Takes a ``DiscordMessage`` or the JSON body of a create-message/interaction request.
    """
    if isinstance(payload, DiscordMessage):
        payload = message_payload(payload)
    content = payload.get("content")
    _check_str(content, "content", CONTENT_LIMIT)
    embeds = payload.get("embeds") or []
    components = payload.get("components") or []
    if not (content or "").strip() and not embeds and not components:
        raise ValueError("Cannot send an empty message")
    if len(embeds) > EMBEDS_PER_MESSAGE:
        raise ValueError(f"{len(embeds)} embeds, limit {EMBEDS_PER_MESSAGE}")
    for n, embed in enumerate(embeds):
        _check_embed(embed, n)
    total = sum(embed_length(e) for e in embeds)
    if total > EMBED_TOTAL:
        raise ValueError(f"embeds total {total} characters, limit {EMBED_TOTAL}")
    if len(components) > 5:
        raise ValueError("more than 5 action rows")
    seen: set[str] = set()
    for row in components:
        buttons = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(buttons) <= 5:
            raise ValueError("an action row holds 1-5 components")
        for button in buttons:
            _check_button(button)
            if custom_id := button.get("custom_id"):
                if custom_id in seen:
                    raise ValueError(f"duplicate custom_id {custom_id!r}")
                seen.add(custom_id)


def _check_button(button: Mapping[str, Any]) -> None:
    _check_str(button.get("label"), "button label", BUTTON_LABEL_LIMIT, required=True)
    if button.get("style") == 5:
        url = button.get("url")
        if not isinstance(url, str) or not safe_url(url) or len(url) > BUTTON_URL_LIMIT:
            raise ValueError("a link button needs an http(s) url of at most 512 characters")
        if "custom_id" in button:
            raise ValueError("a link button cannot have a custom_id")
    else:
        _check_str(button.get("custom_id"), "custom_id", CUSTOM_ID_LIMIT, required=True)
