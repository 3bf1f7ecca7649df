"""Paper → Card, a day → Digest, and the text helpers every renderer shares.

Pure functions: no network, no DB, no markup. Clipping helpers take a ``measure`` so a
renderer can clip by what its platform counts (UTF-16 units, escaped length...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

import regex
from markdown_it import MarkdownIt

from bot.domain import Button, Card, Digest, FeaturedPaper, PaperInfo, Reply, Style, Summary
from bot.i18n import t

ELLIPSIS = "…"
OFFLINE_SUMMARY_CHARS = 400
MAX_KEYWORDS = 5
HF_DAY = "https://huggingface.co/papers?date={day}"

Measure = Callable[[str], int]

# A sentence ends at . ! ? … (plus closing quotes/brackets) before whitespace or the end,
# or at CJK full stops, which need no space after them.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)|[。！？]+[\"'”’)\]」』]*")
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "al", "fig", "figs", "eq", "eqs", "vs", "cf", "sec", "no", "dr", "approx", "ref"}
)
_NEXT_CHAR = re.compile(r"\s*(\S)")
_LAST_WORD = re.compile(r"[^\s]+$")
_GRAPHEME = regex.compile(r"\X")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: what Telegram (and JavaScript) count."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str | None, *, keep_newlines: bool = False) -> str:
    """Drop control characters and lone surrogates; collapse whitespace.

    With ``keep_newlines`` line breaks survive (runs of spaces inside a line collapse).
    """
    if not text:
        return ""
    kept = _UNPRINTABLE.sub("", text)
    if not keep_newlines:
        return " ".join(kept.split())
    lines = (" ".join(line.split()) for line in kept.replace("\r\n", "\n").split("\n"))
    return "\n".join(lines).strip("\n")


def grapheme_ends(text: str) -> list[int]:
    """Indices where a user-perceived character (an extended grapheme cluster) ends."""
    return [match.end() for match in _GRAPHEME.finditer(text)]


def clip(text: str, limit: int, *, measure: Measure = len, ellipsis: str = ELLIPSIS) -> str:
    """The longest prefix of ``text`` ending at a word boundary, plus ``ellipsis``, that fits.

    Text without any space (CJK, emoji runs, a very long word) is cut between grapheme
    clusters (``regex``'s ``\\X``), so a flag, a family emoji or an accent stays whole.
    """
    if measure(text) <= limit:
        return text
    if measure(ellipsis) > limit:
        return ""
    ends = [0, *grapheme_ends(text)]
    lo, hi = 0, len(ends) - 1
    while lo < hi:  # most graphemes n with measure(text[:ends[n]] + ellipsis) <= limit
        mid = (lo + hi + 1) // 2
        if measure(text[: ends[mid]] + ellipsis) <= limit:
            lo = mid
        else:
            hi = mid - 1
    size = ends[lo]
    cut = text[:size]
    if size < len(text) and not text[size].isspace() and cut and not cut[-1].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"))
        if space > 0:
            cut = cut[:space]
    cut = cut.rstrip().rstrip(",;:-–—(").rstrip()
    return cut + ellipsis


def iter_sentence_ends(text: str) -> Iterator[int]:
    """Indices just after each sentence end in ``text`` (abbreviations are not ends)."""
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        following = _NEXT_CHAR.match(text, end)
        if following and following[1].islower() and following[1].isascii():
            continue  # "e.g. the", "approx. three": the sentence goes on
        if match.group().startswith("."):
            word = _LAST_WORD.search(text, max(0, match.start() - 20), match.start())
            token = word.group() if word else ""
            if token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper()):
                continue  # "et al. Smith", "J. Doe"
        yield end


def sentence_ends(text: str) -> list[int]:
    return list(iter_sentence_ends(text))


def clip_sentences(text: str, limit: int, *, measure: Measure = len) -> str:
    """Whole sentences from the start of ``text`` that fit; a word clip if none does."""
    if measure(text) <= limit:
        return text
    best = ""
    for end in iter_sentence_ends(text):
        candidate = text[:end].rstrip()
        if measure(candidate) > limit:
            break
        best = candidate
    return best or clip(text, limit, measure=measure)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark")


def strip_markdown(text: str | None) -> str:
    """Plain text from Markdown (Hugging Face's ``ai_summary`` may carry ``**bold**``, links,
    code): emphasis marks and link targets dropped, words kept. Renderers escape the result."""
    if not text:
        return ""
    if not any(ch in text for ch in "*_`[]#<>!"):
        return text
    words: list[str] = []
    for block in _markdown().parse(text):
        if block.type == "inline":
            for token in block.children or ():
                if token.type in ("text", "code_inline", "html_inline"):
                    words.append(token.content)
                elif token.type in ("softbreak", "hardbreak"):
                    words.append(" ")
                elif token.type == "image":
                    words.append(token.content)
            words.append(" ")
        elif block.type in ("code_block", "fence", "html_block"):
            words.append(block.content + " ")
    return clean_text("".join(words)) or clean_text(text)


def first_sentence(text: str) -> str:
    ends = sentence_ends(text)
    return text[: ends[0]].strip() if ends else text


def gist_line(card: Card) -> str:
    """The one summary line a compact list shows under an item (every platform the same)."""
    summary = card.summary
    gist = summary.whats_new if summary.has_sections else summary.text
    return first_sentence(clean_text(gist))


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL without spaces or markup characters, else None."""
    if not url:
        return None
    url = url.strip()
    if any(ch.isspace() or ch in "<>\"'`\\" or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def github_url(repo: str | None) -> str | None:
    """HF gives a full URL; accept "owner/name" too."""
    if not repo:
        return None
    repo = repo.strip()
    if re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        repo = f"https://github.com/{repo}"
    return safe_url(repo)


def shorten_authors(authors: Sequence[str], max_names: int = 8, language: str = "en") -> str:
    """ "A, B, C" — or the first ``max_names`` names and "… +4,992 more" (in ``language``)."""
    names = [name for name in (clean_text(a) for a in authors) if name]
    if len(names) <= max_names:
        return ", ".join(names)
    shown = names[:max_names]
    return f"{', '.join(shown)}, {t('authors_more', language, count=len(names) - len(shown))}"


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for item in items:
        cleaned = clean_text(item)
        if cleaned and cleaned.lower() not in seen:
            seen.add(cleaned.lower())
            kept.append(cleaned)
    return tuple(kept)


def offline_summary(paper: PaperInfo, language: str = "en") -> Summary:
    """HF's one-line ai_summary when present, else the abstract's first sentences (≤ ~400 chars).

    ``language`` records which digest asked for it; the text itself is the source's English.
    """
    text = clean_text(strip_markdown(paper.ai_summary))
    if not text:
        text = clip_sentences(clean_text(paper.abstract), OFFLINE_SUMMARY_CHARS)
    return Summary(text=text, language=language, source="offline")


BECAUSE_TITLE_CHARS = 70


def because_line(liked_title: str | None, language: str = "en") -> str | None:
    """The one short "because you liked …" line under a personally ranked card."""
    title = clean_text(liked_title)
    if not title:
        return None
    return t("because_liked", language, title=clip(title, BECAUSE_TITLE_CHARS))


def same_page(a: str | None, b: str | None) -> bool:
    """Two URLs for the same page (scheme, "www.", case of the host, trailing "/" ignored)."""
    if not a or not b:
        return False

    def key(url: str) -> tuple[str, str]:
        parts = urlsplit(url.strip())
        host = parts.netloc.lower().removeprefix("www.")
        path = parts.path.rstrip("/").removesuffix(".git")
        return host, path + ("?" + parts.query if parts.query else "")

    return key(a) == key(b)


def build_card(fp: FeaturedPaper, summary: Summary | None = None, language: str = "en") -> Card:
    """A card with one link per destination: no project page that repeats the code link,
    at most ``MAX_KEYWORDS`` keywords."""
    paper = fp.paper
    code = github_url(paper.github_repo)
    project = safe_url(paper.project_page)
    return Card(
        arxiv_id=paper.arxiv_id.strip(),
        title=clean_text(paper.title) or paper.arxiv_id,
        votes=max(fp.votes, 0),
        authors=tuple(name for name in (clean_text(a) for a in paper.authors) if name),
        organization=clean_text(paper.organization) or None,
        github_url=code,
        github_stars=paper.github_stars,
        project_url=project if project and not same_page(project, code) else None,
        keywords=_unique(paper.keywords)[:MAX_KEYWORDS],
        summary=summary if summary is not None else offline_summary(paper),
        day=fp.day,
        because=because_line(fp.because, language),
    )


def digest_title(day: date) -> str:
    return f"Daily Papers ({day.isoformat()})"


def build_digest(
    day: date,
    featured: Sequence[FeaturedPaper],
    summaries: Mapping[str, Summary],
    language: str = "en",
) -> Digest:
    """The day's cards, most votes first (ties keep the source's order)."""
    ranked = sorted(featured, key=lambda fp: -fp.votes)
    cards = tuple(
        build_card(fp, summaries.get(fp.paper.arxiv_id) or offline_summary(fp.paper, language))
        for fp in ranked
    )
    return Digest(day=day, cards=cards, language=language, title=digest_title(day))


def digest_reply(digest: Digest, style: Style = "compact") -> Reply:
    """The digest as a reply, its words in the digest's language."""
    day = digest.day.isoformat()
    link = Button(t("button_open_hf", digest.language), url=hf_day_url(digest.day))
    text = "" if digest.cards else t("digest_empty", digest.language, day=day)
    return Reply(
        text=text,
        title=digest.title or digest_title(digest.day),
        cards=digest.cards,
        style=style,
        day=digest.day,
        buttons=(link,) if digest.cards else (),
        language=digest.language,
    )


def hf_day_url(day: date) -> str:
    return HF_DAY.format(day=day.isoformat())


def split_text(text: str, limit: int, *, measure: Measure = len) -> list[str]:
    """Cut ``text`` into chunks that fit, at line breaks, else at spaces, else anywhere.

    Nothing is lost but the whitespace at the cuts; empty chunks are dropped.
    """
    pieces: list[str] = []
    for line in text.split("\n"):
        while measure(line) > limit:
            lo, hi = 1, len(line)
            while lo < hi:  # largest prefix that fits
                mid = (lo + hi + 1) // 2
                if measure(line[:mid]) <= limit:
                    lo = mid
                else:
                    hi = mid - 1
            space = line.rfind(" ", 0, lo + 1)
            cut = space if space > 0 else lo
            pieces.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        pieces.append(line)
    return [chunk for chunk in pack(pieces, limit, measure=measure) if chunk.strip()]


def pack(
    blocks: Sequence[str], limit: int, *, measure: Measure = len, sep: str = "\n"
) -> list[str]:
    """Join consecutive blocks with ``sep`` into as few chunks as fit in ``limit``."""
    return [sep.join(group) for group in group_blocks(blocks, limit, measure=measure, sep=sep)]


def group_blocks(
    blocks: Sequence[str], limit: int, *, measure: Measure = len, sep: str = "\n"
) -> list[list[str]]:
    """Consecutive blocks grouped so each group joined with ``sep`` fits in ``limit``.

    Every block must fit on its own; a block never straddles two groups. Sizes add up, so
    ``measure`` must be additive over concatenation (len, UTF-16 length, visible length).
    """
    groups: list[list[str]] = []
    size = 0
    sep_size = measure(sep)
    for block in blocks:
        block_size = measure(block)
        if groups and size + sep_size + block_size <= limit:
            groups[-1].append(block)
            size += sep_size + block_size
        else:
            groups.append([block])
            size = block_size
    return groups
