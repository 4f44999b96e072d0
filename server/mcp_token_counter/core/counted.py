"""A count and how it was produced, and its JSON form for the cache replicas share (``shared.store``).

The shared form holds the count and its labels only, never the body. A value that does not read back as a
``Counted`` (written by another version, or damaged) is treated as a miss.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Final, Literal

import pydantic_core
from pydantic import TypeAdapter, ValidationError

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


_SHARED_FORM: Final = TypeAdapter(Counted)


def counted_to_json(counted: Counted) -> bytes:
    """The shared cache's value for ``counted`` (stored as not cached; a reader marks its hit itself)."""
    return pydantic_core.to_json(dataclasses.asdict(dataclasses.replace(counted, cached=False)))


def counted_from_json(raw: bytes) -> Counted | None:
    """The ``Counted`` a shared value holds, or None when it is not one."""
    try:
        return _SHARED_FORM.validate_json(raw)
    except ValidationError:
        return None
