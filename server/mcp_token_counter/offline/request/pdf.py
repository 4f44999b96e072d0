"""PDF costs: each page's extracted text through ctok plus the page rendered as an image.

Page rule (an assumption; the docs give no rate): a page of ``w`` x ``h`` points is rendered at
``PX_PER_POINT`` = 1.5 px/pt (108 dpi) and priced by the image rule of the model's tier. A US Letter page
(612 x 792 pt) becomes 918 x 1188 px = 33 x 43 = 1419 patches, under both tiers' caps. The rate is the
one under which the two third-party measurements of the same text page agree (counting-api.md §15.3):
2,115 tokens on Haiku 4.5 less the text's 728 leaves ~1,390 for the image, and 2,347 on 5.5 models less
the same text under the ~30% larger tokenizer (~950) leaves ~1,400; 1.5 px/pt gives 1,419 for both.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from cachetools import CacheInfo, LRUCache, cached

from ...catalog import ImageCaps
from ..text.count import text_tokens
from .b64 import decode_prefix, strip_data_url
from .images import image_tokens
from .result import Cost, percent, total

if TYPE_CHECKING:
    from pypdf import PageObject

PX_PER_POINT: Final = 1.5
LETTER_POINTS: Final = (612.0, 792.0)
# Text extraction differs from the API's own and the render rate is inferred, hence a wide margin.
PDF_MARGIN_PCT: Final = 15.0
# A PDF that cannot be parsed: per page, a Letter page image plus the low end of the docs' "about
# 1,500-3,000 tokens a page by density" of text, with the high end as margin.
FALLBACK_TEXT_PER_PAGE: Final = 1500
FALLBACK_TEXT_MARGIN_PER_PAGE: Final = 1500
METHOD: Final = "pdf"
# Page objects in an uncompressed PDF; object streams hide them, so this counts at least one page.
_PAGE_OBJECT: Final = re.compile(rb"/Type\s*/Page(?![A-Za-z])")

type _Key = tuple[str, ImageCaps, int, bytes]


@dataclass(frozen=True, slots=True)
class Page:
    """What the estimate needs of one page; ``text`` is None when extraction failed."""

    text: str | None
    width_pt: float
    height_pt: float


def pdf_cost(data: str, version: str, caps: ImageCaps) -> Cost:
    """The cost of a base64 PDF, cached per document so a re-count does not re-parse it."""
    # One ASCII copy of the base64 serves both the cache key and the decoding.
    return _encoded_pdf_cost(strip_data_url(data).encode("ascii", "replace"), version, caps)


def _pdf_key(encoded: bytes, version: str, caps: ImageCaps) -> _Key:
    return (version, caps, len(encoded), hashlib.blake2b(encoded, digest_size=16).digest())


# Estimates run in worker threads, so the cache takes a lock.
@cached(LRUCache[_Key, Cost](16), key=_pdf_key, lock=threading.Lock(), info=True)
def _encoded_pdf_cost(encoded: bytes, version: str, caps: ImageCaps) -> Cost:
    return _uncached_pdf_cost(decode_prefix(encoded), version, caps)


def pdf_cache_info() -> CacheInfo:
    """Hits and misses of the per-document cache."""
    return _encoded_pdf_cost.cache_info()


def _uncached_pdf_cost(raw: bytes, version: str, caps: ImageCaps) -> Cost:
    pages = read_pages(raw)
    if pages is None:
        count = max(1, len(_PAGE_OBJECT.findall(raw)))
        note = f"PDF could not be read; priced as {count} Letter page(s) of typical density."
        return fallback_pages_cost(count, caps, note)
    cost = total(page_cost(page, version, caps) for page in pages)
    if any(page.text is None for page in pages):
        cost += Cost(notes=("Text of some PDF pages could not be extracted; typical density assumed.",))
    return cost


def page_cost(page: Page, version: str, caps: ImageCaps) -> Cost:
    """One page: its text plus its rendering."""
    image = image_tokens(round(page.width_pt * PX_PER_POINT), round(page.height_pt * PX_PER_POINT), caps)
    if page.text is None:
        return Cost(
            tokens=image + FALLBACK_TEXT_PER_PAGE,
            margin=percent(image, PDF_MARGIN_PCT) + FALLBACK_TEXT_MARGIN_PER_PAGE,
            methods=frozenset({METHOD}),
        )
    text = text_tokens(page.text, version)
    return Cost(
        tokens=image + text,
        margin=percent(image + text, PDF_MARGIN_PCT),
        text=text,
        methods=frozenset({METHOD}),
    )


def fallback_pages_cost(count: int, caps: ImageCaps, note: str) -> Cost:
    """``count`` Letter pages of unknown content."""
    page = Page(None, *LETTER_POINTS)
    return total(page_cost(page, "", caps) for _ in range(count)) + Cost(notes=(note,))


def read_pages(raw: bytes) -> list[Page] | None:
    """Text and size of every page, or None when the document cannot be opened."""
    # Imported here: pypdf costs ~0.4 s at import and only requests with PDFs need it.
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(raw))
        return [Page(_page_text(page), float(page.cropbox.width), float(page.cropbox.height)) for page in reader.pages]
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        # pypdf reports damaged or hostile files through its own errors and through plain built-in ones.
        return None


def _page_text(page: PageObject) -> str | None:
    from pypdf.errors import PyPdfError

    try:
        return page.extract_text()
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        return None
