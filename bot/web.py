"""The operator's HTTP server: ``/healthz`` (JSON) and ``/metrics`` (Prometheus text).

aiohttp on the bot's own event loop (it is already there through python-telegram-bot's
webhooks extra). Telegram's webhook keeps its own server (``TELEGRAM_WEBHOOK_PORT``): the
webhook must face the internet, these two pages should not.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.metrics import CONTENT_TYPE
from bot.runtime import Runtime

log = logging.getLogger(__name__)

RUNTIME_KEY = web.AppKey("runtime", Runtime)


async def healthz(request: web.Request) -> web.Response:
    health = await request.app[RUNTIME_KEY].health()
    return web.json_response(health.as_dict(), status=health.http_status)


async def metrics(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    try:
        await runtime.refresh_gauges()
    except Exception as exc:  # the counters are still worth serving
        log.warning("metrics: could not count subscriptions: %s", exc)
    body = runtime.metrics.render()
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


def make_web_app(runtime: Runtime) -> web.Application:
    app = web.Application()
    app[RUNTIME_KEY] = runtime
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


class OpsServer:
    """Started and stopped by ``dailypapers run`` (``HTTP_PORT=0``: not at all)."""

    def __init__(self, runtime: Runtime, host: str, port: int) -> None:
        self.runtime = runtime
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> bool:
        """Listen; a port already taken is one ERROR line, not a stopped bot (the morning post
        matters more than its dashboard, and a health check will notice the missing server)."""
        runner = web.AppRunner(make_web_app(self.runtime), shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            log.error(
                "cannot serve /healthz and /metrics on %s:%d (%s); running without them. "
                "Give each process its own HTTP_PORT, or HTTP_PORT=0 to turn the server off.",
                self.host,
                self.port,
                exc.strerror or exc,
            )
            return False
        self._runner = runner
        log.info("serving /healthz and /metrics on http://%s:%d", self.host, self.port)
        return True

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
