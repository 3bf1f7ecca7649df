"""One entry point for printable renderings of a reply (CLI ``--format``, console)."""

from __future__ import annotations

import json

from adapters.discord.render import message_payload
from adapters.discord.render import render_reply as discord_messages
from adapters.jsonfmt import render_json
from adapters.markdown import render_markdown
from adapters.telegram.render import render_reply as telegram_messages
from adapters.text import render_text
from bot.domain import Reply
from bot.errors import BadArgument

FORMATS = ("text", "markdown", "json", "telegram", "discord")


def _telegram(reply: Reply) -> str:
    messages = telegram_messages(reply)
    parts = []
    for n, message in enumerate(messages, 1):
        kind = f"photo {message.photo}" if message.photo else "text"
        header = f"──── Telegram message {n}/{len(messages)} ({kind}) ────"
        buttons = [
            " | ".join(f"[{b.text} → {b.url or b.callback_data}]" for b in row)
            for row in message.buttons
        ]
        parts.append("\n".join([header, message.text, *buttons]))
    return "\n\n".join(parts) + "\n"


def _discord(reply: Reply) -> str:
    payloads = [message_payload(m) for m in discord_messages(reply)]
    return json.dumps(payloads, ensure_ascii=False, indent=2) + "\n"


def render(reply: Reply, fmt: str) -> str:
    """``reply`` as a printable string in one of FORMATS."""
    if fmt == "text":
        return render_text(reply)
    if fmt == "markdown":
        return render_markdown(reply)
    if fmt == "json":
        return render_json(reply) + "\n"
    if fmt == "telegram":
        return _telegram(reply)
    if fmt == "discord":
        return _discord(reply)
    raise BadArgument(f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.")
