"""The Hugging Face Daily Papers source: ``GET /api/daily_papers`` and ``GET /api/papers/{id}``.

Network trouble is retried with backoff (tenacity); a 429 waits as long as the Hub asks. Whatever
finally fails becomes one ``SourceUnavailable`` with a sentence saying what failed and what to try.
Parsing is defensive: only ``paper.id`` and ``paper.title`` are required, a broken item is skipped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from bot.domain import FeaturedPaper, PaperInfo
from bot.errors import SourceUnavailable
from bot.metrics import Metrics

log = logging.getLogger(__name__)

MAX_PAGES = 40  # 2,000 papers a day at 50 a page: far above any real day
USER_AGENT = "dailypapers-bot (+https://github.com/dailypapers-bot)"
_ID = re.compile(r"[A-Za-z0-9._/-]{1,32}")  # new-style "2501.05366" or old "hep-th/9901001"
_RATELIMIT_RESET = re.compile(r"(?:^|[;,\s])t=(\d+)")

Sleep = Callable[[float], Awaitable[None]]


class _Retryable(Exception):
    """A failure worth another attempt: what happened, and what the user may try."""

    def __init__(self, problem: str, advice: str) -> None:
        super().__init__(f"{problem}. {advice}")
        self.problem = problem
        self.advice = advice


class _RateLimited(_Retryable):
    def __init__(self, problem: str, retry_after: float | None) -> None:
        super().__init__(problem, "Wait a few minutes, or set HF_TOKEN to raise the limit.")
        self.retry_after = retry_after


class HuggingFaceSource:
    """``bot.ports.PaperSource`` over the Hugging Face papers API (httpx client injected)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        token: str | None,
        page_size: int = 50,
        max_retries: int = 4,
        timeout: float = 20,
        max_wait: float = 60,
        sleep: Sleep = asyncio.sleep,
        metrics: Metrics | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.page_size = page_size
        self.max_retries = max(0, max_retries)
        self.timeout = timeout
        self.max_wait = max_wait  # never wait longer than this between attempts
        self.sleep = sleep  # injectable so tests never sleep for real
        self._backoff = wait_exponential_jitter(initial=1, max=max_wait, jitter=1)
        self.metrics = metrics or Metrics()
        self.last_success: datetime | None = None  # for /healthz: the last answer we could use

    # --- PaperSource --------------------------------------------------------------------------

    async def fetch_day(self, day: date) -> list[FeaturedPaper]:
        """Every paper featured on ``day``, following pages until a short one; deduped by id."""
        what = f"the papers of {day.isoformat()}"
        found: dict[str, FeaturedPaper] = {}
        for page in range(MAX_PAGES):
            params = {"date": day.isoformat(), "limit": str(self.page_size), "p": str(page)}
            raw = await self._get_json("/api/daily_papers", params, what=what)
            if not isinstance(raw, list):
                raise SourceUnavailable(_malformed(self.base_url, what))
            new = 0
            for item in raw:
                featured = parse_item(item, day)
                if featured is not None and featured.paper.arxiv_id not in found:
                    found[featured.paper.arxiv_id] = featured
                    new += 1
            # A short page is the last one; a full page of repeats means paging is ignored.
            if len(raw) < self.page_size or new == 0:
                break
        return list(found.values())

    async def fetch_paper(self, arxiv_id: str) -> PaperInfo | None:
        """One paper by arXiv id, or None when Hugging Face does not know it."""
        what = f"paper {arxiv_id}"
        raw = await self._get_json(
            f"/api/papers/{quote(arxiv_id, safe='')}", {}, what=what, none_on_404=True
        )
        if raw is None:
            return None
        paper = parse_paper(raw) if isinstance(raw, Mapping) else None
        if paper is None:
            raise SourceUnavailable(_malformed(self.base_url, what))
        return paper

    # --- HTTP with retries --------------------------------------------------------------------

    async def _get_json(
        self, path: str, params: dict[str, str], *, what: str, none_on_404: bool = False
    ) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self.sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            result: Any = await retrying(self._get_once, path, params, what, none_on_404)
        except _Retryable as exc:
            self.metrics.hf_requests.labels("error").inc()
            attempts = self.max_retries + 1
            tries = f" (tried {attempts} times)" if attempts > 1 else ""
            raise SourceUnavailable(f"{exc.problem}{tries}. {exc.advice}") from exc
        except SourceUnavailable:
            self.metrics.hf_requests.labels("error").inc()
            raise
        self.metrics.hf_requests.labels("ok").inc()
        self.last_success = datetime.now(UTC)
        return result

    async def _get_once(
        self, path: str, params: dict[str, str], what: str, none_on_404: bool
    ) -> Any:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = self.base_url + path
        try:
            response = await self.client.get(
                url, params=params, headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException as exc:
            raise _Retryable(
                f"Hugging Face at {self.base_url} did not answer within {self.timeout:g} s "
                f"while fetching {what}",
                "Try again later.",
            ) from exc
        except httpx.TransportError as exc:
            raise _Retryable(
                f"Could not reach Hugging Face at {self.base_url}: {_reason(exc)}",
                "Check your network or HF_API_BASE_URL.",
            ) from exc
        except httpx.TooManyRedirects as exc:  # not worth retrying: the same loop again
            raise SourceUnavailable(
                f"Hugging Face at {self.base_url} redirected too many times while fetching "
                f"{what}. Check HF_API_BASE_URL."
            ) from exc
        except httpx.DecodingError as exc:
            raise SourceUnavailable(
                f"The answer of Hugging Face at {self.base_url} for {what} could not be "
                f"decoded ({exc}). Check any proxy in between, or try again later."
            ) from exc
        return self._decode(response, what, none_on_404)

    def _decode(self, response: httpx.Response, what: str, none_on_404: bool) -> Any:
        status = response.status_code
        if status == 429:
            self.metrics.rate_limited.labels("huggingface").inc()
            retry_after = _retry_after(response.headers)
            wait = f" for {retry_after:g} s" if retry_after is not None else ""
            problem = f"Hugging Face is rate limiting us (HTTP 429{wait}) while fetching {what}"
            if retry_after is not None and retry_after > self.max_wait:
                raise SourceUnavailable(
                    f"{problem}. Try again in {_minutes(retry_after)}, or set HF_TOKEN "
                    "to raise the limit."
                )
            raise _RateLimited(problem, retry_after)
        if status >= 500:
            raise _Retryable(
                f"Hugging Face answered HTTP {status} for {what}",
                "It may be down for a moment; try again later.",
            )
        if status == 404 and none_on_404:
            return None
        if status in (401, 403):
            hint = "Check HF_TOKEN." if self.token else "Check HF_API_BASE_URL."
            raise SourceUnavailable(
                f"Hugging Face refused access to {what} (HTTP {status}). {hint}"
            )
        if status >= 400:
            raise SourceUnavailable(
                f"Hugging Face rejected the request for {what} (HTTP {status}: "
                f"{_error_text(response)}). Check the date or id; "
                "if it looks right, the API may have changed."
            )
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceUnavailable(_malformed(self.base_url, what)) from exc

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        return float(min(self._backoff(state), self.max_wait))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        log.warning(
            "Hugging Face attempt %d failed (%s); retrying in %.1f s",
            state.attempt_number,
            exc,
            wait,
        )


# --- parsing ------------------------------------------------------------------------------------


def parse_item(item: Any, day: date) -> FeaturedPaper | None:
    """One ``/api/daily_papers`` element, or None (with a warning) when its shape is broken."""
    if not isinstance(item, Mapping) or not isinstance(item.get("paper"), Mapping):
        log.warning("Skipping a Daily Papers item without a paper object: %.200r", item)
        return None
    paper = parse_paper(item["paper"], item)
    if paper is None:
        return None
    return FeaturedPaper(
        day=day,
        paper=paper,
        votes=max(0, _int(item["paper"].get("upvotes")) or 0),
        comments=max(0, _int(item.get("numComments")) or 0),
    )


def parse_paper(
    paper: Mapping[str, Any], item: Mapping[str, Any] | None = None
) -> PaperInfo | None:
    """A ``paper`` object (plus its daily item, when there is one) as a PaperInfo.

    Every field but ``id`` and ``title`` is optional. Authors keep their order; authors marked
    ``hidden`` are kept too, since they are still authors of the paper on arXiv.
    """
    outer: Mapping[str, Any] = item or {}
    arxiv_id = paper.get("id")
    title = _text(paper.get("title")) or _text(outer.get("title"))
    if not isinstance(arxiv_id, str) or not _ID.fullmatch(arxiv_id) or not title:
        log.warning("Skipping a paper without a usable id or title: %.200r", dict(paper))
        return None
    authors = paper.get("authors")
    names = (
        tuple(
            name
            for name in (_text(a.get("name")) for a in authors if isinstance(a, Mapping))
            if name
        )
        if isinstance(authors, list)
        else ()
    )
    keywords = paper.get("ai_keywords")
    return PaperInfo(
        arxiv_id=arxiv_id,
        title=title,
        abstract=_text(paper.get("summary")) or _text(outer.get("summary")) or "",
        authors=names,
        organization=_organization(paper, outer),
        github_repo=_text(paper.get("githubRepo")),
        github_stars=_int(paper.get("githubStars")),
        project_page=_text(paper.get("projectPage")),
        keywords=tuple(k for k in (_text(k) for k in keywords) if k)
        if isinstance(keywords, list)
        else (),
        ai_summary=_text(paper.get("ai_summary")),
        published_at=_datetime(paper.get("publishedAt")) or _datetime(outer.get("publishedAt")),
        thumbnail=_text(outer.get("thumbnail")) or _text(paper.get("thumbnail")),
    )


def collapse(text: str) -> str:
    """Fold line breaks and runs of spaces (arXiv titles carry them) into single spaces."""
    return " ".join(text.split())


def _text(value: Any) -> str | None:
    return (collapse(value) or None) if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _organization(paper: Mapping[str, Any], item: Mapping[str, Any]) -> str | None:
    orgs = [
        o for o in (paper.get("organization"), item.get("organization")) if isinstance(o, Mapping)
    ]
    for key in ("fullname", "name"):
        for org in orgs:
            name = _text(org.get(key))
            if name:
                return name
    return None


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait: ``Retry-After`` (seconds), else the ``t=`` of the ``RateLimit`` header."""
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    match = _RATELIMIT_RESET.search(headers.get("ratelimit", ""))
    return float(match.group(1)) if match else None


def _reason(exc: httpx.TransportError) -> str:
    """The useful part of a connection error (httpx hides 'refused' in the cause chain)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        text = str(seen).lower()
        if "name or service not known" in text or "nodename nor servname" in text:
            return "host name not found"
        if "refused" in text:
            return "connection refused"
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, Mapping) and isinstance(body.get("error"), str):
        return collapse(body["error"])[:200]
    return response.reason_phrase or "error"


def _malformed(base_url: str, what: str) -> str:
    return (
        f"Hugging Face at {base_url} answered {what} with something that is not the expected "
        "JSON. Try again later; if it keeps happening, the API may have changed."
    )


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute" + ("s" if minutes != 1 else "")
