"""Images: the vision page's documented table, from real image files, on both tiers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from mcp_token_counter.catalog import ModelSpec
from mcp_token_counter.offline import estimate_request
from mcp_token_counter.offline import images as images_module

# (width, height, standard tier, high-res tier): the vision page (2026-07), counting-api.md §15.2.
DOCUMENTED = [
    (200, 200, 64, 64),
    (1000, 1000, 1296, 1296),
    (1092, 1092, 1521, 1521),
    (1920, 1080, 1560, 2691),
    (2000, 1500, 1564, 3888),
    (3840, 2160, 1560, 4784),
]


def image_body(source: dict[str, Any]) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"type": "image", "source": source}]}]}


def base64_source(data: str, media_type: str = "image/png") -> dict[str, Any]:
    return {"type": "base64", "media_type": media_type, "data": data}


def image_part(body: dict[str, Any], spec: ModelSpec) -> int:
    """Tokens of the only message, which holds only the image."""
    return {part.name: part.tokens for part in estimate_request(body, spec).parts}["messages[0]"]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize(("width", "height", "standard", "high_res"), DOCUMENTED)
def test_documented_table_on_both_tiers(
    make_image: Callable[..., str],
    opus_4_6: ModelSpec,
    opus_4_8: ModelSpec,
    fmt: str,
    width: int,
    height: int,
    standard: int,
    high_res: int,
) -> None:
    body = image_body(base64_source(make_image(width, height, fmt), f"image/{fmt.lower()}"))
    assert (image_part(body, opus_4_6), image_part(body, opus_4_8)) == (standard, high_res)


def test_portrait_costs_the_same_as_landscape(make_image: Callable[..., str], opus_4_6: ModelSpec) -> None:
    body = image_body(base64_source(make_image(1080, 1920)))
    assert image_part(body, opus_4_6) == 1560


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_gif_and_webp_headers_are_read(make_image: Callable[..., str], opus_4_6: ModelSpec, fmt: str) -> None:
    body = image_body(base64_source(make_image(1000, 1000, fmt), f"image/{fmt.lower()}"))
    assert image_part(body, opus_4_6) == 1296


def test_jpeg_size_found_behind_a_large_icc_segment(make_image: Callable[..., str], opus_4_6: ModelSpec) -> None:
    # The SOF segment sits after 100 kB of ICC profile, past the first prefix tried.
    body = image_body(base64_source(make_image(1000, 1000, "JPEG", icc_bytes=100_000), "image/jpeg"))
    assert image_part(body, opus_4_6) == 1296


def test_a_large_png_is_sized_from_a_prefix(
    make_image: Callable[..., str], opus_4_6: ModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_image(2000, 1500, noise=True)
    assert len(data) > 1_000_000
    decoded: list[int] = []
    original = images_module.decode_prefix

    def spy(text: str, chars: int | None = None) -> bytes:
        raw = original(text, chars)
        decoded.append(len(raw))
        return raw

    monkeypatch.setattr(images_module, "decode_prefix", spy)
    assert image_part(image_body(base64_source(data)), opus_4_6) == 1564
    assert max(decoded) <= 16 * 1024


@pytest.mark.parametrize(
    "source",
    [
        {"type": "url", "url": "https://example.com/ant.jpg"},
        {"type": "file", "file_id": "file_011"},
        base64_source("bm90IGFuIGltYWdl"),  # "not an image"
        base64_source("%%%"),
    ],
)
def test_unknown_size_is_charged_the_tier_cap_with_a_note(
    opus_4_6: ModelSpec, opus_4_8: ModelSpec, source: dict[str, Any]
) -> None:
    standard = estimate_request(image_body(source), opus_4_6)
    high_res = estimate_request(image_body(source), opus_4_8)
    # The caps are the vision page's: 1568 tokens standard, 4784 high-res.
    assert (standard.parts[-1].tokens, high_res.parts[-1].tokens) == (1568, 4784)
    assert any("Image size unknown" in note for note in standard.notes)
    assert standard.uncertainty_tokens >= 150


def test_a_data_url_prefix_is_tolerated(make_image: Callable[..., str], opus_4_6: ModelSpec) -> None:
    body = image_body(base64_source("data:image/png;base64," + make_image(200, 200)))
    assert image_part(body, opus_4_6) == 64


def test_method_names_the_image_formula(make_image: Callable[..., str], opus_4_6: ModelSpec) -> None:
    estimate = estimate_request(image_body(base64_source(make_image(200, 200))), opus_4_6)
    assert estimate.method == "ctok-3.0+image-formula"


def test_import_loads_neither_pillow_nor_pypdf_nor_a_vocabulary() -> None:
    # A fresh interpreter: what the import itself pulls in is the thing under test.
    code = (
        "import sys, mcp_token_counter.offline as o, mcp_token_counter.offline.text as t;"
        "assert 'PIL' not in sys.modules and 'pypdf' not in sys.modules, 'eager import';"
        "assert t.frame_tokens.cache_info().currsize == 0, 'tokenizer used at import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
