"""The slash commands: typed options and choices that turn into the core's argument strings.

Each command only builds ``args`` (what a Telegram user would type after ``/name``) and hands it
to ``run(interaction, name, args)``; the core parses and validates it like any other text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.app_commands import AppCommandChannel, AppCommandThread, Choice, Range

from bot.domain import STYLES
from bot.schedule import PERIODS, WEEKDAYS
from bot.subscriptions import SETTINGS

MAX_CHOICES = 25  # Discord's limit for choices and autocomplete results

# text and announcement channels, forums, threads: where a morning post can go
SUBSCRIBABLE = (
    discord.ChannelType.text,
    discord.ChannelType.news,
    discord.ChannelType.forum,
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
)
Picked = AppCommandChannel | AppCommandThread | discord.Object


class Run(Protocol):
    async def __call__(
        self, interaction: discord.Interaction, name: str, args: str, channel: Picked | None = None
    ) -> None: ...


class ChannelOption(app_commands.Transformer):
    """A channel picked in the command: Discord's resolved channel as is (with the member's
    permissions in it), not discord.py's cached channel, which an archived thread lacks. The
    client checks what it got (``discord.Object`` when Discord resolved nothing)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return list(SUBSCRIBABLE)

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> Picked:
        return value


CHANNEL_HELP = "another channel, forum or thread of this server (default: here)"


@lru_cache(maxsize=1)
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def value_suggestions(key: str | None, current: str) -> list[str]:
    """What /settings can suggest for ``value`` once ``key`` is chosen (≤ 25)."""
    needle = current.strip().lower()
    if key == "timezone":
        candidates: tuple[str, ...] = _timezones()
    elif key == "style":
        candidates = STYLES
    elif key in ("emptynote", "paused"):
        candidates = ("on", "off")
    elif key == "rank":
        candidates = ("votes", "personal", "reset")
    elif key == "language":
        candidates = ("en", "ko")
    elif key == "digest":
        candidates = PERIODS
    elif key == "weekday":
        candidates = WEEKDAYS
    elif key == "time":
        candidates = tuple(f"{h:02d}:00" for h in range(24))
    else:
        return []
    starts = [c for c in candidates if c.lower().startswith(needle)]
    contains = [c for c in candidates if needle in c.lower() and c not in starts]
    return (starts + contains)[:MAX_CHOICES]


def register_commands(
    tree: app_commands.CommandTree, run: Run, descriptions: dict[str, str]
) -> None:
    """Adds /today /date /top /search /paper /help /subscribe /unsubscribe /settings."""

    def text(name: str) -> str:
        return (descriptions.get(name) or name)[:100]

    @tree.command(name="today", description=text("today"))
    async def today(interaction: discord.Interaction) -> None:
        await run(interaction, "today", "")

    @tree.command(name="date", description=text("date"))
    @app_commands.describe(day="YYYY-MM-DD, or 'yesterday'")
    async def date(interaction: discord.Interaction, day: Range[str, 1, 40]) -> None:
        await run(interaction, "date", day)

    @tree.command(name="top", description=text("top"))
    @app_commands.describe(n="how many papers (1-50)", period="the last week or month")
    @app_commands.choices(
        period=[Choice(name="week", value="week"), Choice(name="month", value="month")]
    )
    async def top(
        interaction: discord.Interaction, n: Range[int, 1, 50] = 10, period: str = "week"
    ) -> None:
        await run(interaction, "top", f"{n} {period}")

    @tree.command(name="search", description=text("search"))
    @app_commands.describe(query="words from a title, an abstract or a keyword")
    async def search(interaction: discord.Interaction, query: Range[str, 1, 200]) -> None:
        await run(interaction, "search", query)

    @tree.command(name="paper", description=text("paper"))
    @app_commands.describe(arxiv_id="an arXiv id (2501.05366) or an arXiv / Hugging Face link")
    async def paper(interaction: discord.Interaction, arxiv_id: Range[str, 1, 200]) -> None:
        await run(interaction, "paper", arxiv_id)

    @tree.command(name="like", description=text("like"))
    @app_commands.describe(arxiv_id="an arXiv id (2501.05366) or an arXiv / Hugging Face link")
    async def like(interaction: discord.Interaction, arxiv_id: Range[str, 1, 200]) -> None:
        await run(interaction, "like", arxiv_id)

    @tree.command(name="dislike", description=text("dislike"))
    @app_commands.describe(arxiv_id="an arXiv id (2501.05366) or an arXiv / Hugging Face link")
    async def dislike(interaction: discord.Interaction, arxiv_id: Range[str, 1, 200]) -> None:
        await run(interaction, "dislike", arxiv_id)

    @tree.command(name="ratings", description=text("ratings"))
    async def ratings(interaction: discord.Interaction) -> None:
        await run(interaction, "ratings", "")

    @tree.command(name="foryou", description=text("foryou"))
    @app_commands.describe(n="how many papers (1-20)")
    async def foryou(interaction: discord.Interaction, n: Range[int, 1, 20] = 5) -> None:
        await run(interaction, "foryou", str(n))

    @tree.command(name="help", description=text("help"))
    async def help_(interaction: discord.Interaction) -> None:
        await run(interaction, "help", "")

    # Hidden from members without Manage Channels; the core checks again (check_admin),
    # because a server's admins can override these defaults per role or channel.
    # A forum takes no slash commands, and one typed in a forum post is about that post:
    # the optional ``channel`` lets an admin subscribe the forum itself from elsewhere.
    @tree.command(name="subscribe", description=text("subscribe"))
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.describe(channel=CHANNEL_HELP)
    async def subscribe(
        interaction: discord.Interaction,
        channel: app_commands.Transform[Picked, ChannelOption] | None = None,
    ) -> None:
        await run(interaction, "subscribe", "", channel)

    @tree.command(name="unsubscribe", description=text("unsubscribe"))
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.describe(channel=CHANNEL_HELP)
    async def unsubscribe(
        interaction: discord.Interaction,
        channel: app_commands.Transform[Picked, ChannelOption] | None = None,
    ) -> None:
        await run(interaction, "unsubscribe", "", channel)

    @tree.command(name="settings", description=text("settings"))
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.describe(
        key="the setting to change (leave empty to show all)",
        value="new value",
        channel=CHANNEL_HELP,
    )
    @app_commands.choices(key=[Choice(name=key, value=key) for key in SETTINGS])
    async def settings(
        interaction: discord.Interaction,
        key: str | None = None,
        value: Range[str, 1, 200] | None = None,
        channel: app_commands.Transform[Picked, ChannelOption] | None = None,
    ) -> None:
        args = "" if key is None else f"{key} {value or ''}".strip()
        await run(interaction, "settings", args, channel)

    @settings.autocomplete("value")
    async def settings_value(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        key = getattr(interaction.namespace, "key", None)
        return [Choice(name=v, value=v) for v in value_suggestions(key, current)]
