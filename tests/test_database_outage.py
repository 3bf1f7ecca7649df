"""The database cut while the bot runs: users are told to try again shortly, the clock logs
one warning per outage (no traceback per tick) and one line when the database is back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.clock import Ticker
from bot.db import Database, normalize_url
from bot.errors import DatabaseUnavailable
from bot.i18n import t
from tests.fakes.core import make_core, private
from tests.fakes.tcp_proxy import TcpProxy


def clock_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.clock"]


async def test_postgresql_cut_for_a_while(postgres_url: str, caplog) -> None:
    Database.from_url(postgres_url).dispose()  # schema in place
    direct = make_url(normalize_url(postgres_url))
    with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
        url = direct.set(host="127.0.0.1", port=proxy.port)
        db = Database.from_url(url.render_as_string(hide_password=False), migrate=False)
        app, _, _ = make_core(db)
        try:
            assert not (await app.commands.run("settings", "language ko", private())).is_error
            assert not (await app.commands.run("today", "", private())).is_error

            proxy.cut()
            for command, args in (("today", ""), ("settings", "time 08:30"), ("search", "GAN")):
                reply = await app.commands.run(command, args, private())
                assert reply.is_error and reply.text == t("db_down", "en"), reply.text
            unknown = await app.commands.handle_text("/nosuch", private())
            assert unknown is not None and "/nosuch" in unknown.text

            ticker = Ticker(app.delivery.tick, seconds=1)
            caplog.clear()
            with caplog.at_level(logging.INFO):
                ticker.start()
                await asyncio.sleep(3.5)  # three or four ticks during the outage
                down = clock_lines(caplog)
                assert [r.levelname for r in down] == ["WARNING"], down
                assert "database unavailable" in down[0].getMessage()
                assert down[0].exc_info is None and "\n" not in down[0].getMessage()

                proxy.restore()
                await asyncio.sleep(2.5)
                ticker.shutdown()
            lines = [r.getMessage() for r in clock_lines(caplog)]
            assert len(lines) == 2 and "database is back" in lines[1], lines
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

            back = await app.commands.run("today", "", private())
            assert not back.is_error and back.cards  # in Korean again: nothing was lost
            assert "2025-01-10" in (back.title or "")
            assert await app.commands.language_of(private()) == "ko"
        finally:
            db.dispose()


async def test_sqlite_that_cannot_be_opened(tmp_path: Path, caplog) -> None:
    gone = tmp_path / "missing-dir" / "bot.db"
    db = Database.from_url(f"sqlite:///{gone}", migrate=False)
    app, _, _ = make_core(db)
    try:
        reply = await app.commands.run("today", "", private())
        assert reply.is_error and reply.text == t("db_down", "en")
        ticker = Ticker(app.delivery.tick, seconds=1)
        with caplog.at_level(logging.INFO):
            for _ in range(3):
                await ticker._run()
        assert [r.levelname for r in clock_lines(caplog)] == ["WARNING"]
    finally:
        db.dispose()


async def test_run_and_call_raise_database_unavailable(tmp_path: Path) -> None:
    """The async boundary (``Database.run``/``call``) says "unavailable", not a driver error."""
    gone = tmp_path / "missing-dir" / "bot.db"
    db = Database.from_url(f"sqlite:///{gone}", migrate=False)
    try:
        with pytest.raises(DatabaseUnavailable, match="unavailable right now"):
            await db.run(lambda session: session.exec(text("SELECT 1")).one())

        def raw() -> object:
            with db.engine.connect() as connection:
                return connection.exec_driver_sql("SELECT 1").scalar()

        with pytest.raises(DatabaseUnavailable, match="unavailable right now"):
            await db.call(raw)
        with pytest.raises(ZeroDivisionError):  # a bug is not an outage
            await db.run(lambda session: 1 // 0)
    finally:
        db.dispose()


async def test_db_down_is_localised(tmp_path: Path) -> None:
    assert t("db_down", "ko") != t("db_down", "en") and "데이터베이스" in t("db_down", "ko")


def runtime_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.runtime"]


async def test_the_runtime_logs_one_warning_per_outage_not_a_traceback_per_tick(
    tmp_path: Path, caplog
) -> None:
    """``Runtime.tick`` (what the runner's clock calls) catches the tick's errors itself: while
    the database is down, one WARNING when it goes, one line when it is back, no tracebacks."""
    home, away = tmp_path / "data", tmp_path / "away"
    home.mkdir()
    db = Database.from_url(f"sqlite:///{home / 'bot.db'}")
    app, _, clock = make_core(db)
    await app.subscriptions.subscribe(private().target)
    try:
        await app.runtime.tick()
        home.rename(away)  # the file cannot be opened any more...
        db.engine.dispose()  # ...by the next connection
        caplog.clear()
        with caplog.at_level(logging.INFO):
            for _ in range(3):
                clock.advance(minutes=1)
                await app.runtime.tick()
            down = runtime_lines(caplog)
            away.rename(home)
            for _ in range(2):
                clock.advance(minutes=1)
                await app.runtime.tick()
        assert [r.levelname for r in down] == ["WARNING"], down
        assert "database unavailable" in down[0].getMessage()
        lines = runtime_lines(caplog)
        assert len(lines) == 2 and "database is back" in lines[1].getMessage(), lines
        assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
        assert app.metrics.ticks.labels("error")._value.get() == 3
        assert app.runtime.last_tick is not None and app.runtime.last_tick.outcome == "ok"
    finally:
        db.dispose()


async def test_the_runtime_keeps_the_traceback_of_a_tick_that_is_not_an_outage(
    tmp_path: Path, caplog, monkeypatch
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'bot.db'}")
    app, _, _ = make_core(db)

    async def broken() -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(app.delivery, "tick", broken)
    try:
        with caplog.at_level(logging.INFO, logger="bot.runtime"):
            await app.runtime.tick()
            await app.runtime.tick()
        failed = [r for r in runtime_lines(caplog) if r.getMessage() == "tick failed"]
        assert len(failed) == 2 and all(r.exc_info for r in failed)
        assert app.runtime.last_tick is not None and app.runtime.last_tick.outcome == "error"
    finally:
        db.dispose()
