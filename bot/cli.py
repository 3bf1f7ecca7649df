"""The ``dailypapers`` command line (Typer): digest, fetch, console, run, channels, db."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from bot.app import App, build_app, configure_logging
from bot.config import Settings
from bot.domain import Subscription
from bot.errors import BadArgument, BotError
from bot.ranking import RankingUnavailable
from bot.status import Status
from bot.subscriptions import SETTINGS as SETTING_SPECS

cli = typer.Typer(
    name="dailypapers",
    help="Hugging Face Daily Papers for Telegram and Discord, and your terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)
channels_cli = typer.Typer(help="Subscriptions (chats and channels), for operators.")
summaries_cli = typer.Typer(help="Summaries and their LLM usage.", no_args_is_help=True)
rank_cli = typer.Typer(help="Personal ranking (👍/👎), measured offline.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(rank_cli, name="rank")
cli.add_typer(channels_cli, name="channels")
cli.add_typer(summaries_cli, name="summaries")

T = TypeVar("T")


class Format(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"
    telegram = "telegram"
    discord = "discord"


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except SettingsError as exc:
        raise fail(f"invalid configuration: {exc}. See .env.example.", 2) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise fail(f"invalid configuration ({problems}). See .env.example.", 2) from None


def with_app(
    work: Callable[[App], Awaitable[T]],
    *,
    settings: Settings | None = None,
    quiet: bool = True,
) -> T:
    """Build the app, run ``work`` on it, close it; domain errors become one clear line.

    One-shot commands (``quiet``) only log errors, unless LOG_LEVEL=DEBUG: a failure is told
    in one line on stderr, not in a stream of retry warnings.
    """
    settings = settings or load_settings()
    level = settings.log_level.upper()
    configure_logging(level if not quiet or level == "DEBUG" else "ERROR", settings.log_format)

    async def main() -> T:
        try:
            app = build_app(settings)
        except RankingUnavailable as exc:
            raise fail(str(exc), 2) from None
        except Exception as exc:  # a bad DATABASE_URL, an unreachable server...
            raise fail(f"cannot open the database {settings.database_url!r}: {exc}", 2) from None
        try:
            return await work(app)
        finally:
            await app.aclose()

    try:
        return asyncio.run(main())
    except BadArgument as exc:  # a bad value, like /settings refuses it: usage error
        raise fail(str(exc), 2) from None
    except BotError as exc:
        raise fail(str(exc)) from None


def papers(count: int) -> str:
    """ "1 featured paper", "2 featured papers" (operator output, English)."""
    return f"{count} featured paper" + ("" if count == 1 else "s")


def parse_date_option(value: str | None) -> date | None:
    if value is None:
        return None
    if value.lower() == "yesterday":
        return date.today() - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"'{value}' is not a date: use YYYY-MM-DD (e.g. 2025-01-10).", 2) from None


@cli.command()
def digest(
    day: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD; default: today's digest.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N papers.")] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Summary language (en, ko, ...).")
    ] = None,
) -> None:
    """Print a day's digest (default: the latest finished day with papers)."""
    from adapters.formats import render
    from bot.cards import build_digest, digest_reply
    from bot.i18n import catalogue_language
    from bot.summaries import explain

    wanted = parse_date_option(day)
    settings = load_settings()
    lang = language or settings.default_language

    async def work(app: App) -> str:
        now = app.now()
        if wanted is not None and wanted > now.date():
            raise fail(
                f"{wanted} is in the future (today is {now.date()}); Hugging Face has no papers "
                "for it yet.",
                2,
            )
        the_day = wanted or await app.archive.todays_digest_date(now)
        featured = await app.archive.day(the_day, now)
        if limit:
            featured = featured[:limit]
        papers = [fp.paper for fp in featured]
        summaries, fallbacks = await app.summaries.summarize_report(papers, lang)
        if fallbacks and (app.summaries.enabled or catalogue_language(lang) != "en"):
            reasons = sorted(set(fallbacks.values()))
            why = "; ".join(explain(reason, app.summaries.model) for reason in reasons)
            typer.echo(
                f"warning: {len(fallbacks)} of {len(papers)} summaries are the original English "
                f"ones ({why}).",
                err=True,
            )
        reply = digest_reply(build_digest(the_day, featured, summaries, lang), style="cards")
        return render(reply, fmt.value)

    output = with_app(work, settings=settings)
    sys.stdout.write(output if output.endswith("\n") else output + "\n")


@cli.command()
def fetch(
    since: Annotated[str, typer.Option("--since", help="First day, YYYY-MM-DD.")],
    until: Annotated[
        str | None, typer.Option("--until", help="Last day (default: today's digest).")
    ] = None,
) -> None:
    """Backfill the archive with every day from --since on."""
    first = parse_date_option(since)
    last = parse_date_option(until)
    assert first is not None

    async def work(app: App) -> tuple[int, int]:
        now = app.now()
        end = last or await app.archive.todays_digest_date(now)
        if first > end:
            raise fail(f"--since {first} is after {end}.", 2)
        days = (min(end, now.date()) - first).days + 1
        # a progress bar on a terminal only: a pipe or a log gets the one summary line
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as progress:
            task = progress.add_task("Fetching days", total=max(days, 0))

            def advance(day: date) -> None:
                progress.update(task, advance=1, description=f"Fetched {day}")

            return await app.archive.backfill_report(first, end, now, on_day=advance)

    total, new = with_app(work)
    if new:
        typer.echo(f"Stored {papers(new)} new since {first} ({total} in all for these days).")
    else:
        typer.echo(f"Nothing new since {first}: the archive already holds all {papers(total)}.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (the bot also does this on start)."""
    from bot.db import make_engine, upgrade

    settings = load_settings()
    try:
        engine = make_engine(settings.database_url)
        upgrade(engine)
        engine.dispose()
    except Exception as exc:
        raise fail(f"cannot upgrade {settings.database_url!r}: {exc}", 2) from None
    typer.echo("Database is up to date.")


@db_cli.command("rebuild-search")
def db_rebuild_search() -> None:
    """Rebuild the full-text search index (after a SQLite VACUUM, or if /search misses papers)."""
    from bot.db import make_engine, rebuild_search

    settings = load_settings()
    try:
        engine = make_engine(settings.database_url)
        rebuild_search(engine)
        engine.dispose()
    except Exception as exc:
        raise fail(
            f"cannot rebuild the search index of {settings.database_url!r}: {exc}", 2
        ) from None
    typer.echo("Search index rebuilt.")


@cli.command()
def console() -> None:
    """Talk to the bot in the terminal (also reads commands from a pipe)."""
    from adapters.console import run_console

    with_app(run_console)


@cli.command()
def run() -> None:
    """Run the bot: Telegram and/or Discord (by the tokens set) and the morning clock."""
    from bot.runner import run_bot

    settings = load_settings()
    if not settings.telegram_bot_token and not settings.discord_bot_token:
        raise fail("set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN to run the bot.", 2)
    with_app(run_bot, settings=settings, quiet=False)


# --- operators: health ------------------------------------------------------------------------


@cli.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """What the running bot last reported (the facts of /healthz) and the latest morning post.

    Exit code 1 when unhealthy (database unreachable, or no tick for 5 minutes)."""
    from bot.app import utc_now
    from bot.db import Database, make_engine
    from bot.status import gather, render

    settings = load_settings()
    configure_logging("CRITICAL", settings.log_format)  # the verdict says it, not a traceback
    try:
        db = Database.from_url(settings.database_url)  # brings an older schema up to date
    except Exception:
        db = Database(make_engine(settings.database_url))  # unreachable: gather says so

    async def main() -> Status:
        try:
            return await gather(db, utc_now())
        finally:
            db.dispose()

    result = asyncio.run(main())
    render(result, as_json=as_json)
    if not result.health.healthy:
        raise typer.Exit(1)


@cli.command()
def health(
    url: Annotated[
        str | None, typer.Option("--url", help="Default: http://HTTP_HOST:HTTP_PORT/healthz")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1)] = 5.0,
) -> None:
    """Ask a running bot's /healthz; exit 0 when healthy (for container health checks)."""
    import urllib.error
    import urllib.request

    if url is None:
        settings = load_settings()
        if not settings.http_port:
            raise fail("HTTP_PORT=0: the health server is off.", 2)
        host = settings.http_host
        host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        host = f"[{host}]" if ":" in host else host
        url = f"http://{host}:{settings.http_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")
        typer.echo(f"unhealthy (HTTP {exc.code}): {body[:500]}", err=True)
        raise typer.Exit(1) from None
    except (OSError, ValueError) as exc:
        raise fail(f"no answer from {url}: {exc}") from None
    typer.echo(f"healthy: {body[:500]}")


# --- operators: subscriptions ---------------------------------------------------------------


PLATFORMS = ("telegram", "discord")
# Telegram: a (negative for groups and channels) number, or a public channel's @username;
# Discord: a snowflake
CHAT_ID = {
    "telegram": re.compile(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}"),
    "discord": re.compile(r"\d{15,21}"),
}
CHAT_ID_HELP = {
    "telegram": "a number such as -1001234567890, or a channel's @username",
    "discord": "a channel id, 15-21 digits",
}


def check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise fail(f"unknown platform '{platform}': use telegram or discord.", 2)


def _row_line(row: Subscription) -> str:
    state = "subscribed" if row.subscribed else "not subscribed"
    if not row.active:
        state = "inactive"
    elif row.paused:
        state = "paused"
    where = row.chat_id + (f"/{row.thread_id}" if row.thread_id else "")
    title = f" {row.chat_title!r}" if row.chat_title else ""
    return (
        f"#{row.id:<4} {row.platform:<9} {where}{title}  {state}  {row.post_time} {row.timezone}"
        f"  lang={row.language} style={row.style} top={row.top_n} minvotes={row.min_votes}"
        f" rank={row.rank}"
    )


@channels_cli.command("list")
def channels_list(
    platform: Annotated[str | None, typer.Option("--platform", help="telegram or discord")] = None,
) -> None:
    """List every chat and channel the bot knows."""
    if platform is not None:
        check_platform(platform)

    async def work(app: App) -> list[str]:
        return [_row_line(row) for row in await app.subscriptions.list_all(platform)]

    lines = with_app(work)
    typer.echo("\n".join(lines) if lines else "No subscriptions yet.")


@channels_cli.command("show")
def channels_show(sub_id: Annotated[int, typer.Argument(help="Subscription number.")]) -> None:
    """Show one subscription with all its settings and delivery history."""
    from bot.subscriptions import describe

    async def work(app: App) -> str:
        row = await app.subscriptions.by_id(sub_id)
        deliveries = await app.ledger.records(sub_id)
        lines = [_row_line(row), describe(row, app.settings, "en")]
        lines.append(f"Failures in a row: {row.failure_count}  Last error: {row.last_error or '-'}")
        if row.failed_days:
            days = ", ".join(day.isoformat() for day in row.failed_days)
            lines.append(f"Unreachable on: {days}")
        for d in deliveries[-10:]:
            lines.append(
                f"  delivery {d.day} {d.status} {d.messages_sent}/{d.messages_total} messages"
                + (f" ({d.last_error})" if d.last_error else "")
            )
        return "\n".join(lines)

    typer.echo(with_app(work))


@channels_cli.command("add", context_settings={"ignore_unknown_options": True})
def channels_add(
    platform: Annotated[str, typer.Argument(help="telegram or discord")],
    chat_id: Annotated[str, typer.Argument(help="Chat or channel id.")],
    thread: Annotated[str | None, typer.Option("--thread", help="Topic/thread id.")] = None,
) -> None:
    """Subscribe a chat or channel by id (e.g. a Telegram channel the bot posts in)."""
    from bot.domain import Target

    check_platform(platform)
    if not CHAT_ID[platform].fullmatch(chat_id):
        raise fail(f"'{chat_id}' is not a {platform} chat id ({CHAT_ID_HELP[platform]}).", 2)
    if thread is not None and not re.fullmatch(r"\d{1,20}", thread):
        raise fail(f"'{thread}' is not a topic/thread id (a positive number).", 2)

    async def work(app: App) -> str:
        row, _ = await app.subscriptions.subscribe(Target(platform, chat_id, thread))
        return _row_line(row)

    typer.echo(with_app(work))


@channels_cli.command("set", context_settings={"ignore_unknown_options": True})
def channels_set(
    sub_id: Annotated[int, typer.Argument(help="Subscription number.")],
    key: Annotated[str, typer.Argument(help=f"One of: {', '.join(SETTING_SPECS)}, active.")],
    value: Annotated[list[str], typer.Argument(help="The new value.")],
) -> None:
    """Change one setting of a subscription (same names and values as /settings)."""
    from bot.subscriptions import RANK_RESET, parse_flag, parse_setting

    raw = " ".join(value)
    flag_keys = ("active", "subscribed")
    # validated before anything is opened: a bad value changes nothing
    if key.lower() in flag_keys:
        flag = parse_flag(raw)
        if flag is None:
            raise fail(f"'{raw}' is not a valid {key.lower()} value. Use on or off.", 2)
    else:
        try:
            spec, parsed = parse_setting(key, raw)
        except BadArgument as exc:
            raise fail(str(exc), 2) from None

    async def work(app: App) -> str:
        row = await app.subscriptions.by_id(sub_id)
        if key.lower() in flag_keys:
            changes: dict[str, object] = {key.lower(): flag}
            if flag:
                changes.update(failure_count=0, failed_days=(), last_error=None)
            row = await app.subscriptions.save(sub_id, **changes)
        else:
            if spec.key == "rank" and parsed == RANK_RESET:  # an action: forget the ratings
                forgotten = await app.commands.ranking.ratings.forget(row.target)
                return f"Forgot {forgotten} ratings of subscription #{sub_id}."
            row = await app.subscriptions.save(row.id, **{spec.column: parsed})
        return _row_line(row)

    typer.echo(with_app(work))


@channels_cli.command("remove")
def channels_remove(sub_id: Annotated[int, typer.Argument(help="Subscription number.")]) -> None:
    """Delete a subscription and its delivery history."""

    async def work(app: App) -> None:
        await app.subscriptions.remove(sub_id)

    with_app(work)
    typer.echo(f"Removed subscription #{sub_id}.")


@summaries_cli.command("stats")
def summaries_stats(
    days: Annotated[int, typer.Option("--days", min=1, help="How many days back.")] = 14,
) -> None:
    """Summaries per day and model: from full text, abstract or offline; tokens; est. cost."""
    from bot.usage import format_usage, usage_report

    async def work(app: App) -> str:
        lines = await usage_report(
            app.db,
            days=days,
            now=app.now(),
            price_input=app.settings.llm_price_input,
            price_output=app.settings.llm_price_output,
        )
        return format_usage(lines)

    typer.echo(with_app(work))


@rank_cli.command("eval")
def rank_eval(
    ratings: Annotated[
        Path, typer.Option("--ratings", help="CSV: chat,paper,+1/-1,YYYY-MM-DD (a header is ok).")
    ],
) -> None:
    """Replay a ratings file over the archive (time split): personal ranking vs votes."""
    from bot.rank_eval import evaluate, format_table, read_ratings
    from bot.ranking import Ranker

    settings = load_settings()
    rows = read_ratings_or_fail(ratings, read_ratings)
    rankers = {"personal (tfidf)": Ranker("tfidf")}
    note = ""
    try:
        rankers["personal (embeddings)"] = Ranker(
            "embeddings", embeddings_model=settings.rank_embeddings_model
        )
    except RankingUnavailable as exc:
        note = f"personal (embeddings): not available here ({exc})"

    async def work(app: App) -> str:
        now = app.now()
        days = {day: await app.archive.day(day, now) for day in sorted({r.day for r in rows})}
        days = {day: featured for day, featured in days.items() if featured}
        if not days:
            raise fail("no stored or fetchable day holds the rated papers", 1)
        results = await asyncio.to_thread(evaluate, days, rows, rankers)
        ratings_count = sum(1 for r in rows if r.day in days)
        head = (
            f"{ratings_count} ratings by {len({r.chat for r in rows})} chats over {len(days)} "
            "days; train on ratings before each day, rank that day's papers"
        )
        return "\n".join([head, "", format_table(results), *([note] if note else [])])

    typer.echo(with_app(work, settings=settings))


def read_ratings_or_fail(path: Path, reader: Callable[[Path], T]) -> T:
    try:
        return reader(path)
    except BotError as exc:
        raise fail(str(exc), 2) from None


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
