"""Synthetic papers in arXiv's markup (LaTeXML HTML, and a PDF) for the 2025-01-10 fixture day.

Our own text, not downloaded: each paper gets an introduction, a method, an experiments section
with a table caption and a results paragraph whose numbers are NOT in its abstract
(``body_only``), a conclusion, maths, a footnote, an appendix and a bibliography (whose markers
must never reach a prompt). One paper has no HTML (its text comes from the PDF).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "hf" / "2025-01-10.json"

# Text that exists only in parts of the paper the summariser must never see.
REFERENCE_MARKER = "Imaginary Conference on Retrieval"
FOOTNOTE_MARKER = "footnote-only remark"
APPENDIX_MARKER = "appendix-only derivation"


@dataclass(frozen=True)
class FakePaper:
    arxiv_id: str
    method: str  # method paragraph
    results: str  # the first results paragraph: states the body-only numbers
    caption: str  # the results table's caption
    body_only: tuple[str, ...]  # numbers stated in the body and not in the abstract
    math: str = r"\mathcal{L}=\mathbb{E}_{x}[\ell(x)]"
    html: bool = True
    extra_results: tuple[str, ...] = ()
    sections: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)


PAPERS: tuple[FakePaper, ...] = (
    FakePaper(
        "2501.05366",
        "Search-o1 lets the reasoning model emit a search query between special tokens whenever "
        "it is unsure; retrieved documents pass through the Reason-in-Documents module, which "
        "condenses them before they re-enter the chain of thought.",
        "On the GPQA extended set Search-o1 reaches 57.9 pass@1, against 45.2 for a "
        "standard RAG pipeline with QwQ-32B, and it exceeds the human physics experts (57.1).",
        "Table 1: Pass@1 on GPQA, MATH500, AMC2023, AIME2024 and LiveCodeBench.",
        ("57.9", "45.2"),
    ),
    FakePaper(
        "2501.05441",
        "The loss pairs the relativistic pairing GAN objective with zero-centred gradient "
        "penalties on real and fake data (R1 and R2); the backbone modernises StyleGAN2 with "
        "ResNeXt-style blocks, grouped convolutions and no normalisation.",
        "R3GAN reaches an FID of 2.75 on FFHQ-256, against 3.78 for StyleGAN2, and 1.96 on "
        "CIFAR-10 with 40.8M parameters.",
        "Table 2: FID on FFHQ-256 and CIFAR-10; lower is better.",
        ("2.75", "3.78"),
    ),
    FakePaper(
        "2501.05453",
        "Videos are tokenised with a dVAE into 256 tokens per frame and a LLaMA-style causal "
        "transformer predicts the next token over sequences of 4096 tokens.",
        "With attentive probing the 1B Toto model reaches 75.3% top-1 on ImageNet and 74.4% "
        "on Kinetics-400, the best among generative pre-training methods.",
        "Table 3: Attentive probing on ImageNet-1k and Kinetics-400.",
        ("75.3", "74.4"),
    ),
    FakePaper(
        "2501.04003",
        "DriveBench pairs camera frames from nuScenes with question-answer pairs for "
        "perception, prediction, planning and explanation, each under clean, corrupted and "
        "text-only inputs.",
        "GPT-4o scores 35.37 on perception with clean images and 34.60 with no image at all, "
        "a gap of under one point that reveals answers drawn from priors.",
        "Table 4: GPT scores per task under clean, corrupted and text-only inputs.",
        ("35.37", "34.60"),
    ),
    FakePaper(
        "2501.03489",
        "An entropy regulariser penalises attention heads whose entropy leaves a tolerance "
        "band, with a learnable threshold per head, so that a model without GELU and LayerNorm "
        "trains stably.",
        "The regularised model without nonlinearities cuts communication by 3.94x and latency "
        "by 1.72x, and reaches a perplexity of 2.97 against 3.35 for the unregularised one.",
        "Table 5: Perplexity, communication and latency of private inference.",
        ("3.94", "1.72"),
    ),
    FakePaper(
        "2501.05032",
        "Llama 3 8B Instruct is fine-tuned with DPO and LoRA (rank 8) on synthetic "
        "conversations whose system prompts ask for casual, human-like answers.",
        "In blind comparisons the fine-tuned Human-Like-Llama-3-8B-Instruct is preferred in "
        "89.6% of cases, while its Open LLM Leaderboard average moves from 25.90 to 25.86.",
        "Table 6: Human-likeness preference and Open LLM Leaderboard scores.",
        ("89.6",),
    ),
    FakePaper(
        "2501.04377",
        "Under SETH, the attention inputs of a VAR model are bounded by a norm threshold "
        "below which a low-rank approximation of the attention matrix is accurate.",
        "The low-rank algorithm matches exact attention within a mean absolute error of 0.013 "
        "and runs 4.61x faster at resolution 1024.",
        "Table 7: Error and running time of exact and approximate VAR attention.",
        ("0.013", "4.61"),
        math=r"O(n^{4-\Omega(1)})",
    ),
    FakePaper(
        "2501.05122",
        "A Phi-3.5 and a Qwen 2.5 backbone are trained in two stages: pre-training on "
        "multilingual captions, then instruction tuning with machine-translated data.",
        "Centurio-Qwen averages 54.1 over the 14 tasks against 49.8 for Parrot, and reaches "
        "41.2 on the low-resource languages.",
        "Table 8: Average over 14 tasks and 56 languages.",
        ("54.1", "49.8"),
    ),
    FakePaper(
        "2501.04828",
        "BERTurk, mBERT and TURNA are fine-tuned on the HisTR named-entity set and the "
        "OTA-BOUN treebank; the Ottoman Text Corpus covers texts from the 15th to the 20th "
        "century.",
        "BERTurk trained on MilliyetNER and HisTR reaches an F1 of 91.21 on HisTR and 61.91 "
        "on the Ruznamce test set; the dependency parser reaches a LAS of 73.79.",
        "Table 9: NER F1 and dependency parsing LAS on historical Turkish.",
        ("91.21", "61.91"),
        html=False,
    ),
    FakePaper(
        "2501.05040",
        "A retriever combines BM25 with a 7B model that picks the files to edit; an editor "
        "model trained on chain-of-thought data writes the patch.",
        "The file retrieval module reaches a recall of 71.6% against 55.9% for BM25 alone, "
        "and the full pipeline resolves 23.3% of SWE-Bench Lite.",
        "Table 10: Resolve rates on SWE-Bench Lite and Verified.",
        ("71.6", "55.9"),
    ),
)

BY_ID = {paper.arxiv_id: paper for paper in PAPERS}


@cache
def hf_items() -> dict[str, dict]:
    return {item["paper"]["id"]: item["paper"] for item in json.loads(FIXTURE.read_text())}


def title(paper: FakePaper) -> str:
    return str(hf_items()[paper.arxiv_id]["title"])


def abstract(paper: FakePaper) -> str:
    return str(hf_items()[paper.arxiv_id]["summary"])


INTRO = (
    "{title} studies a question the field keeps asking. We motivate the problem, review why "
    "earlier approaches fall short and summarise our contributions."
)
CONCLUSION = "We presented {title}. Limitations remain, and we release code and models."
REFERENCES = (
    f"Alan Smithee and Jane Roe. Retrieval is all you need. In {REFERENCE_MARKER}, "
    "pages 97.5-99.1, 2031.",
    "Ada Lovelace. Notes on the analytical engine. 1843.",
)


def _p(text: str) -> str:
    return f'<div class="ltx_para"><p class="ltx_p">{html.escape(text)}</p></div>'


def _section(number: int, name: str, body: str, sid: str) -> str:
    return (
        f'<section class="ltx_section" id="{sid}">\n'
        f'<h2 class="ltx_title ltx_title_section"><span class="ltx_tag ltx_tag_section">'
        f"{number} </span>{html.escape(name)}</h2>\n{body}\n</section>"
    )


def latexml_html(paper: FakePaper, *, extra_sections: int = 0) -> str:
    """The paper as arXiv's LaTeXML HTML (the classes arXiv's converter emits)."""
    name = title(paper)
    math = (
        f'<math alttext="{html.escape(paper.math)}" class="ltx_Math" display="inline">'
        "<semantics><mrow><mi>L</mi><mo>=</mo><mi>E</mi></mrow>"
        f'<annotation encoding="application/x-tex">{html.escape(paper.math)}</annotation>'
        "</semantics></math>"
    )
    method = (
        f'<div class="ltx_para"><p class="ltx_p">{html.escape(paper.method)} The objective is '
        f'{math}.<span class="ltx_note ltx_role_footnote"><sup class="ltx_note_mark">1</sup>'
        f'<span class="ltx_note_outer"><span class="ltx_note_content">A {FOOTNOTE_MARKER}.'
        "</span></span></span></p></div>"
    )
    table = (
        '<figure class="ltx_table" id="S4.T1">'
        f'<figcaption class="ltx_caption ltx_centering">{html.escape(paper.caption)}'
        "</figcaption>"
        '<table class="ltx_tabular"><tr><td class="ltx_td">Method</td>'
        '<td class="ltx_td">Score</td></tr></table></figure>'
    )
    results = "\n".join([table, _p(paper.results), *(_p(t) for t in paper.extra_results)])
    body = [
        _section(1, "Introduction", _p(INTRO.format(title=name)), "S1"),
        _section(2, "Related Work", _p("Prior work on this topic is broad."), "S2"),
        _section(3, "Method", method, "S3"),
        _section(4, "Experiments", results, "S4"),
    ]
    for extra in range(extra_sections):
        paragraphs = "\n".join(
            _p(f"Analysis paragraph {extra}.{i}: " + "we discuss a further detail. " * 12)
            for i in range(8)
        )
        body.append(_section(5 + extra, f"Case Study {extra}", paragraphs, f"S{5 + extra}"))
    body.append(_section(5 + extra_sections, "Conclusion", _p(CONCLUSION.format(title=name)), "SC"))
    bibliography = (
        '<section class="ltx_bibliography" id="bib"><h2 class="ltx_title ltx_title_bibliography">'
        'References</h2><ul class="ltx_biblist">'
        + "".join(f'<li class="ltx_bibitem">{html.escape(r)}</li>' for r in REFERENCES)
        + "</ul></section>"
    )
    appendix = (
        '<section class="ltx_appendix" id="A1"><h2 class="ltx_title ltx_title_appendix">'
        f"Appendix A Proofs</h2>{_p('An ' + APPENDIX_MARKER + ' with 12.34 in it.')}</section>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>[{paper.arxiv_id}] {html.escape(name)}</title></head><body>"
        '<div class="ltx_page_main"><div class="ltx_page_content">'
        '<article class="ltx_document ltx_authors_1line">'
        f'<h1 class="ltx_title ltx_title_document">{html.escape(name)}</h1>'
        '<div class="ltx_authors"><span class="ltx_creator ltx_role_author">A. Author</span></div>'
        '<div class="ltx_abstract"><h6 class="ltx_title ltx_title_abstract">Abstract</h6>'
        f'<p class="ltx_p">{html.escape(abstract(paper))}</p></div>'
        + "\n".join(body)
        + bibliography
        + appendix
        + "</article></div></div></body></html>"
    )


def pdf_blocks(paper: FakePaper) -> list[str]:
    """The paper's text as a one-column PDF would lay it out."""
    name = title(paper)
    return [
        name,
        "A. Author, B. Author",
        "Abstract",
        abstract(paper),
        "1 Introduction",
        INTRO.format(title=name),
        "2 Method",
        paper.method,
        "3 Experiments",
        paper.caption,
        paper.results,
        "4 Conclusion",
        CONCLUSION.format(title=name),
        "References",
        *REFERENCES,
    ]
