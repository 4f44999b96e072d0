"""A count and how it was produced, and its JSON form for the cache replicas share (``replicas.store``).

The shared form holds the count and its labels only, never the body. Whoever can write to Redis can write
anything there, so a value is read back under bounds (``_Shared``): counts within what any window holds,
short printable labels, a few short notes, and the whole value within ``replicas.keys.MAX_VALUE_BYTES``. A
value that does not read back as such a ``Counted`` (written by another version, damaged or planted) is a
miss.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Final, Literal

import pydantic_core
from pydantic import AfterValidator, Field, TypeAdapter, ValidationError

from ..replicas.keys import MAX_VALUE_BYTES
from .results import Source

FallbackReason = Literal[
    "no_credentials", "offline_mode", "api_refused_shape", "model_not_countable", "api_unavailable"
]


@dataclass(frozen=True, slots=True)
class Counted:
    """A count and how it was produced."""

    input_tokens: int
    source: Source
    provider: str
    request_id: str | None = None
    notes: tuple[str, ...] = ()
    uncertainty_tokens: int = 0
    estimate_method: str | None = None
    fallback_reason: FallbackReason | None = None
    cached: bool = False
    original_input_tokens: int | None = None

    def text_bytes(self) -> int:
        """Roughly how much text this result holds, for the cache's byte bound."""
        texts = (self.provider, self.request_id, self.estimate_method, self.fallback_reason, *self.notes)
        return sum(len(text) for text in texts if text is not None)


# What a shared value may hold. No window is near a billion tokens; the notes the server writes are one or
# two sentences (an offline estimate's echoed values are capped well under MAX_NOTE_CHARS).
MAX_TOKENS: Final = 1_000_000_000
MAX_NOTE_CHARS: Final = 1_000
MAX_NOTES: Final = 8
MAX_LABEL_CHARS: Final = 128


def _printable(text: str) -> str:
    if not text.isprintable():
        raise ValueError("not printable")
    return text


_Tokens = Annotated[int, Field(ge=0, le=MAX_TOKENS, strict=True)]
_Label = Annotated[str, Field(min_length=1, max_length=MAX_LABEL_CHARS, pattern=r"^[A-Za-z0-9_.:+/*-]+$")]
_Note = Annotated[str, Field(max_length=MAX_NOTE_CHARS), AfterValidator(_printable)]


@dataclass(frozen=True, slots=True)
class _Shared:
    """``Counted`` as a shared value must read: every field bounded."""

    input_tokens: _Tokens
    source: Source
    provider: _Label
    request_id: _Label | None = None
    notes: Annotated[tuple[_Note, ...], Field(max_length=MAX_NOTES)] = ()
    uncertainty_tokens: _Tokens = 0
    estimate_method: _Label | None = None
    fallback_reason: FallbackReason | None = None
    cached: bool = False
    original_input_tokens: _Tokens | None = None


_SHARED_FORM: Final = TypeAdapter(_Shared)


def counted_to_json(counted: Counted) -> bytes:
    """The shared cache's value for ``counted`` (stored as not cached; a reader marks its hit itself)."""
    return pydantic_core.to_json(dataclasses.asdict(dataclasses.replace(counted, cached=False)))


def counted_from_json(raw: bytes) -> Counted | None:
    """The ``Counted`` a shared value holds, or None when it is not one within the bounds."""
    if len(raw) > MAX_VALUE_BYTES:
        return None
    try:
        shared = _SHARED_FORM.validate_json(raw)
    except ValidationError:
        return None
    return Counted(**dataclasses.asdict(shared))
