"""Operating the bot, in process: the delivery log, /healthz and /metrics, status, JSON logs."""

from __future__ import annotations

import io
import json
import logging
import socket
import sys
from datetime import UTC, datetime

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from bot.alerts import Alerts
from bot.db import Database, make_engine
from bot.domain import Target
from bot.logs import make_formatter
from bot.metrics import Metrics
from bot.ports import ChatUnreachable
from bot.runtime import Runtime, judge
from bot.status import gather, render
from bot.web import make_web_app
from tests.fakes.core import make_core
from tests.fakes.memory import RecordingPublisher, raising

NINE_THIRTY = datetime(2025, 1, 11, 9, 30, tzinfo=UTC)  # Saturday: Friday 2025-01-10's digest


async def subscribe(app, chat: str) -> None:
    await app.subscriptions.subscribe(Target("test", chat))


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus text → {(sample name, sorted labels): value}."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_a_tick_logs_one_line_and_one_warning_per_failed_chat(db, caplog) -> None:
    app, _, _ = make_core(db, now=NINE_THIRTY)
    publisher = RecordingPublisher()
    publisher.fail["blocked"] = raising(ChatUnreachable("Forbidden: bot was blocked by the user"))
    app.delivery.register(publisher)
    await subscribe(app, "fine")
    await subscribe(app, "blocked")
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        await app.delivery.tick()
        quiet = len(caplog.records)
        await app.delivery.tick()  # nothing due: "fine" got it; "blocked" is over for the day
    lines = [(r.levelname, r.getMessage()) for r in caplog.records[:quiet]]
    assert ("INFO", "morning post 2025-01-10: 2 chats, 1 done, 1 failed, 0 deactivated, 0 s") in (
        lines
    )
    warnings = [text for level, text in lines if level == "WARNING"]
    assert warnings == [
        "morning post 2025-01-10 to subscription 2 (test chat blocked) failed: "
        "Forbidden: bot was blocked by the user"
    ]
    assert app.metrics.deliveries.labels("done")._value.get() == 1
    assert app.metrics.deliveries.labels("failed")._value.get() == 1


async def test_healthz_and_metrics_over_http(db) -> None:
    app, _, clock = make_core(db, now=NINE_THIRTY)
    app.delivery.register(RecordingPublisher())
    await subscribe(app, "fine")
    app.runtime.started_at = clock()
    async with TestClient(TestServer(make_web_app(app.runtime))) as client:
        # started, no tick yet: healthy for the first 5 minutes
        response = await client.get("/healthz")
        assert response.status == 200
        await app.runtime.tick()
        response = await client.get("/healthz")
        body = await response.json()
        assert response.status == 200 and body["status"] == "ok"
        assert body["database"] == {"reachable": True}
        assert body["leader"] == "single instance"
        assert body["last_tick"]["at"] == NINE_THIRTY.isoformat()
        assert body["last_tick"]["outcome"] == "ok"
        assert body["last_tick"]["summary"] == (
            "morning post 2025-01-10: 1 chats, 1 done, 0 failed, 0 deactivated"
        )

        response = await client.get("/metrics")
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        found = samples(await response.text())
        assert found[("dailypapers_deliveries_total", (("status", "done"),))] == 1
        assert found[("dailypapers_subscriptions_active", (("platform", "test"),))] == 1
        assert found[("dailypapers_subscriptions_active", (("platform", "telegram"),))] == 0
        assert found[("dailypapers_ticks_total", (("outcome", "ok"),))] == 1
        assert found[("dailypapers_tick_seconds_count", ())] == 1

        clock.advance(minutes=6)  # the clock stopped ticking
        response = await client.get("/healthz")
        body = await response.json()
        assert response.status == 503 and body["status"] == "unhealthy"
        assert body["problems"] == ["no tick for 6 min"]


async def test_healthz_is_503_when_the_database_is_unreachable(db) -> None:
    app, _, clock = make_core(db, now=NINE_THIRTY)
    nowhere = Database(make_engine("postgresql://nobody@127.0.0.1:1/nothing"))
    runtime = Runtime(nowhere, app.delivery, app.metrics, app.alerts, clock)
    runtime.started_at = clock()
    try:
        async with TestClient(TestServer(make_web_app(runtime))) as client:
            response = await client.get("/healthz")
            body = await response.json()
    finally:
        nowhere.dispose()
    assert response.status == 503
    assert body["database"] == {"reachable": False}
    assert body["problems"] == ["the database is unreachable"]


def test_a_disconnected_platform_degrades_but_stays_200() -> None:
    now = NINE_THIRTY
    snapshot = {
        "started_at": now.isoformat(),
        "platforms": {"telegram": {"connected": False, "down_since": now.isoformat()}},
        "last_tick": {"at": now.isoformat(), "outcome": "ok", "seconds": 0.1, "summary": "-"},
    }
    health = judge(snapshot, True, now)
    assert (health.status, health.http_status) == ("degraded", 200)
    assert health.warnings == ["telegram is disconnected"]


async def test_source_down_at_post_time_alerts_the_operators_once(db) -> None:
    app, source, clock = make_core(db, now=NINE_THIRTY, bot_admin_ids="7")
    sent: list[str] = []

    class Operator:
        platform = "telegram"

        async def notify_operator(self, user_id: str, text: str) -> None:
            sent.append(f"{user_id}: {text}")

    app.alerts.register(Operator())
    app.delivery.register(RecordingPublisher())
    await subscribe(app, "fine")
    source.down = True
    first = await app.runtime.tick()
    clock.advance(minutes=1)
    await app.runtime.tick()
    assert first is not None and first.postponed
    assert app.runtime.last_tick is not None and app.runtime.last_tick.outcome == "postponed"
    assert sent == [
        "7: ⚠️ dailypapers alert: the morning post is waiting: Hugging Face could not be "
        "reached (Could not reach Hugging Face (test source is down).). "
        "It is retried at every tick."
    ]


async def test_status_reads_what_the_running_bot_recorded(db) -> None:
    app, _, clock = make_core(db, now=NINE_THIRTY)
    app.delivery.register(RecordingPublisher())
    await subscribe(app, "fine")
    await app.runtime.tick()
    status = await gather(db, clock())
    out = io.StringIO()
    render(status, console=Console(file=out, force_terminal=False, width=200))
    text = out.getvalue()
    assert status.health.healthy
    assert "status         ok" in text
    assert "deliveries     2025-01-10: 1 done" in text
    assert "subscriptions  1 test" in text
    assert "morning post 2025-01-10: 1 chats, 1 done" in text
    out = io.StringIO()
    render(status, as_json=True, console=Console(file=out, force_terminal=False))
    data = json.loads(out.getvalue())
    assert data["deliveries"] == {"day": "2025-01-10", "done": 1}


def test_json_logs_are_one_object_per_line() -> None:
    formatter = make_formatter("json")
    try:
        raise ValueError('bad "quote"\nand a newline')
    except ValueError:
        record = logging.LogRecord(
            "bot.delivery", logging.WARNING, __file__, 1, "failed: %s", ("x",), sys.exc_info()
        )
    line = formatter.format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "WARNING" and data["logger"] == "bot.delivery"
    assert data["message"] == "failed: x"
    assert "ValueError" in data["exc_info"]


def test_apps_own_their_metrics() -> None:
    one, two = Metrics(), Metrics()
    one.messages_sent.labels("telegram").inc()
    assert b'dailypapers_messages_sent_total{platform="telegram"} 1.0' in one.render()
    assert b"dailypapers_messages_sent_total{" not in two.render()
    assert Alerts  # the alerts share the app's registry (tests/test_alerts.py)


async def test_a_platform_down_for_over_10_minutes_alerts_once_and_probes(db) -> None:
    app, _, clock = make_core(db, now=NINE_THIRTY, bot_admin_ids="discord:99")
    sent: list[str] = []

    class Operator:
        platform = "discord"

        async def notify_operator(self, user_id: str, text: str) -> None:
            sent.append(text)

    class Platform:
        def __init__(self) -> None:
            self.since: datetime | None = NINE_THIRTY
            self.probes = 0

        def connected(self) -> bool:
            return self.since is None

        def down_since(self) -> datetime | None:
            return self.since

        async def probe(self) -> None:
            self.probes += 1
            raise ConnectionError("still down")

    telegram = Platform()
    app.alerts.register(Operator())
    app.runtime.watch("telegram", telegram)
    await app.runtime.tick()  # down, but not for 10 minutes yet
    clock.advance(minutes=11)
    await app.runtime.tick()
    clock.advance(minutes=1)
    await app.runtime.tick()
    assert telegram.probes == 3
    assert sent == [
        "⚠️ dailypapers alert: telegram has been disconnected since 2025-01-11 09:30 UTC "
        "(over 10 min)."
    ]
    health = await app.runtime.health()
    assert health.status == "degraded" and health.warnings == ["telegram is disconnected"]


async def test_a_taken_port_is_an_error_line_not_a_stopped_bot(db, caplog) -> None:
    from bot.web import OpsServer

    app, _, _ = make_core(db, now=NINE_THIRTY)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = OpsServer(app.runtime, "127.0.0.1", port)
        with caplog.at_level(logging.ERROR, logger="bot.web"):
            assert await server.start() is False
        await server.stop()
    assert f"cannot serve /healthz and /metrics on 127.0.0.1:{port}" in caplog.text
    assert "HTTP_PORT" in caplog.text


async def test_an_hourly_clock_is_healthy_between_ticks_for_healthz_and_status(db) -> None:
    """TICK_SECONDS=3600: 59 minutes without a tick is normal (not the fixed 5 minutes);
    ``dailypapers status``, reading the snapshot back, uses the same threshold."""
    app, _, clock = make_core(db, now=NINE_THIRTY, tick_seconds=3600)
    app.runtime.started_at = clock()
    await app.runtime.tick()
    clock.advance(minutes=59)
    assert (await app.runtime.health()).healthy
    assert (await gather(db, clock())).health.healthy
    clock.advance(hours=2, minutes=2)  # three ticks missed: 3 h 1 min since the last
    health = await app.runtime.health()
    assert health.http_status == 503 and health.problems == ["no tick for 181 min"]
    status = await gather(db, clock())
    assert status.health.problems == ["no tick for 181 min"]


def test_a_snapshot_without_its_tick_interval_keeps_the_5_minute_threshold() -> None:
    at = NINE_THIRTY.isoformat()
    snapshot = {"started_at": at, "last_tick": {"at": at, "outcome": "ok"}}
    assert judge(snapshot, True, NINE_THIRTY.replace(minute=34)).healthy
    assert not judge(snapshot, True, NINE_THIRTY.replace(minute=36)).healthy
    hourly = {**snapshot, "tick_seconds": 3600}
    assert judge(hourly, True, NINE_THIRTY.replace(hour=11, minute=0)).healthy
