"""A paper's own text from arXiv: its HTML (LaTeXML) first, its PDF when there is no HTML.

Polite by construction, as arXiv asks of automated clients: one request at a time (a lock), at
least ``delay`` seconds between two requests, a User-Agent naming the project, a timeout, a size
cap enforced while streaming (a download stops at the cap), and a few retries with exponential
backoff (tenacity; Retry-After honoured) on 429, 5xx and network errors. When arXiv stays
unreachable after the retries, further fetches fail at once for ``down_for`` seconds, so a digest
of ten papers costs one slow failure, not ten.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from types import ModuleType

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot import __version__
from bot.domain import PaperText
from bot.llm import parse_retry_after
from bot.ports import PaperTextError

log = logging.getLogger(__name__)


def paper_parse() -> ModuleType:
    """The parsers (lxml, pypdf: ~20 MB), imported on the first paper text, not at start."""
    import bot.paper_parse

    return bot.paper_parse


Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

USER_AGENT = (
    f"dailypapers-bot/{__version__} (Hugging Face Daily Papers chat bot; "
    "full-text summaries, one request at a time)"
)
# new-style ids (2501.05366, 2501.05366v2) and old-style ones (cs/0101001, hep-th/9901001v1)
_MAX_REDIRECTS = 3
_ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _TooLarge(Exception):
    pass


class ArxivTextSource:
    """``PaperTextSource`` for arXiv: ``GET {base}/html/{id}``, on 404 ``GET {base}/pdf/{id}``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str = "https://arxiv.org",
        *,
        delay: float = 3.0,
        timeout: float = 30.0,
        max_bytes: int = 20_000_000,
        max_attempts: int = 3,
        backoff: float = 2.0,
        max_wait: float = 60.0,
        down_for: float = 300.0,
        user_agent: str = USER_AGENT,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.delay = delay
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_wait = max_wait
        self.down_for = down_for
        self.user_agent = user_agent
        self._sleep = sleep or asyncio.sleep
        self._clock = clock or time.monotonic
        self._lock = asyncio.Lock()
        self._last: float | None = None  # when the last request ended
        self._down_until = 0.0

    async def fetch(self, arxiv_id: str) -> PaperText | None:
        """The paper's text; None when arXiv has neither HTML nor PDF for it."""
        if not _ARXIV_ID.match(arxiv_id):
            log.info("not an arXiv id, no full text: %r", arxiv_id)
            return None
        if self._clock() < self._down_until:
            raise PaperTextError("arXiv was unreachable a moment ago; not asking again yet")
        status, data = await self._get(f"/html/{arxiv_id}")
        if status == 200:
            try:
                return await asyncio.to_thread(paper_parse().parse_latexml, data, arxiv_id)
            except paper_parse().ParseError as exc:
                log.info("arXiv HTML of %s not usable (%s); trying the PDF", arxiv_id, exc)
        status, data = await self._get(f"/pdf/{arxiv_id}")
        if status != 200:
            return None
        try:
            return await asyncio.to_thread(paper_parse().parse_pdf, data, arxiv_id)
        except paper_parse().ParseError as exc:
            log.warning("arXiv PDF of %s not usable: %s", arxiv_id, exc)
            return None

    async def _get(self, path: str) -> tuple[int, bytes]:
        """(200, body) or (404/410, b""); raises ``PaperTextError`` for anything else.

        Redirects (``/html/ID`` → ``/html/IDvN``) are followed here, each hop a request of
        its own with the pause before it, not inside httpx without one.
        """
        url = f"{self.base_url}{path}"
        for _hop in range(_MAX_REDIRECTS + 1):
            status, data, location = await self._get_once(url)
            if location is None:
                return status, data
            url = str(httpx.URL(url).join(location))
        raise PaperTextError(f"arXiv {path}: too many redirects")

    async def _get_once(self, url: str) -> tuple[int, bytes, str | None]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
            sleep=self._sleep,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._request(url)
        except _Retryable as exc:
            self._down_until = self._clock() + self.down_for
            raise PaperTextError(f"{url}: {exc} (after {self.max_attempts} tries)") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        return float(wait_exponential(multiplier=self.backoff, max=self.max_wait)(state))

    async def _request(self, url: str) -> tuple[int, bytes, str | None]:
        async with self._lock:  # one request at a time, with a pause between two
            if self._clock() < self._down_until:  # another paper just found arXiv down
                raise PaperTextError("arXiv is unreachable; not asking again yet")
            if self._last is not None:
                pause = self._last + self.delay - self._clock()
                if pause > 0:
                    await self._sleep(pause)
            try:
                return await self._stream(url)
            finally:
                self._last = self._clock()

    async def _stream(self, url: str) -> tuple[int, bytes, str | None]:
        headers = {"User-Agent": self.user_agent}
        path = httpx.URL(url).path
        try:
            async with self.client.stream(
                "GET", url, headers=headers, timeout=self.timeout, follow_redirects=False
            ) as r:
                status = r.status_code
                if status in (404, 410):
                    return status, b"", None
                if status in (301, 302, 303, 307, 308) and r.headers.get("location"):
                    return status, b"", r.headers["location"]
                if status == 429 or status >= 500:
                    retry_after = parse_retry_after(r.headers.get("retry-after"))
                    raise _Retryable(f"HTTP {status}", retry_after)
                if status != 200:
                    raise PaperTextError(f"arXiv {path}: HTTP {status}")
                declared = r.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise _TooLarge(declared)
                chunks: list[bytes] = []
                size = 0
                async for chunk in r.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _TooLarge(str(size))
                    chunks.append(chunk)
                return status, b"".join(chunks), None
        except _TooLarge as exc:
            raise PaperTextError(
                f"arXiv {path}: larger than the {self.max_bytes:,}-byte cap ({exc} bytes)"
            ) from None
        except httpx.TimeoutException as exc:
            raise _Retryable(f"no answer within {self.timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
