"""Reply → plain text for the terminal (console adapter, ``digest --format text``).

With ``color=True`` the result is rich console markup; untrusted text goes through
``rich.markup.escape`` so a title like "[bold]" stays literal.
"""

from __future__ import annotations

from rich.markup import escape as rich_escape

from bot.cards import clean_text, first_sentence, safe_url, shorten_authors
from bot.domain import Card, Reply


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def text(self, value: str) -> str:
        return rich_escape(value) if self.color else value

    def wrap(self, markup: str, value: str) -> str:
        return f"[{markup}]{self.text(value)}[/{markup}]" if self.color else value


def _card(card: Card, number: int, full: bool, s: _Style) -> list[str]:
    title = clean_text(card.title) or clean_text(card.arxiv_id)
    lines = [f"{number}. {s.wrap('bold', title)}  (👍 {card.votes:,})"]
    lines.append(f"   {s.wrap('blue', card.arxiv_url)}")
    authors = shorten_authors(card.authors, max_names=8 if full else 3)
    if authors:
        lines.append(f"   Authors: {s.text(authors)}")
    if because := clean_text(card.because):
        lines.append(f"   💡 {s.text(because)}")
    summary = card.summary
    if not full:
        gist = summary.whats_new if summary.has_sections else summary.text
        if sentence := first_sentence(clean_text(gist)):
            lines.append(f"   {s.text(sentence)}")
        return lines
    if organization := clean_text(card.organization):
        lines.append(f"   Organization: {s.text(organization)}")
    if github := safe_url(card.github_url):
        stars = f" (⭐ {card.github_stars:,})" if card.github_stars else ""
        lines.append(f"   Code: {s.text(github)}{stars}")
    if project := safe_url(card.project_url):
        lines.append(f"   Project page: {s.text(project)}")
    if keywords := [k for k in (clean_text(k) for k in card.keywords) if k]:
        lines.append(f"   Keywords: {s.text(', '.join(keywords))}")
    if summary.has_sections:
        for heading, body in summary.sections():
            lines.append(f"   {s.wrap('bold', heading)}: {s.text(clean_text(body))}")
    elif text := clean_text(summary.text):
        lines.append(f"   {s.text(text)}")
    return lines


def render_text(reply: Reply, *, color: bool = False) -> str:
    """Readable plain text: a title, the reply's text, then one block per card."""
    s = _Style(color)
    blocks: list[str] = []
    if title := clean_text(reply.title):
        underline = "=" * min(len(title), 80)
        blocks.append(f"{s.wrap('bold', title)}\n{underline}")
    if text := clean_text(reply.text, keep_newlines=True):
        blocks.append(s.wrap("red", text) if reply.is_error else s.text(text))
    if not reply.is_error:
        full = reply.style == "cards"
        for number, card in enumerate(reply.cards, 1):
            blocks.append("\n".join(_card(card, number, full, s)))
    return "\n\n".join(blocks) + "\n" if blocks else ""
