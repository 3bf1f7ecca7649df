"""Daily Papers bot: the platform-neutral core.

Nothing under ``bot`` imports ``telegram`` or ``discord``; adapters translate.
"""

__version__ = "0.1.0"
