"""Documents: base64 PDFs built by hand, text sources, content sources and what cannot be read."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from mcp_token_counter.catalog import ModelSpec
from mcp_token_counter.offline.request.estimate import estimate_request
from mcp_token_counter.offline.request.pdf import pdf_cache_info

LETTER = (612.0, 792.0)
A4 = (595.0, 842.0)
PARAGRAPH = (
    "Token counting lets you determine the number of tokens in a message before sending it.\n"
    "The endpoint accepts the same structured inputs as message creation, including PDFs.\n"
    "Each page costs its extracted text plus the page rendered as an image."
)

type PdfFactory = Callable[[Sequence[tuple[float, float, str]]], str]


def document_body(source: dict[str, Any], **extra: str) -> dict[str, Any]:
    document = {"type": "document", "source": source, **extra}
    return {"messages": [{"role": "user", "content": [document]}]}


def pdf_source(data: str) -> dict[str, Any]:
    return {"type": "base64", "media_type": "application/pdf", "data": data}


def message_tokens(body: dict[str, Any], spec: ModelSpec) -> int:
    return {part.name: part.tokens for part in estimate_request(body, spec).parts}["messages[0]"]


def test_a_text_page_costs_its_text_plus_a_plausible_page_image(
    make_pdf: PdfFactory, fragment: Callable[[str, str], int], opus_4_6: ModelSpec
) -> None:
    tokens = message_tokens(document_body(pdf_source(make_pdf([(*LETTER, PARAGRAPH)]))), opus_4_6)
    # pypdf ends the extracted page with a newline; the page image is bounded by the standard tier's cap
    # (1568) and, per the third-party measurement in counting-api.md §15.3 (~1,390 for a page image), is
    # well above 1,000.
    image = tokens - fragment(PARAGRAPH + "\n", "3.0")
    assert 1000 <= image <= 1568


def test_pages_add_up(make_pdf: PdfFactory, opus_4_6: ModelSpec) -> None:
    one = message_tokens(document_body(pdf_source(make_pdf([(*LETTER, PARAGRAPH)]))), opus_4_6)
    three = message_tokens(document_body(pdf_source(make_pdf([(*LETTER, PARAGRAPH)] * 3))), opus_4_6)
    assert three == 3 * one


def test_a_larger_page_costs_at_least_as_much(make_pdf: PdfFactory, opus_4_6: ModelSpec) -> None:
    letter = message_tokens(document_body(pdf_source(make_pdf([(*LETTER, "x")]))), opus_4_6)
    a4 = message_tokens(document_body(pdf_source(make_pdf([(*A4, "x")]))), opus_4_6)
    poster = message_tokens(document_body(pdf_source(make_pdf([(2384.0, 3370.0, "x")]))), opus_4_6)
    assert letter <= a4 <= poster <= 1568 + 10


def test_the_documented_pdf_example_is_in_range_for_a_one_page_document(
    make_pdf: PdfFactory, opus_4_6: ModelSpec
) -> None:
    # The page's example (2188 tokens, its PDF unpublished) fits a single dense Letter page.
    body = document_body(pdf_source(make_pdf([(*LETTER, "\n".join([PARAGRAPH] * 12))])))
    body["messages"][0]["content"].append({"type": "text", "text": "Please summarize this document."})
    estimate = estimate_request(body, opus_4_6)
    assert estimate.input_tokens == pytest.approx(2188, rel=0.25)
    assert estimate.method == "ctok-3.0+pdf"


def test_a_repeated_pdf_is_parsed_once(make_pdf: PdfFactory, opus_4_6: ModelSpec) -> None:
    body = document_body(pdf_source(make_pdf([(*LETTER, "cache me " * 7)])))
    before = pdf_cache_info()
    first = estimate_request(body, opus_4_6)
    second = estimate_request(body, opus_4_6)
    after = pdf_cache_info()
    assert first == second
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)


def test_an_unreadable_pdf_is_priced_per_page_with_a_note(opus_4_6: ModelSpec) -> None:
    junk = base64.b64encode(b"%PDF-1.4 truncated " + b"\x00" * 64).decode()
    estimate = estimate_request(document_body(pdf_source(junk)), opus_4_6)
    assert any("PDF could not be read" in note for note in estimate.notes)
    # Fallback: a page image (at most the cap) plus the docs' 1,500 text tokens, and a wide margin.
    assert 1500 < estimate.parts[-1].tokens <= 1568 + 1500
    assert estimate.uncertainty_tokens >= 1500


@pytest.mark.parametrize("kind", ["url", "file"])
def test_url_and_file_documents_are_noted(opus_4_6: ModelSpec, kind: str) -> None:
    estimate = estimate_request(document_body({"type": kind, "url": "https://example.com/a.pdf"}), opus_4_6)
    assert any(f"a {kind} source" in note for note in estimate.notes)


def test_a_text_document_counts_as_its_text_title_and_context(
    fragment: Callable[[str, str], int], opus_4_6: ModelSpec
) -> None:
    source = {"type": "text", "media_type": "text/plain", "data": PARAGRAPH}
    tokens = message_tokens(document_body(source, title="Notes", context="From the docs"), opus_4_6)
    assert tokens == fragment(PARAGRAPH, "3.0") + fragment("Notes", "3.0") + fragment("From the docs", "3.0")


def test_a_content_document_counts_its_blocks(fragment: Callable[[str, str], int], opus_4_6: ModelSpec) -> None:
    source = {"type": "content", "content": [{"type": "text", "text": "alpha"}, {"type": "text", "text": "beta"}]}
    assert message_tokens(document_body(source), opus_4_6) == fragment("alpha", "3.0") + fragment("beta", "3.0")
