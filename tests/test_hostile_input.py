"""Hostile and odd input: full-width digits, tabs, duplicate keywords, bidi controls, bad zones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.formats import FORMATS, render
from bot.cards import build_card
from bot.domain import FeaturedPaper, PaperInfo, Reply, Summary
from bot.subscriptions import MAX_KEYWORDS
from bot.untrusted import BIDI_CONTROLS
from tests.fakes.core import FRIDAY, make_core, private, sample_days
from tests.fakes.memory import MemorySource, paper

NOW = datetime(2025, 1, 11, 9, 0, tzinfo=UTC)


def has_bidi(text: str) -> bool:
    lowered = text.lower()
    return any(c in text or f"\\u{ord(c):04x}" in lowered for c in BIDI_CONTROLS)


@pytest.mark.parametrize(
    "typed",
    [
        "/settings time ０８:３０",
        "/settings time ０８：３０",
        "/settings time\t08:30",
        "/settings\ttime\t08:30",
        "/settings time\u300008:30",  # an ideographic space
        "/settings time  08:30 ",
        "/settings ｔｉｍｅ 08:30",
    ],
)
async def test_settings_time_in_any_width_and_whitespace(db, typed: str) -> None:
    app, _, _ = make_core(db, now=NOW)
    reply = await app.commands.handle_text(typed, private())
    assert reply is not None and not reply.is_error, reply
    assert "08:30" in reply.text
    row = await app.subscriptions.get(private().target)
    assert row is not None and row.post_time == "08:30"


async def test_include_counts_distinct_keywords(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    repeated = ",".join(["diffusion", "GAN", "diffusion ", "gan"] * 10)  # 40 entries, 2 words
    reply = await app.commands.run("settings", f"include {repeated}", private())
    assert not reply.is_error and "diffusion, gan" in reply.text
    row = await app.subscriptions.get(private().target)
    assert row is not None and row.include_keywords == ("diffusion", "gan")
    too_many = ",".join(f"word{i}" for i in range(MAX_KEYWORDS + 1))
    refused = await app.commands.run("settings", f"include {too_many}", private())
    assert refused.is_error


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "Mars/Olympus", "utc "])
async def test_only_loadable_tzdata_zones_are_accepted(db, zone: str) -> None:
    app, _, _ = make_core(db, now=NOW)
    reply = await app.commands.run("settings", f"timezone {zone}", private())
    if zone.strip() == "utc":
        assert not reply.is_error and "UTC" in reply.text
        return
    assert reply.is_error and "timezone" in reply.text
    assert await app.subscriptions.get(private().target) is None  # nothing stored


async def test_asia_seoul_in_any_case(db) -> None:
    app, _, _ = make_core(db, now=NOW)
    reply = await app.commands.run("settings", "timezone asia/SEOUL", private())
    assert not reply.is_error and "Asia/Seoul" in reply.text


async def test_bidi_controls_never_reach_a_chat(db) -> None:
    days = sample_days()
    days[FRIDAY] = [
        paper("2501.05366", "Evil \u202etxet desrever\u202c title", 39, FRIDAY),
        paper("2501.05441", "\u2067Isolated\u2069 \u200fmarks\u200e \u061cdone", 24, FRIDAY),
    ]
    app, _, _ = make_core(db, source=MemorySource(days), now=NOW)
    today = await app.commands.run("today", "", private())
    assert [c.title for c in today.cards] == ["Evil txet desrever title", "Isolated marks done"]
    searched = await app.commands.run("search", "\u202eevil\u202c", private())
    assert searched.cards and "evil" in searched.text and not has_bidi(searched.text)
    missing = await app.commands.run("search", "\u202enothing-like-this", private())
    assert not has_bidi(missing.text) and "nothing-like-this" in missing.text
    bad = await app.commands.run("date", "2025-\u202e01-10x", private())
    assert bad.is_error and not has_bidi(bad.text)
    for reply in (today, searched):
        for fmt in FORMATS:
            assert not has_bidi(render(reply, fmt)), fmt


BIDI = st.sampled_from(list(BIDI_CONTROLS))
HOSTILE = st.lists(st.one_of(st.text(max_size=8), BIDI), max_size=20).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=HOSTILE,
    abstract=HOSTILE,
    authors=st.lists(HOSTILE, max_size=4),
    keywords=st.lists(HOSTILE, max_size=4),
    organization=st.one_of(st.none(), HOSTILE),
    summary=HOSTILE,
    text=HOSTILE,
)
def test_no_renderer_outputs_a_bidi_control(
    title: str,
    abstract: str,
    authors: list[str],
    keywords: list[str],
    organization: str | None,
    summary: str,
    text: str,
) -> None:
    info = PaperInfo(
        arxiv_id="2501.05366",
        title=title or "t",
        abstract=abstract,
        authors=tuple(authors),
        keywords=tuple(keywords),
        organization=organization,
    )
    card = build_card(
        FeaturedPaper(day=date(2025, 1, 10), paper=info, votes=3),
        Summary(whats_new=summary or None, text=summary or None),
    )
    for style in ("compact", "cards"):
        reply = Reply(text=text, title=text or None, cards=(card,), style=style)  # type: ignore[arg-type]
        for fmt in FORMATS:
            assert not has_bidi(render(reply, fmt)), (fmt, style)
