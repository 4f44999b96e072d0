"""Text through ctok, without ctok's message frame, behind a cache.

``ctok.token_count(text, version)`` prices ``text`` as a whole one-message request: the content plus a
fixed frame. ``ctok.tokenize`` documents that its list opens with that frame as ``⟨pad⟩`` tokens, so the
frame's size is the number of leading pads of ``tokenize("")``, and a fragment of a larger request costs
``token_count(text) - frame``. Vocabularies load inside ctok on the first count, never at import.
Counts go through ``ctok_fast``, which is ``ctok.token_count`` without rendering the tokens.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from functools import cache
from typing import Final

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped; its public functions are annotated
from cachetools import CacheInfo, LRUCache, cached

from . import ctok_fast

PAD: Final = "⟨pad⟩"
# Texts up to this length are their own cache key; longer ones are keyed by length and digest, so the
# cache never holds a second copy of a large document.
_INLINE_KEY_CHARS: Final = 1024
_CACHE_ENTRIES: Final = 8192

type _Key = tuple[str, str] | tuple[str, int, bytes]


@cache
def frame_tokens(version: str) -> int:
    """ctok's single-message frame for ``version``: the ``⟨pad⟩`` tokens that open ``tokenize("")``."""
    ctok_fast.loaded(version)  # the vocabulary, loaded once under a lock rather than by every thread at once
    tokens = ctok.tokenize("", version)
    return next((i for i, token in enumerate(tokens) if token != PAD), len(tokens))


@cache
def turn_header_tokens(version: str) -> int:
    """What one more conversation turn adds: a role header.

    Assumption (not documented): the one-message frame holds a start token and two role headers, the
    user's and the assistant header that prompts the reply, so one header is about half of the rest. On
    v3 that is 3, which with the documented extended-thinking example's 88 tokens leaves a plausible
    remainder for the thinking block. Rounded up.
    """
    return math.ceil((frame_tokens(version) - 1) / 2)


def _key(text: str, version: str) -> _Key:
    if len(text) <= _INLINE_KEY_CHARS:
        return (version, text)
    # surrogatepass: JSON can carry lone surrogates, which strict UTF-8 refuses.
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return (version, len(text), digest)


# Estimates run in worker threads, so the cache takes a lock.
@cached(LRUCache[_Key, int](_CACHE_ENTRIES), key=_key, lock=threading.Lock(), info=True)
def text_tokens(text: str, version: str) -> int:
    """Tokens of ``text`` as a fragment of a request, cached per (version, text)."""
    return max(0, ctok_fast.token_count(text, version) - frame_tokens(version))


def json_text(value: object) -> str:
    """Compact JSON as a renderer would write it: no spaces, characters unescaped."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def text_cache_info() -> CacheInfo:
    """Hits and misses of the per-text cache."""
    return text_tokens.cache_info()


def clear_text_cache() -> None:
    """Empty the per-text cache and the fast counters' per-word memos (tests and benchmarks)."""
    text_tokens.cache_clear()
    ctok_fast.forget_words()
