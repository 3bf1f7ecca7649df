"""Logging: readable lines by default, one JSON object per line with ``LOG_FORMAT=json``.

JSON comes from python-json-logger rather than a hand-written formatter: it already turns
``extra=`` fields, exceptions (``exc_info``) and non-string values into valid JSON, escaping
included, which is exactly what a small home-made formatter tends to get wrong.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY = ("httpx", "apscheduler.executors.default", "apscheduler.scheduler", "alembic", "aiohttp")


class _OurHandler(logging.StreamHandler):
    """Marks the handler this module installed, so a second call replaces only it."""


def configure_logging(level: str, fmt: str = "text") -> None:
    """Our handler on the root logger (stderr); like ``basicConfig``, it leaves a root logger
    that someone else (a test runner) already equipped alone, apart from the level."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.setLevel(level.upper())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if root.handlers:
        return
    handler = _OurHandler(sys.stderr)
    handler.setFormatter(make_formatter(fmt))
    root.addHandler(handler)


def make_formatter(fmt: str) -> logging.Formatter:
    """``text``: one readable line; ``json``: one JSON object (time, level, logger, message,
    and ``exc_info`` when there is a traceback)."""
    if fmt == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return logging.Formatter(TEXT_FORMAT)
