"""Images: the vision page's documented table, from real image files, on both tiers."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mcp_token_counter.catalog import ModelSpec
from mcp_token_counter.offline.request import images as images_module
from mcp_token_counter.offline.request.estimate import estimate_request

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


def test_import_loads_no_image_reader_nor_pypdf_nor_a_vocabulary() -> None:
    # A fresh interpreter: what the import itself pulls in is the thing under test.
    code = (
        "import sys, mcp_token_counter.offline.request.estimate as o, mcp_token_counter.offline.text.count as t;"
        "assert {'PIL', 'imagesize', 'pypdf'}.isdisjoint(sys.modules), 'eager import';"
        "assert t.frame_tokens.cache_info().currsize == 0, 'tokenizer used at import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _saved(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display; the stored size stays 1000x600
    return _saved(Image.new("RGB", (1000, 600), "blue"), "JPEG", exif=exif.tobytes())


def _animated_gif() -> bytes:
    frames = [Image.new("P", (1000, 600), colour) for colour in (1, 2, 3)]
    return _saved(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)


# Every variant of the four formats the API accepts, as Pillow writes them; each is 1000x600 (standard tier:
# 36 x 22 patches = 792 tokens), so a misread size shows.
VARIANTS: dict[str, Callable[[], bytes]] = {
    "webp lossy (VP8)": lambda: _saved(Image.new("RGB", (1000, 600), "red"), "WEBP"),
    "webp lossless (VP8L)": lambda: _saved(Image.new("RGB", (1000, 600), "red"), "WEBP", lossless=True),
    "webp with alpha (VP8X)": lambda: _saved(Image.new("RGBA", (1000, 600), (1, 2, 3, 100)), "WEBP"),
    "jpeg progressive": lambda: _saved(Image.new("RGB", (1000, 600), "red"), "JPEG", progressive=True),
    "jpeg cmyk": lambda: _saved(Image.new("CMYK", (1000, 600), (0, 50, 100, 0)), "JPEG"),
    "jpeg grayscale": lambda: _saved(Image.new("L", (1000, 600), 90), "JPEG"),
    "jpeg with exif orientation": _exif_rotated,
    "gif animated": _animated_gif,
    "png with alpha, 16-bit": lambda: _saved(Image.new("I;16", (1000, 600), 300), "PNG"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_of_the_accepted_formats_is_sized(opus_4_6: ModelSpec, variant: str) -> None:
    data = base64.b64encode(VARIANTS[variant]()).decode("ascii")
    assert images_module.base64_image_size(data) == (1000, 600)
    assert image_part(image_body(base64_source(data)), opus_4_6) == 792


def test_a_lossy_webps_upscale_bits_are_not_read_as_size(opus_4_6: ModelSpec) -> None:
    """VP8's 14-bit width and height each carry a 2-bit scaling hint above them (RFC 6386 §9.1)."""
    raw = bytearray(VARIANTS["webp lossy (VP8)"]())
    assert raw[12:16] == b"VP8 "
    raw[27] |= 0x40  # the width's scaling hint
    raw[29] |= 0x80  # the height's
    assert images_module.base64_image_size(base64.b64encode(bytes(raw)).decode("ascii")) == (1000, 600)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        # The size is in the header, so a file cut after it is still sized...
        ("png cut after its header", lambda: _saved(Image.new("RGB", (1000, 600)), "PNG")[:64]),
    ],
)
def test_a_truncated_file_is_sized_from_what_its_header_says(name: str, raw: Callable[[], bytes]) -> None:
    assert images_module.base64_image_size(base64.b64encode(raw()).decode("ascii")) == (1000, 600), name


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        # ...but a JPEG cut before its SOF segment has said nothing, nor has a header cut short.
        ("jpeg cut before its SOF", lambda: VARIANTS["jpeg with exif orientation"]()[:40]),
        ("png cut inside its header", lambda: _saved(Image.new("RGB", (1000, 600)), "PNG")[:20]),
        ("webp cut inside its header", lambda: VARIANTS["webp lossless (VP8L)"]()[:18]),
        ("bmp, which the API does not take", lambda: _saved(Image.new("RGB", (1000, 600)), "BMP")),
        ("tiff, likewise", lambda: _saved(Image.new("RGB", (1000, 600)), "TIFF")),
        ("svg, likewise", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="600"/>'),
        ("a gif claiming a 40000 px width", lambda: b"GIF89a" + (40000).to_bytes(2, "little") + b"\x10\x00" + bytes(8)),
    ],
)
def test_an_unreadable_or_unaccepted_image_is_charged_the_cap(
    opus_4_6: ModelSpec, name: str, raw: Callable[[], bytes]
) -> None:
    data = base64.b64encode(raw()).decode("ascii")
    assert images_module.base64_image_size(data) is None, name
    estimate = estimate_request(image_body(base64_source(data)), opus_4_6)
    assert estimate.parts[-1].tokens == 1568
    assert any("Image size unknown" in note for note in estimate.notes)


def test_a_path_like_string_is_never_opened(tmp_path: Path) -> None:
    """The header reader gets a file object: data that decodes to a path or a URL is read as bytes, not followed."""
    target = tmp_path / "image.png"
    target.write_bytes(_saved(Image.new("RGB", (1000, 600)), "PNG"))
    for text in (str(target).encode(), b"https://example.com/a.png"):
        assert images_module.base64_image_size(base64.b64encode(text).decode("ascii")) is None
