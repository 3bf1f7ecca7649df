"""A rendered ``DiscordMessage`` as keyword arguments for discord.py's send methods."""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.render import DiscordMessage

# an optional prefix; the renderer puts the core command line itself ("/paper 2501.05366")
CUSTOM_ID_PREFIX = "dp:"


def make_view(message: DiscordMessage) -> discord.ui.View | None:
    """Link buttons and command buttons. The view is stopped before it is sent, so discord.py
    does not keep it in memory: command buttons are handled by the client's on_interaction,
    which also works for messages sent before a restart."""
    if not message.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in message.buttons:
        if button.url:
            view.add_item(discord.ui.Button(label=button.label, url=button.url))
        elif button.custom_id:
            view.add_item(
                discord.ui.Button(
                    label=button.label,
                    custom_id=button.custom_id,
                    style=discord.ButtonStyle.secondary,
                )
            )
    view.stop()
    return view


def message_kwargs(message: DiscordMessage) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if message.content:
        kwargs["content"] = message.content
    if message.embeds:
        kwargs["embeds"] = [discord.Embed.from_dict(dict(e)) for e in message.embeds]
    view = make_view(message)
    if view is not None:
        kwargs["view"] = view
    return kwargs


def command_of(custom_id: str) -> str | None:
    """The core command line behind a button's custom_id, or None if it is not ours."""
    value = custom_id.removeprefix(CUSTOM_ID_PREFIX)
    return value if value.startswith("/") else None
