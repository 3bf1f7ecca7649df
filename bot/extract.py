"""The summariser's input from a paper's text: the parts that matter, within a token budget.

Pure functions, no I/O. ``build_extract`` picks, in priority order, the experiments/results
sections' table captions and number-bearing paragraphs, then the opening of the introduction,
method and conclusion, then the rest, until the budget is spent; it prints what it picked in the
paper's reading order. The abstract travels separately (the prompt has it either way); the
bibliography never gets here (``bot.paper_parse`` drops it) and sections named like references,
acknowledgements or appendices are skipped again here, in case a parser kept one.

Token estimate (no tokenizer, no download): CJK characters (Han, Hangul, kana) count one token
each, everything else four characters per token, rounded up. OpenAI documents "about 4
characters or 0.75 words per token" for English. The two rules disagree by up to ~20% on ML
prose (longer words), which is the error bar we document and test; maths-heavy text (LaTeX
alttext, numbers) runs denser, about 3 to 3.5 characters per token, so a real tokenizer can
count up to ~25% more there.
Hangul and Han are about one token per character in cl100k and fewer in o200k, so the estimate
is on the safe side for them. The default budget (6,000) leaves room for such an error in every
current model's context window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import regex

from bot.domain import PaperText, TextSection

_CJK = regex.compile(r"[\p{Han}\p{Hangul}\p{Hiragana}\p{Katakana}]")
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Tokens in ``text`` without a tokenizer: CJK one per character, others 4 characters each.

    Rounded up, so the estimate of parts adds up to at least the estimate of their join.
    """
    cjk = len(_CJK.findall(text))
    other = len(text) - cjk
    return cjk + -(-other // CHARS_PER_TOKEN)


def clip_to_tokens(text: str, tokens: int) -> str:
    """The longest start of ``text`` (whole sentences, else whole words) within ``tokens``."""
    if estimate_tokens(text) <= tokens:
        return text
    if tokens <= 1:
        return ""
    low, high = 0, len(text)
    while low < high:  # longest prefix (in characters) whose estimate plus " …" fits
        mid = (low + high + 1) // 2
        if estimate_tokens(text[:mid] + " …") <= tokens:
            low = mid
        else:
            high = mid - 1
    head = text[:low]
    sentence_end = max(head.rfind(". "), head.rfind("? "), head.rfind("! "))
    if sentence_end > len(head) // 2:
        return head[: sentence_end + 1]
    space = head.rfind(" ")
    return (head[:space] if space > 0 else head).rstrip() + " …"


# --- what a section is --------------------------------------------------------------------

_SKIP = re.compile(
    r"reference|bibliograph|acknowledg|appendix|supplementa|ethic|broader impact|"
    r"impact statement|reproducibility|author contribution|checklist",
    re.IGNORECASE,
)
_RELATED = re.compile(r"related work|prior work|literature", re.IGNORECASE)
_INTRO = re.compile(r"introduction|motivation|overview", re.IGNORECASE)
_RESULTS = re.compile(
    r"experiment|result|evaluat|benchmark|ablation|analys|empirical|comparison|performance",
    re.IGNORECASE,
)
_CONCLUSION = re.compile(
    r"conclu|discussion|limitation|future work|summary|closing remarks", re.IGNORECASE
)
_METHOD = re.compile(
    r"method|approach|model|architecture|framework|design|preliminar|propos|algorithm|"
    r"training|data|setup|implementation|formulation|theor|system|pipeline|background",
    re.IGNORECASE,
)

# The extract's sections, in the order the model reads them.
KINDS = ("introduction", "method", "results", "conclusion", "other", "related")


def section_kind(title: str) -> str:
    """introduction, method, results, conclusion, related, other, or skip (never sent)."""
    if _SKIP.search(title):
        return "skip"
    if _RELATED.search(title):
        return "related"
    if _INTRO.search(title):
        return "introduction"
    if _RESULTS.search(title):
        return "results"
    if _CONCLUSION.search(title):
        return "conclusion"
    if _METHOD.search(title):
        return "method"
    return "other"


# A result-looking number: a decimal, a percentage, or a multiplier ("75.3", "12%", "3.9x").
_RESULT_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:%|×|x\b)|(?<![\w.])\d+\.\d+(?![\w.])")


def has_numbers(text: str) -> bool:
    """Whether a paragraph states results-like numbers (not just a year or a citation)."""
    return _RESULT_NUMBER.search(text) is not None


@dataclass(frozen=True)
class _Piece:
    tier: int
    section: int  # index in the paper
    order: int  # position inside the section (captions before paragraphs)
    text: str


def _pieces(sections: tuple[TextSection, ...]) -> list[_Piece]:
    pieces: list[_Piece] = []
    for index, section in enumerate(sections):
        kind = section_kind(section.title)
        if kind == "skip":
            continue
        for order, caption in enumerate(section.captions):
            pieces.append(_Piece(0 if kind == "results" else 4, index, order, caption))
        base = len(section.captions)
        for position, text in enumerate(section.paragraphs):
            numeric = has_numbers(text)
            if kind == "results":
                tier = 1 if numeric else 3
            elif kind in ("introduction", "conclusion"):
                tier = 2 if position == 0 else 4
            elif kind == "method":
                tier = 2 if position < 2 else (3 if numeric else 4)
            elif kind == "other":
                tier = 4 if numeric else 5
            else:  # related work: last, with what budget is left
                tier = 6
            pieces.append(_Piece(tier, index, base + position, text))
    return pieces


def _heading(section: TextSection) -> str:
    return f"## {section.title or 'Untitled section'}\n"


def build_extract(text: PaperText, budget_tokens: int) -> str:
    """The paper's body for the model: prioritised, in reading order, within ``budget_tokens``.

    ``estimate_tokens`` of the result never exceeds the budget. The abstract is not included
    (the prompt carries it); an empty string means nothing fitted.
    """
    pieces = sorted(_pieces(text.sections), key=lambda p: (p.tier, p.section, p.order))
    remaining = budget_tokens
    opened: set[int] = set()
    chosen: list[_Piece] = []
    for piece in pieces:
        header = (
            0
            if piece.section in opened
            else estimate_tokens(_heading(text.sections[piece.section]) + "\n")
        )
        cost = header + estimate_tokens(piece.text + "\n\n")
        if cost <= remaining:
            chosen.append(piece)
        elif piece.tier <= 2 and remaining - header > 60:  # worth a clipped paragraph
            clipped = clip_to_tokens(piece.text, remaining - header - 1)
            if not clipped:
                continue
            chosen.append(_Piece(piece.tier, piece.section, piece.order, clipped))
            cost = header + estimate_tokens(clipped + "\n\n")
        else:
            continue
        opened.add(piece.section)
        remaining -= cost
    return _render(text.sections, chosen)


def _render(sections: tuple[TextSection, ...], chosen: list[_Piece]) -> str:
    by_section: dict[int, list[_Piece]] = {}
    for piece in chosen:
        by_section.setdefault(piece.section, []).append(piece)
    rank = {kind: i for i, kind in enumerate(KINDS)}
    order = sorted(by_section, key=lambda i: (rank.get(section_kind(sections[i].title), 9), i))
    blocks = []
    for index in order:
        body = "\n\n".join(p.text for p in sorted(by_section[index], key=lambda p: p.order))
        blocks.append(_heading(sections[index]) + "\n" + body)
    return "\n\n".join(blocks)
