"""A fake arXiv on 127.0.0.1 (aiohttp): ``/html/ID`` (LaTeXML), ``/pdf/ID``, and 404s.

It answers like arxiv.org: ``/html/ID`` redirects to the latest version ``/html/IDv1``
(302), which serves LaTeXML HTML; a paper without HTML gets arXiv's 404 page there;
``/pdf/ID`` serves ``application/pdf``; unknown ids are 404 on both. ``fake.inject("down")``
answers 503 with Retry-After like an overloaded arXiv; ``"slow"`` holds the answer a while.
Every request is recorded with its User-Agent and time, and how many ran at once.

Standalone, to try the CLI against it::

    python -m tests.fakes.arxiv --port 8769
    ARXIV_BASE_URL=http://127.0.0.1:8769 ARXIV_DELAY_SECONDS=0 dailypapers digest ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from dataclasses import dataclass

from aiohttp import web

from tests.fakes.arxiv_data import PAPERS, FakePaper, latexml_html, pdf_blocks
from tests.fakes.pdf import make_pdf

NOT_FOUND_HTML = (
    "<!DOCTYPE html><html><head><title>HTML is not available for the source</title></head>"
    "<body><h1>No HTML for '{id}'</h1><p>HTML is not available for the source. This could be "
    "due to the source files not being HTML, LaTeX, or a conversion failure.</p></body></html>"
)


@dataclass(frozen=True)
class Request:
    path: str
    user_agent: str
    started: float
    ended: float


class FakeArxiv:
    def __init__(self, papers: tuple[FakePaper, ...] = PAPERS, *, slow_seconds: float = 0.2):
        self.html: dict[str, str] = {}
        self.pdf: dict[str, bytes] = {}
        for paper in papers:
            self.add(paper)
        self.slow_seconds = slow_seconds
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._injections: list[str] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def add(self, paper: FakePaper, *, extra_sections: int = 0) -> None:
        if paper.html:
            self.html[paper.arxiv_id] = latexml_html(paper, extra_sections=extra_sections)
        self.pdf[paper.arxiv_id] = make_pdf(pdf_blocks(paper))

    def inject(self, behaviour: str, times: int = 1) -> None:
        """``down`` (503 + Retry-After: 0) or ``slow`` for the next ``times`` requests."""
        if behaviour not in ("down", "slow"):
            raise ValueError(behaviour)
        self._injections.extend([behaviour] * times)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        app = web.Application()
        app.router.add_get("/html/{id:.+}", self._html)
        app.router.add_get("/pdf/{id:.+}", self._pdf)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.base_url = f"http://{host}:{sockets[0].getsockname()[1]}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeArxiv:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _answer(self, request: web.Request, make: object) -> web.StreamResponse:
        started = time.monotonic()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            behaviour = self._injections.pop(0) if self._injections else "ok"
            if behaviour == "slow":
                await asyncio.sleep(self.slow_seconds)
            if behaviour == "down":
                return web.Response(
                    status=503,
                    text="Service Unavailable: arXiv is busy, please retry.",
                    headers={"Retry-After": "0"},
                )
            assert callable(make)
            response: web.StreamResponse = make()
            return response
        finally:
            self.in_flight -= 1
            self.requests.append(
                Request(
                    request.path,
                    request.headers.get("User-Agent", ""),
                    started,
                    time.monotonic(),
                )
            )

    @staticmethod
    def _split(raw: str) -> tuple[str, str | None]:
        base, sep, version = raw.rpartition("v")
        if sep and version.isdigit() and base and base[-1].isdigit():
            return base, version
        return raw, None

    async def _html(self, request: web.Request) -> web.StreamResponse:
        arxiv_id, version = self._split(request.match_info["id"])

        def make() -> web.StreamResponse:
            page = self.html.get(arxiv_id)
            if page is None:
                return web.Response(
                    status=404, text=NOT_FOUND_HTML.format(id=arxiv_id), content_type="text/html"
                )
            if version is None:
                raise web.HTTPFound(f"/html/{arxiv_id}v1")
            return web.Response(text=page, content_type="text/html")

        return await self._answer(request, make)

    async def _pdf(self, request: web.Request) -> web.StreamResponse:
        arxiv_id, _version = self._split(request.match_info["id"])

        def make() -> web.StreamResponse:
            data = self.pdf.get(arxiv_id)
            if data is None:
                return web.Response(status=404, text=f"Article '{arxiv_id}' not found")
            return web.Response(body=data, content_type="application/pdf")

        return await self._answer(request, make)


async def _serve(port: int) -> None:
    fake = FakeArxiv()
    print(f"FakeArxiv listening on {await fake.start(port=port)}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake arXiv (LaTeXML HTML and PDF)")
    parser.add_argument("--port", type=int, default=8769)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
