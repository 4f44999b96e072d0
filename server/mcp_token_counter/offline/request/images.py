"""Image costs: the documented patch formula after the tier's downscale, from sizes read off the header.

Resize rule (reproduces every row of the vision page's table, both tiers): the image keeps its aspect
ratio and takes the largest size whose long edge is within the tier's ``max_long_edge`` **and** whose
patch count ``ceil(w/28) * ceil(h/28)`` is within ``max_tokens``. So 1920x1080 on the standard tier
becomes 1456x819 (52 x 30 = 1560 patches; 1457 px would need 53 columns and 1590 patches), and 3840x2160
on the high-res tier becomes 2576x1449 (92 x 52 = 4784, exactly the cap).

Sizes come from the header through ``imagesize`` (pure Python), for the four formats the API accepts: PNG,
JPEG (baseline, progressive, CMYK: any SOF segment), GIF (the logical screen, animated or not) and WebP (VP8,
VP8L, VP8X). The size is the stored one: an EXIF orientation swaps width and height, which prices the same.
Anything else (BMP, TIFF, SVG, a damaged header) is charged the tier's cap with a note.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Final

from ...catalog import ImageCaps
from .b64 import decode_prefix, strip_data_url
from .jsonish import get_str
from .result import Cost, percent

PATCH_PX: Final = 28
# Base64 prefixes tried in turn before decoding the whole image. PNG, GIF and WebP state their size in
# the first bytes; a JPEG states it in its SOF segment, after EXIF and ICC segments that can run to tens
# or hundreds of KiB.
_PREFIX_CHARS: Final = (16 * 1024, 512 * 1024)
# The formula is exact for the documented table; what an image's own framing adds is unknown.
IMAGE_MARGIN_PCT: Final = 5.0
# An image whose size cannot be read is charged the tier's cap (most photos reach it), and the margin
# covers the framing on top.
FALLBACK_MARGIN_PCT: Final = 10.0
METHOD: Final = "image-formula"
# Magic numbers of the formats the API accepts (WebP is RIFF; imagesize checks the WEBP fourcc after it).
_ACCEPTED: Final = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8", b"GIF87a", b"GIF89a", b"RIFF")


def image_tokens(width: int, height: int, caps: ImageCaps) -> int:
    """Tokens of a ``width`` x ``height`` image after the tier's downscale."""
    long_edge, short_edge = max(width, height, 1), max(min(width, height), 1)
    top = min(long_edge, caps.max_long_edge)
    if _patches(top, long_edge, short_edge) <= caps.max_tokens:
        return _patches(top, long_edge, short_edge)
    # Patches grow monotonically with the long edge, so the largest edge under the cap is a bisection.
    low, high = 1, top  # invariant: low fits (a 1-pixel edge is one patch), high does not
    while high - low > 1:
        middle = (low + high) // 2
        if _patches(middle, long_edge, short_edge) <= caps.max_tokens:
            low = middle
        else:
            high = middle
    return _patches(low, long_edge, short_edge)


def _patches(edge: int, long_edge: int, short_edge: int) -> int:
    """Patches when the long edge is scaled to ``edge`` pixels, the short edge rounded to a pixel."""
    short = max(1, math.floor(short_edge * edge / long_edge + 0.5))
    return math.ceil(edge / PATCH_PX) * math.ceil(short / PATCH_PX)


def image_source_cost(source: Mapping[str, object] | None, caps: ImageCaps) -> Cost:
    """The cost of an image block's ``source``."""
    data = None if source is None or source.get("type") != "base64" else get_str(source, "data")
    size = None if data is None else base64_image_size(data)
    if size is None:
        return _fallback(source, caps)
    tokens = image_tokens(*size, caps)
    return Cost(tokens=tokens, margin=percent(tokens, IMAGE_MARGIN_PCT), methods=frozenset({METHOD}))


def _fallback(source: Mapping[str, object] | None, caps: ImageCaps) -> Cost:
    kind = None if source is None else get_str(source, "type")
    why = f"a {kind} source" if kind in ("url", "file") else "an unreadable image"
    note = f"Image size unknown ({why}): charged the tier cap of {caps.max_tokens} tokens."
    return Cost(
        tokens=caps.max_tokens,
        margin=percent(caps.max_tokens, FALLBACK_MARGIN_PCT),
        notes=(note,),
        methods=frozenset({METHOD}),
    )


def base64_image_size(data: str) -> tuple[int, int] | None:
    """(width, height) from base64 image data, decoding only as much as the header needs.

    None when no prefix and not the whole data yields the size of a PNG, JPEG, GIF or WebP.
    """
    data = strip_data_url(data)
    for chars in (*(n for n in _PREFIX_CHARS if n < len(data)), len(data)):
        size = _size_of(decode_prefix(data, chars))
        if size is not None:
            return size
    return None


def _size_of(raw: bytes) -> tuple[int, int] | None:
    """The stored size of a PNG, JPEG, GIF or WebP; None for another format, or a header cut short (the caller
    then widens the prefix or falls back)."""
    if not raw.startswith(_ACCEPTED):
        return None
    # Imported here: only requests with images need it (it imports urllib.request).
    import imagesize  # typed by typings/imagesize (file objects only)

    # A file object, never bytes or str: imagesize opens those as a path, and fetches an http(s) string.
    width, height = imagesize.get(io.BytesIO(raw), exif_rotation=False)
    if _is_vp8(raw):  # the 14-bit size fields of lossy WebP carry 2 bits of upscale hint above them
        width, height = width & 0x3FFF, height & 0x3FFF
    # -1 for a header it could not read; a GIF's fields read as signed, so past 32767 px they are negative.
    return (width, height) if width > 0 and height > 0 else None


def _is_vp8(raw: bytes) -> bool:
    return raw[:4] == b"RIFF" and raw[8:16] == b"WEBPVP8 "
