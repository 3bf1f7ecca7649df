"""The IANA timezones a chat may choose: those the bundled ``tzdata`` package holds and loads.

The system's zoneinfo directory may add names that are not real zones (``localtime``, a link to
the host's zone) and tzdata has ``Factory`` (a placeholder zone): neither is accepted, so a
subscription's timezone is always one every instance of the bot can load.
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from zoneinfo import ZoneInfo

REFUSED = frozenset({"Factory", "localtime", "posixrules"})


@cache
def timezones() -> dict[str, str]:
    """Lower-case name → canonical name of every zone the bundled tzdata can load."""
    names = importlib.resources.files("tzdata").joinpath("zones").read_text().split()
    usable = {}
    for name in names:
        if name in REFUSED:
            continue
        try:
            ZoneInfo.no_cache(name)
        except Exception:  # a name tzdata lists but this machine cannot load
            continue
        usable[name.lower()] = name
    return usable


def canonical_timezone(value: str) -> str | None:
    """The canonical spelling of a usable zone name (any case), or None."""
    return timezones().get(value.strip().lower())
