"""Domain errors whose message is meant for the user. Nothing else reaches a user."""

from __future__ import annotations


class BotError(Exception):
    """Base class: ``str(error)`` is a friendly, already-localised sentence."""


class BadArgument(BotError):
    """The user typed something we cannot use (a bad date, an unknown setting...)."""


class NotAllowed(BotError):
    """The user may not do this here (only chat admins may change a chat's settings)."""


class NotFound(BotError):
    """A paper or subscription that does not exist."""


class SourceUnavailable(BotError):
    """Hugging Face (or another outside service) could not be reached or answered badly."""


class PlatformUnavailable(BotError):
    """A chat platform could not be started (bad token, unreachable API)."""


class AlreadyRunning(BotError):
    """Another ``dailypapers run`` already uses this database (SQLite) or this INSTANCE_ID."""
