"""The terminal adapter: type commands, read replies. Reads a pipe too, so it can be scripted."""

from __future__ import annotations

import asyncio
import sys

from rich.console import Console

from adapters.text import render_text
from bot.app import App
from bot.commands import ChatContext
from bot.domain import Reply
from bot.i18n import t

PROMPT = "dailypapers> "


def console_context() -> ChatContext:
    # The person at the terminal runs the bot: they administer this "chat".
    return ChatContext(platform="console", chat_id="console", user_id="operator")


class Session:
    """What the console remembers between lines: the command behind the last More button."""

    def __init__(self) -> None:
        self.more: str | None = None


async def answer(
    app: App,
    line: str,
    ctx: ChatContext | None = None,
    *,
    color: bool = False,
    session: Session | None = None,
) -> str | None:
    """The rendered reply to one typed line (``today`` works as well as ``/today``).

    ``/more`` shows the next page of the last listing (what the More button does in chats).
    With ``color`` the text carries rich markup (untrusted parts escaped) for a terminal.
    """
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if not text.startswith("/"):
        text = "/" + text
    ctx = ctx or console_context()
    if text.split()[0].lower() == "/more" and session is not None:
        if session.more is None:
            language = await app.commands.language_of(ctx)
            return render_text(Reply(text=t("no_more", language), is_error=True), color=color)
        text = session.more
    reply = await app.commands.handle_text(text, ctx)
    if reply is None:
        return None
    if session is not None:
        session.more = reply.more
    return render_text(reply, color=color)


async def run_console(app: App) -> None:
    interactive = sys.stdin.isatty()
    terminal = Console(highlight=False, soft_wrap=True)
    if interactive:
        terminal.print("Daily Papers console. Type [bold]/help[/bold], or /quit to leave.")
    ctx = console_context()
    session = Session()
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            print(PROMPT, end="", flush=True)
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        if line.strip() in {"/quit", "/exit", "quit", "exit"}:
            break
        output = await answer(app, line, ctx, color=interactive, session=session)
        if not output:
            continue
        if not interactive:  # a transcript: each command before its reply
            print(PROMPT + line.strip(), flush=True)
        if interactive:  # colours on a terminal; plain text into a pipe
            terminal.print(output.rstrip("\n"), end="\n\n")
        else:
            print(output.rstrip("\n"), end="\n\n", flush=True)
