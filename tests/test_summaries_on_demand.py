"""/paper summarises on demand in the chat's language (typing… meanwhile), and says in one line
why a summary is the original English one. Real PTB against the fake Bot API, the fake HF and
the fake OpenAI-compatible service."""

from __future__ import annotations

import logging

import pytest

from tests.fakes.huggingface import FakeHuggingFace
from tests.fakes.openai import FakeOpenAI
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.fakes.telegram_harness import Clock, make_settings, running_bot

USER = 1001
BOT = "dailypapers_test_bot"
GAN = "2501.05441"


@pytest.fixture
async def hf():
    async with FakeHuggingFace() as server:
        yield server


@pytest.fixture
async def tg():
    server = FakeTelegram(bot_username=BOT)
    server.add_private_chat(USER, "Alice")
    await server.start()
    yield server
    await server.stop()


async def say(tg: FakeTelegram, text: str) -> list[SentMessage]:
    before = len(tg.sent_to(USER))
    tg.private_message(USER, text)
    sent = await tg.wait_sent(before + 1, chat_id=USER, within=15)
    return sent[before:]


async def test_paper_in_korean_gets_the_llm_summary_with_typing(sqlite_url, hf, tg) -> None:
    async with FakeOpenAI() as llm:
        settings = make_settings(
            sqlite_url, hf.base_url, tg, llm_base_url=llm.base_url, llm_model="fake-summarizer"
        )
        async with running_bot(settings, Clock()):
            (done,) = await say(tg, "/settings language ko")
            assert "ko" in done.plain
            card = await say(tg, f"/paper {GAN}")
            shown = " ".join(m.plain for m in card)
            assert "What's New:" in shown and "이 연구는" in shown  # the three Korean parts
            assert "Performance Highlights:" in shown
            assert "영어 원문" not in shown  # no fallback note
            assert llm.calls == 1
            typing = [a for a in tg.chat_actions if str(a["chat_id"]) == str(USER)]
            assert typing and typing[0]["action"] == "typing"
            again = await say(tg, f"/paper {GAN}")
            assert "이 연구는" in " ".join(m.plain for m in again)
            assert llm.calls == 1  # cached
            (listing,) = await say(tg, "/today")
            labels = [b["text"] for b in listing.buttons() if "callback_data" in b]
            assert "1 · 요약하기" in labels  # a Summarise button under each listed item
            first = next(b for b in listing.buttons() if b.get("text") == "1 · 요약하기")
            assert first["callback_data"].startswith("/paper ")
            before = len(tg.sent_to(USER))
            tg.press_button(listing, USER, data=first["callback_data"])
            sent = await tg.wait_sent(before + 1, chat_id=USER, within=15)
            pressed = " ".join(m.plain for m in sent[before:])
            assert "What's New:" in pressed and "이 연구는" in pressed  # summarised in Korean
            assert "영어 원문" not in pressed
            paper_id = first["callback_data"].removeprefix("/paper ")
            assert paper_id != GAN and llm.calls == 2  # a new summary, made on the press


async def test_unknown_model_says_why_and_logs_a_warning(sqlite_url, hf, tg, caplog) -> None:
    caplog.set_level(logging.WARNING)
    async with FakeOpenAI() as llm:
        settings = make_settings(
            sqlite_url, hf.base_url, tg, llm_base_url=llm.base_url, llm_model="no-such-model"
        )
        async with running_bot(settings, Clock()):
            await say(tg, "/settings language ko")
            card = await say(tg, f"/paper {GAN}")
            shown = " ".join(m.plain for m in card)
            assert "영어 원문 요약입니다 (설정된 모델을 LLM 서비스가 알지 못합니다)" in shown
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("does not know LLM_MODEL='no-such-model'" in w for w in warnings), warnings


async def test_dead_llm_and_no_model_say_why(sqlite_url, hf, tg) -> None:
    settings = make_settings(
        sqlite_url,
        hf.base_url,
        tg,
        llm_base_url="http://127.0.0.1:9/v1",
        llm_model="fake-summarizer",
        llm_timeout_seconds=2,
    )
    async with running_bot(settings, Clock()):
        await say(tg, "/settings language ko")
        card = await say(tg, f"/paper {GAN}")
        assert "요약 모델에 연결할 수 없습니다" in " ".join(m.plain for m in card)


async def test_no_model_configured(sqlite_url, hf, tg) -> None:
    async with running_bot(make_settings(sqlite_url, hf.base_url, tg), Clock()):
        card = await say(tg, f"/paper {GAN}")
        assert "original English" not in " ".join(m.plain for m in card)  # English: no noise
        await say(tg, "/settings language ko")
        card = await say(tg, f"/paper {GAN}")
        shown = " ".join(m.plain for m in card)
        assert "요약: 영어 원문 요약입니다 (요약 모델이 설정되어 있지 않습니다)." in shown
