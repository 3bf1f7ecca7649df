"""A paper's text from arXiv's LaTeXML HTML (lxml) or its PDF (pypdf): pure, CPU-bound.

Both parsers return ``PaperText``: the abstract and the top-level sections in reading order,
with paragraphs and table captions as plain text. The bibliography, footnotes and appendices are
dropped here, so nothing downstream can leak them into a prompt. Maths becomes its ``alttext``
(the LaTeX source), which a model reads better than flattened MathML. Callers run these in a
worker thread (``asyncio.to_thread``): a long paper takes tens of milliseconds to parse.
"""

from __future__ import annotations

import io
import logging
import re

import lxml.html
from lxml.etree import ParserError, XPathError
from lxml.html import HtmlElement
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from bot.domain import PaperText, TextSection

log = logging.getLogger(__name__)


class ParseError(Exception):
    """The document holds no usable paper text."""


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _find(element: HtmlElement, xpath: str) -> list[HtmlElement]:
    """Elements matching ``xpath`` (our expressions select elements only)."""
    return [node for node in element.xpath(xpath) if isinstance(node, HtmlElement)]


def _clean(text: str) -> str:
    return " ".join(text.split())


# Elements that are never the paper's own prose.
_DROP = (
    f"//*[{_has_class('ltx_bibliography')}]",
    f"//*[{_has_class('ltx_appendix')}]",
    f"//*[{_has_class('ltx_note')}]",  # footnotes: marks and their text
    f"//*[{_has_class('ltx_page_header')} or {_has_class('ltx_page_footer')}]",
    "//script | //style | //nav | //header | //footer",
)


def parse_latexml(data: bytes | str, arxiv_id: str) -> PaperText:
    """arXiv's HTML (LaTeXML) → ``PaperText``; raises ``ParseError`` when it is not a paper."""
    try:
        root = lxml.html.fromstring(data)
    except (ParserError, ValueError) as exc:
        raise ParseError(f"not HTML: {exc}") from exc
    try:
        for xpath in _DROP:
            for element in _find(root, xpath):
                _remove(element)
    except XPathError as exc:  # pragma: no cover - the expressions are constants
        raise ParseError(str(exc)) from exc
    for math in _find(root, "//math"):
        alt = math.get("alttext") or math.text_content()
        for child in list(math):
            math.remove(child)
        math.text = f" {_clean(alt)} "

    abstract = " ".join(
        _clean(p.text_content())
        for block in _find(root, f"//*[{_has_class('ltx_abstract')}]")
        for p in _find(block, f".//*[{_has_class('ltx_p')}]")
    ).strip()

    sections: list[TextSection] = []
    for section in _find(root, f"//section[{_has_class('ltx_section')}]"):
        headings = _find(section, f"./*[{_has_class('ltx_title_section')}]")
        title = _heading(headings[0]) if headings else ""
        paragraphs = [
            text
            for para in _find(
                section,
                f".//*[{_has_class('ltx_para')}]"
                f"[not(ancestor::*[{_has_class('ltx_para')}])]"
                "[not(ancestor::figure)]",
            )
            if (text := _clean(para.text_content()))
        ]
        captions = [
            text
            for caption in _find(
                section, f".//figure[{_has_class('ltx_table')}]//*[{_has_class('ltx_caption')}]"
            )
            if (text := _clean(caption.text_content()))
        ]
        if paragraphs or captions:
            sections.append(TextSection(title, tuple(paragraphs), tuple(captions)))
    if not sections:
        raise ParseError("no LaTeXML sections")
    return PaperText(arxiv_id=arxiv_id, format="html", abstract=abstract, sections=tuple(sections))


def _heading(element: HtmlElement) -> str:
    """A section heading without its number tag ("1 Introduction" → "Introduction")."""
    for tag in _find(element, f".//*[{_has_class('ltx_tag')}]"):
        _remove(tag)
    return _clean(element.text_content())


def _remove(element: HtmlElement) -> None:
    """Drop an element but keep the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


# --- PDF ------------------------------------------------------------------------------------

_NUMBERED = re.compile(r"^(?:\d{1,2}|[IVX]{1,5})\.?\s+([A-Z][A-Za-z][^.,;:]{0,60})$")
_NAMED = re.compile(
    r"^(abstract|introduction|related work|background|method|methods|methodology|approach|"
    r"experiments|results|evaluation|discussion|conclusions?|limitations)$",
    re.IGNORECASE,
)
_END = re.compile(
    r"^(?:\d{1,2}\.?\s+|[IVX]{1,5}\.?\s+)?(references|bibliography|acknowledge?ments?|appendix)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
_PARAGRAPH_CHARS = 600


def parse_pdf(data: bytes, arxiv_id: str) -> PaperText:
    """A PDF → ``PaperText`` by heading heuristics; raises ``ParseError`` without text.

    PDF has no structure to read, so top-level headings are found by shape ("3 Experiments",
    "Conclusion"), everything from "References"/"Appendix" on is dropped, and each section's
    text is cut into paragraphs of whole sentences.
    """
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ParseError(f"unreadable PDF: {exc}") from exc
    lines = [_clean(line) for line in "\n".join(pages).splitlines()]
    abstract_lines: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for line in lines:
        if not line:
            continue
        if _END.match(line) and len(line) < 40:
            break
        numbered = _NUMBERED.match(line)
        named = _NAMED.match(line)
        if named and named.group(1).lower() == "abstract":
            current = abstract_lines
            continue
        if numbered or named:
            title = numbered.group(1) if numbered else line
            sections.append((title, []))
            current = sections[-1][1]
            continue
        if current is not None:
            current.append(line)
    parsed = tuple(
        TextSection(title, tuple(_paragraphs(body))) for title, body in sections if any(body)
    )
    if not parsed:
        raise ParseError("no sections found in the PDF text")
    return PaperText(
        arxiv_id=arxiv_id, format="pdf", abstract=_join(abstract_lines), sections=parsed
    )


def _join(lines: list[str]) -> str:
    """Lines back into running text, undoing end-of-line hyphenation."""
    text = ""
    for line in lines:
        if text.endswith("-") and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def _paragraphs(lines: list[str]) -> list[str]:
    """Running text cut into paragraphs of whole sentences, about ``_PARAGRAPH_CHARS`` long."""
    out: list[str] = []
    current = ""
    for sentence in _SENTENCE.split(_join(lines)):
        if current and len(current) + len(sentence) > _PARAGRAPH_CHARS:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        out.append(current)
    return out
