"""The per-model facts the estimator uses, resolved once per request from a table row or its absence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from ...catalog import ImageCaps, ModelSpec, builtin_catalog

# ctok's newest family. It counts more tokens than v3 on almost all text, so an unknown model is not
# under-counted because it was guessed to be older than it is.
NEWEST_VERSION: Final = "4.8"

# Text margins, in percent of the tokens ctok produced. ctok reproduces recorded counts on its published
# corpora, so the confirmed margin covers how fragments join, not the tokenizer. An unconfirmed family
# (a model ctok was not measured against) may differ more; an unknown model more still.
TEXT_MARGIN_CONFIRMED: Final = 1.0
TEXT_MARGIN_UNCONFIRMED: Final = 10.0
TEXT_MARGIN_UNKNOWN: Final = 15.0


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything model-specific an estimate reads."""

    version: str
    image_caps: ImageCaps
    keeps_prior_thinking: bool
    tool_prompt: Mapping[str, int]
    anthropic_tools: Mapping[str, int]
    thinking_overhead: Mapping[str, int]
    text_margin_pct: float
    notes: tuple[str, ...]


def profile_for(spec: ModelSpec | None) -> Profile:
    """The profile of a table row, or of an unknown model when ``spec`` is None."""
    if spec is None:
        return _unknown_profile()
    confirmed = spec.ctok_confirmed
    notes = () if confirmed else (f"Tokenizer family unconfirmed for {spec.id}; ctok {spec.ctok_version} assumed.",)
    return Profile(
        version=spec.ctok_version,
        image_caps=spec.image_caps,
        keeps_prior_thinking=spec.prior_turn_thinking == "kept",
        tool_prompt=spec.tool_use_system_prompt,
        anthropic_tools=spec.anthropic_tool_tokens,
        thinking_overhead=spec.thinking_overhead,
        text_margin_pct=TEXT_MARGIN_CONFIRMED if confirmed else TEXT_MARGIN_UNCONFIRMED,
        notes=notes,
    )


def _unknown_profile() -> Profile:
    """The most expensive reading of every rule in the table, so an unknown model is not under-counted."""
    models = builtin_catalog().models
    return Profile(
        version=NEWEST_VERSION,
        image_caps=max((m.image_caps for m in models), key=lambda caps: caps.max_tokens),
        keeps_prior_thinking=True,
        tool_prompt=_largest(m.tool_use_system_prompt for m in models),
        anthropic_tools=_largest(m.anthropic_tool_tokens for m in models),
        thinking_overhead=_largest(m.thinking_overhead for m in models),
        text_margin_pct=TEXT_MARGIN_UNKNOWN,
        notes=(
            f"Model not in the table: counted with the newest tokenizer (ctok {NEWEST_VERSION}), high-res "
            "image limits and the largest known overheads; wider margin.",
        ),
    )


def _largest(tables: Iterable[Mapping[str, int]]) -> dict[str, int]:
    largest: dict[str, int] = {}
    for table in tables:
        for key, value in table.items():
            largest[key] = max(value, largest.get(key, value))
    return largest
