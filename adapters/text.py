"""Reply → plain text for the terminal (console adapter, ``digest --format text``).

With ``color=True`` the result is rich console markup; untrusted text goes through
``rich.markup.escape`` so a title like "[bold]" stays literal.
"""

from __future__ import annotations

from rich.markup import escape as rich_escape

from bot.cards import clean_text, gist_line, safe_url, shorten_authors
from bot.domain import Card, Reply
from bot.i18n import t


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def text(self, value: str) -> str:
        return rich_escape(value) if self.color else value

    def wrap(self, markup: str, value: str) -> str:
        return f"[{markup}]{self.text(value)}[/{markup}]" if self.color else value


def _card(card: Card, number: int, full: bool, s: _Style, language: str = "en") -> list[str]:
    title = clean_text(card.title) or clean_text(card.arxiv_id)
    lines = [f"{number}. {s.wrap('bold', title)}  (👍 {card.votes:,})"]
    lines.append(f"   {s.wrap('blue', card.arxiv_url)}")
    authors = shorten_authors(card.authors, max_names=8 if full else 3, language=language)
    if authors:
        lines.append(f"   {t('label_authors', language)}: {s.text(authors)}")
    if because := clean_text(card.because):
        lines.append(f"   💡 {s.text(because)}")
    summary = card.summary
    if not full:
        if sentence := gist_line(card):
            lines.append(f"   {s.text(sentence)}")
        return lines
    if organization := clean_text(card.organization):
        lines.append(f"   {t('label_organization', language)}: {s.text(organization)}")
    if github := safe_url(card.github_url):
        stars = f" (⭐ {card.github_stars:,})" if card.github_stars else ""
        lines.append(f"   {t('label_code', language)}: {s.text(github)}{stars}")
    if project := safe_url(card.project_url):
        lines.append(f"   {t('label_project_page', language)}: {s.text(project)}")
    if keywords := [k for k in (clean_text(k) for k in card.keywords) if k]:
        lines.append(f"   {t('label_keywords', language)}: {s.text(', '.join(keywords))}")
    if summary.has_sections:
        for heading, body in summary.sections():
            lines.append(f"   {s.wrap('bold', heading)}: {s.text(clean_text(body))}")
    elif text := clean_text(summary.text):
        lines.append(f"   {s.text(text)}")
    if note := clean_text(card.note):
        lines.append(f"   {s.wrap('italic', note)}")
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
        for number, card in enumerate(reply.cards, reply.start):
            blocks.append("\n".join(_card(card, number, full, s, reply.language)))
    if reply.more and not reply.is_error:
        label = next((b.label for b in reply.buttons if b.command == reply.more), "More")
        blocks.append(s.text(f"» {clean_text(label)}: /more"))
    return "\n\n".join(blocks) + "\n" if blocks else ""
