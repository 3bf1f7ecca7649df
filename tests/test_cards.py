"""Cards, digests and the text helpers: summaries clip at sentences, authors shorten."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cards import (
    build_card,
    build_digest,
    clean_text,
    clip,
    clip_sentences,
    digest_reply,
    offline_summary,
    sentence_ends,
    shorten_authors,
    split_text,
    utf16_len,
)
from bot.domain import FeaturedPaper, PaperInfo, Summary

DAY = date(2025, 1, 10)
ABSTRACT = (
    "Large reasoning models (LRMs) like OpenAI-o1 have demonstrated impressive long stepwise "
    "reasoning capabilities through large-scale reinforcement learning. However, their extended "
    "reasoning process often suffers from knowledge insufficiency, leading to frequent "
    "uncertainties and potential errors. To address this limitation, we introduce Search-o1, a "
    "framework that enhances LRMs with an agentic retrieval-augmented generation (RAG) mechanism "
    "and a Reason-in-Documents module for refining retrieved documents. Extensive experiments on "
    "complex reasoning tasks in science, mathematics, and coding demonstrate strong performance."
)


def paper(**kw: object) -> PaperInfo:
    base: dict[str, object] = {"arxiv_id": "2501.05366", "title": "Search-o1", "abstract": ABSTRACT}
    base.update(kw)
    return PaperInfo(**base)  # type: ignore[arg-type]


# --- offline summaries ---------------------------------------------------------------------


def test_offline_summary_prefers_hf_ai_summary() -> None:
    s = offline_summary(paper(ai_summary="  HF's  one-liner\nabout it. "), "ko")
    assert s == Summary(text="HF's one-liner about it.", language="ko", source="offline")


def test_offline_summary_clips_the_abstract_at_a_sentence() -> None:
    text = offline_summary(paper()).text or ""
    assert len(text) <= 400
    assert text.endswith("uncertainties and potential errors.")
    assert ABSTRACT.startswith(text)


def test_offline_summary_short_abstract_is_whole() -> None:
    assert offline_summary(paper(abstract="Short.\n  Two lines.")).text == "Short. Two lines."


def test_offline_summary_without_sentence_end_clips_at_a_word() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    text = offline_summary(paper(abstract=words)).text or ""
    assert text.endswith("…") and len(text) <= 400
    assert text[:-1] in words and (text[:-1] + " ") in words + " "  # whole words only


def test_offline_summary_emoji_only_and_empty() -> None:
    emoji = "👨‍👩‍👧😀" * 300
    text = offline_summary(paper(abstract=emoji)).text or ""
    assert 0 < len(text) <= 400 and text.endswith("…")
    assert not text[:-1].endswith("\u200d")  # not cut inside the family emoji
    assert offline_summary(paper(abstract="")).text == ""
    assert offline_summary(paper(abstract="   \n ")).text == ""


def test_sentence_ends_skip_abbreviations() -> None:
    text = "We use e.g. tricks from Smith et al. Results improve. J. Doe agrees! Done"
    ends = [text[:e] for e in sentence_ends(text)]
    assert ends == ["We use e.g. tricks from Smith et al. Results improve.", text[:-5]]


def test_clip_sentences_and_clip() -> None:
    assert clip_sentences("One. Two. Three.", 10) == "One. Two."
    assert clip_sentences("A very long first sentence.", 12) == "A very long…"
    assert clip("hello wonderful world", 12) == "hello…"
    assert clip("short", 10) == "short"
    assert clip("anything", 0) == ""


@settings(max_examples=150, deadline=None)
@given(st.text(), st.integers(min_value=0, max_value=300))
def test_clip_fits_and_is_a_prefix(text: str, limit: int) -> None:
    text = clean_text(text)
    for measure in (len, utf16_len):
        out = clip(text, limit, measure=measure)
        assert measure(out) <= limit
        body = out[:-1] if out.endswith("…") and out != text else out
        assert text.startswith(body)
        sentences = clip_sentences(text, limit, measure=measure)
        assert measure(sentences) <= limit


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab 😀\n.")), st.integers(min_value=2, max_value=50))
def test_split_text_loses_nothing_but_whitespace(text: str, limit: int) -> None:
    chunks = split_text(text, limit, measure=utf16_len)
    assert all(0 < utf16_len(c) <= limit and c.strip() for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())


# --- authors -------------------------------------------------------------------------------


def test_shorten_authors() -> None:
    eight = [f"Author {i}" for i in range(8)]
    assert shorten_authors(eight) == ", ".join(eight)
    many = [f"Author {i}" for i in range(5000)]
    assert shorten_authors(many) == ", ".join(many[:8]) + ", … +4,992 more"
    assert shorten_authors(["A", "B", "C", "D"], max_names=3) == "A, B, C, … +1 more"
    assert shorten_authors([]) == ""
    assert shorten_authors([" ", "\n"]) == ""


# --- cards and digests ---------------------------------------------------------------------


def test_build_card_maps_every_field() -> None:
    info = paper(
        title="Search-o1:\n  Agentic Search",
        authors=("Xiaoxi Li", " ", "Zhicheng Dou"),
        organization="RUC",
        github_repo="RUC-NLPIR/Search-o1",
        github_stars=900,
        project_page="https://search-o1.github.io/",
        keywords=("RAG", "rag", " LRM "),
    )
    card = build_card(FeaturedPaper(day=DAY, paper=info, votes=39))
    assert card.title == "Search-o1: Agentic Search"
    assert card.authors == ("Xiaoxi Li", "Zhicheng Dou")
    assert card.github_url == "https://github.com/RUC-NLPIR/Search-o1"
    assert card.github_stars == 900
    assert card.project_url == "https://search-o1.github.io/"
    assert card.keywords == ("RAG", "LRM")
    assert card.organization == "RUC" and card.votes == 39 and card.day == DAY
    assert card.summary == offline_summary(info)
    assert card.arxiv_url == "https://arxiv.org/abs/2501.05366"


def test_build_card_keeps_given_summary_and_drops_unsafe_urls() -> None:
    summary = Summary(whats_new="New.", source="llm")
    info = paper(github_repo="https://github.com/a/b", project_page="javascript:alert(1)")
    card = build_card(FeaturedPaper(day=DAY, paper=info), summary)
    assert card.summary is summary
    assert card.github_url == "https://github.com/a/b"
    assert card.project_url is None


def test_build_digest_orders_by_votes_and_uses_summaries() -> None:
    featured = [
        FeaturedPaper(day=DAY, paper=paper(arxiv_id=f"2501.0000{i}"), votes=v)
        for i, v in enumerate([3, 10, 5, 10])
    ]
    llm = Summary(whats_new="새로운 점", language="ko", source="llm")
    digest = build_digest(DAY, featured, {"2501.00002": llm}, "ko")
    assert [c.arxiv_id for c in digest.cards] == [
        "2501.00001",
        "2501.00003",
        "2501.00002",
        "2501.00000",
    ]
    assert digest.cards[2].summary is llm
    assert digest.cards[0].summary == offline_summary(featured[1].paper, "ko")
    assert digest.title == "Daily Papers (2025-01-10)" and digest.language == "ko"


def test_digest_reply() -> None:
    featured = [FeaturedPaper(day=DAY, paper=paper(), votes=1)]
    reply = digest_reply(build_digest(DAY, featured, {}, "en"), "cards")
    assert reply.title == "Daily Papers (2025-01-10)"
    assert reply.style == "cards" and reply.day == DAY and len(reply.cards) == 1
    assert reply.buttons[0].url == "https://huggingface.co/papers?date=2025-01-10"
    empty = digest_reply(build_digest(date(2025, 1, 11), [], {}, "en"))
    assert empty.cards == () and "2025-01-11" in empty.text and empty.buttons == ()
