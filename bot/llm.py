"""A small client for OpenAI-compatible chat completions (OpenAI, Ollama's /v1, vLLM).

One call per paper: the prompt from bot.prompts, ``response_format=json_object``, the three
parts back. 429 and 5xx are retried with tenacity (Retry-After honoured, capped); everything
else that goes wrong becomes an ``LlmError`` the summary service turns into the offline summary.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.metrics import Metrics
from bot.prompts import PARTS, build_messages

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?```$", re.DOTALL)


class LlmError(Exception):
    """The model gave no usable answer; ``kind`` says why (for logs and stats)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


class _Retryable(Exception):
    """A 429 or 5xx answer: worth another attempt, after ``retry_after`` if the server said."""

    def __init__(self, status: int, message: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class LlmUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class LlmAnswer:
    """The three parts (keys of bot.prompts.PARTS) and what they cost."""

    parts: dict[str, str]
    usage: LlmUsage
    model: str


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _error_message(response: httpx.Response) -> str:
    """The message of an OpenAI error envelope, or the start of the body."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if isinstance(error, str):  # Ollama and some proxies answer {"error": "..."}
            return error[:300]
    return response.text[:200]


def parse_parts(content: str) -> dict[str, str]:
    """The three parts from the model's text: JSON, optionally inside a ```json fence."""
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LlmError("invalid_json", f"not JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise LlmError("invalid_json", "the JSON is not an object")
    parts: dict[str, str] = {}
    for key in PARTS:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise LlmError("missing_part", f"no {key!r} in the answer")
        parts[key] = " ".join(value.split())
    return parts


class LlmClient:
    """``POST {base_url}/chat/completions`` with one shared ``httpx.AsyncClient``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        api_key: str | None,
        model: str,
        timeout: float = 60.0,
        *,
        max_attempts: int = 3,
        max_retry_after: float = 20.0,
        temperature: float = 0.2,
        sleep: Sleep | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.max_retry_after = max_retry_after
        self.temperature = temperature
        self._sleep = sleep
        self.metrics = metrics or Metrics()

    async def summarize(
        self, title: str, abstract: str, language: str, body: str | None = None
    ) -> LlmAnswer:
        """The three parts for one paper in ``language``; raises ``LlmError``.

        ``body``: an extract of the paper's own text (full-text summaries), or None.
        """
        return await self.complete(build_messages(title, abstract, language, body))

    async def complete(self, messages: list[dict[str, str]]) -> LlmAnswer:
        """One JSON-mode chat completion, retried on 429/5xx; raises ``LlmError``."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
            sleep=self._sleep or asyncio.sleep,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    answer = await self._post(messages)
                    self.metrics.llm_calls.labels("ok").inc()
                    self.metrics.llm_tokens.labels("prompt").inc(answer.usage.prompt_tokens)
                    self.metrics.llm_tokens.labels("completion").inc(answer.usage.completion_tokens)
                    return answer
        except _Retryable as exc:
            self.metrics.llm_calls.labels("error").inc()
            kind = "rate_limited" if exc.status == 429 else "server_error"
            raise LlmError(kind, f"{exc} (after {self.max_attempts} attempts)") from exc
        except LlmError:
            self.metrics.llm_calls.labels("error").inc()
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_retry_after)
        return float(wait_exponential(multiplier=0.5, max=self.max_retry_after)(state))

    async def _post(self, messages: list[dict[str, str]]) -> LlmAnswer:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "response_format": {"type": "json_object"},
            "temperature": self.temperature,
        }
        try:
            response = await self.client.post(
                f"{self.base_url}/chat/completions",
                json=body,
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.TimeoutException as exc:
            raise LlmError("timeout", f"no answer within {self.timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise LlmError("unreachable", f"{type(exc).__name__}: {exc}") from exc

        status = response.status_code
        if status == 429 or status >= 500:
            if status == 429:
                self.metrics.rate_limited.labels("llm").inc()
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            log.warning("LLM answered %s; retry after %s", status, retry_after)
            raise _Retryable(status, _error_message(response), retry_after)
        if status >= 400:
            raise LlmError(f"http_{status}", _error_message(response))
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> LlmAnswer:
        try:
            data = response.json()
            choice = data["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LlmError("bad_response", "not a chat completion envelope") from exc
        if not isinstance(choice, dict) or not isinstance(message, dict):
            raise LlmError("bad_response", "no message in the chat completion")
        if message.get("refusal"):
            raise LlmError("refusal", str(message["refusal"])[:200])
        if choice.get("finish_reason") == "content_filter":
            raise LlmError("refusal", "the answer was filtered")
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise LlmError("refusal", "empty answer")
        parts = parse_parts(content)
        raw_usage = data.get("usage")
        if not isinstance(raw_usage, dict):
            raw_usage = {}
        usage = LlmUsage(
            prompt_tokens=_tokens(raw_usage.get("prompt_tokens")),
            completion_tokens=_tokens(raw_usage.get("completion_tokens")),
        )
        return LlmAnswer(parts=parts, usage=usage, model=str(data.get("model") or self.model))


def _tokens(value: Any) -> int:
    """A token count from ``usage``; 0 when a compatible server sends something else."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return max(0, value) if isinstance(value, int) and not isinstance(value, bool) else 0
