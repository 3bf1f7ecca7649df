"""Cleaning untrusted text where it enters the core: chat input and the source's papers.

Bidirectional controls (U+202A-202E embeddings and overrides, U+2066-2069 isolates, U+200E/F
marks, U+061C) let a title or a query reorder what a chat shows ("right-to-left override"), so
they are removed from every string a domain object holds. Command text is also NFKC-normalised,
so full-width digits and colons (``０８：３０``) and other compatibility forms read as intended.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import fields
from typing import Any

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def strip_bidi(text: str) -> str:
    return _BIDI.sub("", text) if text else text


def command_text(text: str) -> str:
    """What a user typed, as the core reads it: NFKC, without bidi controls."""
    return strip_bidi(unicodedata.normalize("NFKC", text))


def clean_fields(obj: Any) -> None:
    """In a frozen dataclass's ``__post_init__``: strip bidi controls from its text fields."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, str):
            cleaned: Any = strip_bidi(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
            cleaned = tuple(strip_bidi(v) for v in value)
        else:
            continue
        if cleaned != value:
            object.__setattr__(obj, f.name, cleaned)
