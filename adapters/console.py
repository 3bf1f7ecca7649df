"""The terminal adapter: type commands, read replies. Reads a pipe too, so it can be scripted."""

from __future__ import annotations

import asyncio
import sys

from adapters.text import render_text
from bot.app import App
from bot.commands import ChatContext

PROMPT = "dailypapers> "


def console_context() -> ChatContext:
    # The person at the terminal runs the bot: they administer this "chat".
    return ChatContext(platform="console", chat_id="console", user_id="operator")


async def answer(app: App, line: str, ctx: ChatContext | None = None) -> str | None:
    """The rendered reply to one typed line (``today`` works as well as ``/today``)."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if not text.startswith("/"):
        text = "/" + text
    reply = await app.commands.handle_text(text, ctx or console_context())
    if reply is None:
        return None
    return render_text(reply, color=False)


async def run_console(app: App) -> None:
    interactive = sys.stdin.isatty()
    if interactive:
        print("Daily Papers console. Type /help, or /quit to leave.")
    ctx = console_context()
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            print(PROMPT, end="", flush=True)
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        if line.strip() in {"/quit", "/exit", "quit", "exit"}:
            break
        output = await answer(app, line, ctx)
        if output:
            print(output.rstrip("\n"))
            print()
