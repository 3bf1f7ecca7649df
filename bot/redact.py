"""Secrets never reach a log line or an error message.

``register`` learns the configured secrets (tokens, API keys, the webhook secret, the database
password) once at start-up; ``install`` puts a ``SecretFilter`` on the root logger's handlers, so
every record of every logger (ours, PTB, httpx, discord, sqlalchemy) is masked at every level,
its message, its arguments and its traceback alike. URLs with a password are masked by pattern
too, whoever's password it is. The CLI passes its error lines through ``redact`` as well.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Iterable
from types import TracebackType

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

MASK = "***"
MIN_SECRET = 4  # shorter values would mask ordinary words; such a secret is no secret anyway
# scheme://user:password@host — the password part
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s/]+)(@)")

_secrets: set[str] = set()


def register(secrets: Iterable[str | None]) -> None:
    """Remember secret values (None and empty are ignored); longest are masked first."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET:
            _secrets.add(secret)


def forget_all() -> None:
    """Tests only: start from no secrets."""
    _secrets.clear()


def url_password(url: str) -> str | None:
    """The password in a database URL, if any."""
    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        return None


def safe_url(url: str) -> str:
    """A database URL as it may be shown: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return redact(url)


def redact(text: str) -> str:
    """``text`` with every known secret and every URL password replaced by ``***``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}\g<3>", text)


class SecretFilter(logging.Filter):
    """Masks secrets in a record's message, arguments and traceback (on a handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            # formatters (python-json-logger too) fall back to exc_text when exc_info is gone,
            # so the traceback can only be shown redacted
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of ``logger`` (the root) and mask uncaught tracebacks."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, SecretFilter) for f in handler.filters):
            handler.addFilter(SecretFilter())
    sys.excepthook = _excepthook


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))
