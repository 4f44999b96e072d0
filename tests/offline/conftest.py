"""Fixtures for the offline estimator: table rows, real image files and a hand-built PDF."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Final

import ctok  # pyright: ignore[reportMissingTypeStubs]
import pytest
from PIL import Image

from mcp_token_counter.catalog import ModelSpec, builtin_catalog
from mcp_token_counter.offline.compiled.engine import FORCED, SETTING
from mcp_token_counter.offline.text import ctok_fast
from mcp_token_counter.offline.text.ctok_fast import GuardedCounter, fast_counter

type ImageFactory = Callable[..., str]
type PdfFactory = Callable[[Sequence[tuple[float, float, str]]], str]


def spec_of(model: str) -> ModelSpec:
    spec = builtin_catalog().lookup(model)
    assert spec is not None, model
    return spec


@pytest.fixture
def opus_4_6() -> ModelSpec:
    """Standard image tier, v3 tokenizer: the model of the token-counting page's examples."""
    return spec_of("claude-opus-4-6")


@pytest.fixture
def opus_4_8() -> ModelSpec:
    """High-res image tier, v4.8 tokenizer."""
    return spec_of("claude-opus-4-8")


@pytest.fixture
def sonnet_4_6() -> ModelSpec:
    """Keeps previous-turn thinking."""
    return spec_of("claude-sonnet-4-6")


@pytest.fixture
def haiku_4_5() -> ModelSpec:
    """Strips previous-turn thinking."""
    return spec_of("claude-haiku-4-5")


@pytest.fixture
def make_image() -> ImageFactory:
    """Base64 of a real image file of the given size and format; ``noise`` makes it large."""

    def make(width: int, height: int, fmt: str = "PNG", *, icc_bytes: int = 0, noise: bool = False) -> str:
        if noise:
            image = Image.effect_noise((width, height), 40).convert("RGB")
        else:
            image = Image.new("RGB", (width, height), (120, 60, 200))
        buffer = io.BytesIO()
        extra = {"icc_profile": bytes(icc_bytes)} if icc_bytes else {}
        image.save(buffer, fmt, **extra)
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    return make


@pytest.fixture
def make_pdf() -> PdfFactory:
    """Base64 of a PDF with one Helvetica text page per (width_pt, height_pt, text)."""

    def make(pages: Sequence[tuple[float, float, str]]) -> str:
        return base64.b64encode(minimal_pdf(pages)).decode("ascii")

    return make


def minimal_pdf(pages: Sequence[tuple[float, float, str]]) -> bytes:
    """A well-formed PDF written by hand: catalog, page tree, one font, a text stream per page."""
    font = 1
    pages_id = 2 + 2 * len(pages)
    objects = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    page_ids: list[int] = []
    for width, height, text in pages:
        stream = _text_stream(text, height)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, width, height, content_id, font)
        )
        page_ids.append(len(objects))
    kids = b" ".join(b"%d 0 R" % page for page in page_ids)
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids)))
    objects.append(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    return _serialize(objects, root=len(objects))


def _text_stream(text: str, height: float) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    lines = [f"({line}) Tj T*" for line in escaped.split("\n")]
    return "\n".join(["BT", "/F1 11 Tf", "14 TL", f"72 {height - 72:g} Td", *lines, "ET"]).encode("latin-1")


def _serialize(objects: list[bytes], *, root: int) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


@pytest.fixture
def lookup() -> Callable[[str], ModelSpec]:
    """The table row of a model id."""
    return spec_of


@pytest.fixture
def fragment() -> Callable[[str, str], int]:
    """ctok's count of ``text`` without its one-message frame, by ctok's documented API alone.

    ``tokenize`` documents that its list opens with the frame as ``⟨pad⟩`` tokens.
    """

    def count(text: str, version: str) -> int:
        frame = sum(1 for token in ctok.tokenize("", version) if token == "⟨pad⟩")
        return ctok.token_count(text, version) - frame

    return count


# The two offline engines every exactness test runs against: the compiled extension (built in the test venv;
# test_engine.py fails if it is not) and the pure-Python path, forced as a user would force it.
ENGINES: Final = {"compiled": {}, "python": {SETTING: FORCED}}


def counter_on(engine: str, version: str) -> GuardedCounter:
    """A fresh per-word counter of ``version`` on ``engine`` ("compiled" or "python"), checked to be on it."""
    counter = fast_counter(version, environ=ENGINES[engine])
    assert counter.fast.compiled == (engine == "compiled"), f"the {engine} engine is not the one counting"
    return counter


@pytest.fixture(params=list(ENGINES))
def engine(request: pytest.FixtureRequest) -> str:
    """Each offline engine in turn."""
    return request.param


@pytest.fixture(autouse=True)
def no_quiet_fallback(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose counts reached ctok through ``GuardedCounter``'s fallback rather than the engine.

    The guard hands a text the per-word sum cannot split to ``ctok.token_count``, so an equality test would
    pass on ctok's own count even if the engine had failed: the warning it logs is the only trace.
    """
    caplog.set_level(logging.WARNING, logger=ctok_fast.__name__)
    yield
    records = [*caplog.get_records("setup"), *caplog.get_records("call")]
    fallbacks = [r for r in records if r.name == ctok_fast.__name__ and "split back" in r.getMessage()]
    assert not fallbacks, "a count fell back to ctok.token_count: the engine could not split a text"
