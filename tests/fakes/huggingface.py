"""A loopback stand-in for the Hugging Face papers API, answering like huggingface.co.

    async with FakeHuggingFace() as hf:          # serves tests/fixtures/hf by default
        hf.fail_next(status=503)                 # the next request answers 503
        source = HuggingFaceSource(client, hf.base_url, token=None)

Run it standalone to point the real bot at it:
``python -m tests.fakes.huggingface --port 8765`` then ``HF_API_BASE_URL=http://127.0.0.1:8765``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.hf_data import SEED_DAY, all_days, load_day

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RATE_LIMIT_POLICY = '"fixed window";"api";q=500;w=300'


@dataclass
class Failure:
    """What to do instead of answering normally, for one request."""

    status: int = 500
    body: str | None = None  # raw body; default is HF's JSON error shape
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (for client timeouts)
    answer_normally: bool = False  # after the delay, answer as usual


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeHuggingFace:
    """aiohttp server on 127.0.0.1 with the days and papers tests give it."""

    def __init__(self, days: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.days: dict[str, list[dict[str, Any]]] = all_days() if days is None else dict(days)
        self.papers: dict[str, dict[str, Any]] = {}  # extra papers only /api/papers knows
        self.requests: list[RecordedRequest] = []
        self.failures: deque[Failure] = deque()
        self.ignore_paging = False  # a buggy server that always returns page 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- set-up -----------------------------------------------------------------------------

    def set_day(self, day: str, items: list[dict[str, Any]]) -> None:
        self.days[day] = copy.deepcopy(items)

    def set_paper(self, paper: dict[str, Any]) -> None:
        """Make ``GET /api/papers/{id}`` know a paper that no fixture day features."""
        self.papers[paper["id"]] = copy.deepcopy(paper)

    def set_votes(self, day: str, arxiv_id: str, votes: int) -> None:
        for item in self.days[day]:
            if item["paper"]["id"] == arxiv_id:
                item["paper"]["upvotes"] = votes
                return
        raise KeyError(arxiv_id)

    def fail_next(
        self,
        status: int = 500,
        *,
        times: int = 1,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next ``times`` requests answer ``status`` (with HF's ``{"error": ...}`` body)."""
        for _ in range(times):
            self.failures.append(Failure(status=status, body=body, headers=dict(headers or {})))

    def rate_limit_next(
        self, retry_after: int | None = 7, *, reset: int = 7, times: int = 1
    ) -> None:
        """The next requests answer 429 like the Hub: RateLimit headers, optional Retry-After."""
        headers = {
            "RateLimit": f'"api";r=0;t={reset}',
            "RateLimit-Policy": RATE_LIMIT_POLICY,
        }
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        body = json.dumps(
            {"error": "You have exceeded our hourly quotas for action 'api'. Retry later."}
        )
        self.fail_next(429, times=times, body=body, headers=headers)

    def malformed_next(self, times: int = 1) -> None:
        """The next requests answer 200 with a body that is not JSON (a truncated answer)."""
        self.fail_next(200, times=times, body='[{"paper": {"id": "2501.0')

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """The next requests wait ``seconds`` before answering normally."""
        for _ in range(times):
            self.failures.append(Failure(delay=seconds, answer_normally=True))

    def count(self, path_prefix: str = "/api/daily_papers", **query: str) -> int:
        """How many requests hit ``path_prefix`` with (at least) these query values."""
        return sum(
            1
            for r in self.requests
            if r.path.startswith(path_prefix) and all(r.query.get(k) == v for k, v in query.items())
        )

    # --- server -----------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_get("/api/daily_papers", self._daily_papers)
        app.router.add_get("/api/papers/{arxiv_id}", self._paper)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        real_port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{real_port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeHuggingFace:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- handlers ---------------------------------------------------------------------------

    def _record(self, request: web.Request) -> None:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
            )
        )

    async def _injected(self) -> web.Response | None:
        if not self.failures:
            return None
        failure = self.failures.popleft()
        if failure.delay:
            await asyncio.sleep(failure.delay)
        if failure.answer_normally:
            return None
        body = failure.body
        if body is None:
            body = json.dumps({"error": _REASONS.get(failure.status, "Internal Error")})
        return web.Response(
            status=failure.status,
            text=body,
            content_type="application/json",
            headers=failure.headers,
        )

    async def _daily_papers(self, request: web.Request) -> web.Response:
        self._record(request)
        injected = await self._injected()
        if injected is not None:
            return injected
        day = request.query.get("date")
        if day is None:
            return web.json_response(_bad_request('"date" is required'), status=400)
        if not _DATE.match(day) or not _is_date(day):
            return web.json_response(_bad_request('"date" must be a valid date'), status=400)
        try:
            limit = int(request.query.get("limit", "50"))
            page = int(request.query.get("p", "0"))
        except ValueError:
            return web.json_response(_bad_request('"limit" and "p" must be numbers'), status=400)
        if not 1 <= limit <= 100 or page < 0:
            return web.json_response(_bad_request('"limit" must be between 1 and 100'), status=400)
        items = self.days.get(day, [])
        start = 0 if self.ignore_paging else page * limit
        return web.json_response(items[start : start + limit])

    async def _paper(self, request: web.Request) -> web.Response:
        self._record(request)
        injected = await self._injected()
        if injected is not None:
            return injected
        arxiv_id = request.match_info["arxiv_id"]
        paper = self.papers.get(arxiv_id)
        if paper is None:
            for items in self.days.values():
                for item in items:
                    if item["paper"]["id"] == arxiv_id:
                        paper = item["paper"]
        if paper is None:
            return web.json_response({"error": "Paper not found"}, status=404)
        return web.json_response(paper)


_REASONS = {
    500: "Internal Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _bad_request(message: str) -> dict[str, str]:
    return {"error": message}


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def recent_weekdays(today: date, count: int = 10) -> list[str]:
    """The last ``count`` weekdays before ``today`` (what a live demo needs papers for)."""
    days: list[str] = []
    day = today
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day.isoformat())
    return days


async def _serve(port: int, recent: bool) -> None:
    fake = FakeHuggingFace()
    if recent:  # also feature the seed day's papers on each recent weekday
        for day in recent_weekdays(date.today()):
            fake.set_day(day, load_day(SEED_DAY))
    url = await fake.start(port)
    print(f"Fake Hugging Face serving {len(fake.days)} days at {url}", flush=True)
    print(f"  HF_API_BASE_URL={url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the test fixtures like huggingface.co")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--recent",
        action="store_true",
        help="also serve the seed day's papers on the last ten weekdays, so /today has papers",
    )
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.recent))


if __name__ == "__main__":
    main()
