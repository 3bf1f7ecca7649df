"""Reply → Markdown in the seed's shape (docs, archives, ``digest --format markdown``).

Markdown is a document, not a chat: every card is shown in full whatever the reply's style.
Its labels ("Vote:", "Authors:", "… +N more") stay English in every language: the seed
(``/work/shared/seed``, a Korean digest) fixes this shape, and readers of archives rely on it.
Untrusted text is backslash-escaped (CommonMark lets any ASCII punctuation be escaped), but
only the characters that could change the structure, so ordinary prose comes out as is.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from bot.cards import clean_text, safe_url, shorten_authors
from bot.domain import Card, Reply

_INLINE = re.compile(r"([\\`*_\[\]<>&~|])")
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_BLOCK_START = re.compile(r"^(\s*\d*)([#>+=.)-])")


def escape(text: str) -> str:
    """Inline-safe Markdown for untrusted text (one line: whitespace is collapsed)."""
    text = _INLINE.sub(r"\\\1", clean_text(text))
    return _BLOCK_START.sub(r"\1\\\2", text)


def link_target(url: str) -> str:
    """A URL safe inside ``( )`` of a Markdown link: spaces, parentheses and brackets encoded."""
    encoded = quote(url, safe=":/?#@!$&'*+,;=%~.-_")
    return _ENTITY_LIKE.sub("%26", encoded)  # "&#128512;" would be decoded as an entity


def _card(card: Card) -> list[str]:
    title = escape(card.title) or escape(card.arxiv_id)
    lines = [f"### [{title}]({link_target(card.arxiv_url)})", ""]
    lines += [f"![]({link_target(card.thumbnail_url)})", "", f"Vote: {card.votes}", ""]
    if authors := shorten_authors(card.authors):
        lines += [f"Authors: {escape(authors)}", ""]
    if organization := clean_text(card.organization):
        lines += [f"Organization: {escape(organization)}", ""]
    if github := safe_url(card.github_url):
        stars = f" (⭐ {card.github_stars:,})" if card.github_stars else ""
        lines += [f"Code: <{link_target(github)}>{stars}", ""]
    if project := safe_url(card.project_url):
        lines += [f"Project page: <{link_target(project)}>", ""]
    if keywords := [k for k in (clean_text(k) for k in card.keywords) if k]:
        lines += [f"Keywords: {escape(', '.join(keywords))}", ""]
    if because := clean_text(card.because):
        lines += [f"💡 *{escape(because)}*", ""]
    summary = card.summary
    if summary.has_sections:
        lines += [f"- ***{heading}***: {escape(body)}" for heading, body in summary.sections()]
        lines.append("")
    elif text := escape(summary.text or ""):
        lines += [text, ""]
    return lines


def render_markdown(reply: Reply) -> str:
    """ "## Daily Papers (DAY)", then per card the seed's "### [Title](arXiv)" block."""
    lines: list[str] = []
    if title := clean_text(reply.title):
        lines += [f"## {escape(title)}", ""]
    text = clean_text(reply.text, keep_newlines=True)
    for paragraph in filter(None, (escape(p) for p in text.split("\n"))):
        lines += [paragraph, ""]
    if not reply.is_error:
        for card in reply.cards:
            lines += _card(card)
    return "\n".join(lines) + ("\n" if lines else "")
