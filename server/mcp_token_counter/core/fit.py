"""Context-fit arithmetic and its argument bounds: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..catalog import ThinkingMode
from ..errors import TokenCounterError

# Betas that raise a model's output limit are named so ("output-128k-2025-02-19", batch output betas).
OUTPUT_BETA_PREFIX: Final = "output-"


@dataclass(frozen=True, slots=True)
class Fit:
    """Whether a prompt plus the reserved output fits a window."""

    fits: bool
    reserved_output_tokens: int
    remaining_tokens: int
    utilization: float


def check_tokens(name: str, value: int | None, *, when_absent: str) -> None:
    """Refuse a token amount below 1; the tools' schemas say so too, but the CLI and embedders bypass them.

    Raises:
        TokenCounterError: ``value`` is given and below 1.
    """
    if value is not None and value < 1:
        raise TokenCounterError(f"{name} must be a number of tokens >= 1, got {value}. Leave it out {when_absent}.")


@dataclass(frozen=True, slots=True)
class Reserve:
    """Output tokens to keep free, and why, when the caller did not say (``max_tokens`` absent)."""

    tokens: int
    note: str | None = None


def reserve_output(
    max_tokens: int | None,
    thinking: Mapping[str, Any] | None,
    model: ModelThinking,
) -> Reserve:
    """What the response may take: ``max_tokens`` when given; without it, what thinking would use.

    Thinking counts as output. An enabled budget is the least the response takes; a model whose adaptive
    thinking is on (by default, or asked for) may think up to its output limit, so that limit is kept free.
    """
    if max_tokens is not None:
        return Reserve(max_tokens)
    budget = thinking_budget(thinking)
    if budget is not None:
        return Reserve(
            budget,
            f"max_tokens not given: reserved thinking.budget_tokens ({budget:,}); the "
            "response needs max_tokens above it, so pass max_tokens to reserve all of it.",
        )
    if not _thinks(thinking, model.mode) or model.max_output_tokens is None:
        return Reserve(0)
    why = "thinking is adaptive" if thinking and thinking.get("type") == "adaptive" else "it thinks by default"
    return Reserve(
        model.max_output_tokens,
        f"max_tokens not given and {why} on {model.model} (thinking counts as output): reserved its output "
        f"limit of {model.max_output_tokens:,} tokens. Pass max_tokens to reserve less.",
    )


@dataclass(frozen=True, slots=True)
class ModelThinking:
    """What fit needs to know of a model's thinking: its id, mode and output limit."""

    model: str
    mode: ThinkingMode = "optional"
    max_output_tokens: int | None = None


def _thinks(thinking: Mapping[str, Any] | None, mode: ThinkingMode) -> bool:
    kind = thinking.get("type") if thinking else None
    if kind == "adaptive":
        return True
    return mode == "always" or (mode == "default" and kind != "disabled")


def thinking_warnings(thinking: Mapping[str, Any] | None, model: ModelThinking) -> list[str]:
    """Thinking settings this model's Messages API refuses, though the count itself may succeed."""
    kind = thinking.get("type") if thinking else None
    if kind == "enabled" and model.mode != "optional":
        return [
            f"{model.model} takes adaptive thinking only: thinking type 'enabled' with budget_tokens is refused "
            '(400). Send {"type": "adaptive"} and set the depth with output_config.effort.'
        ]
    if kind == "disabled" and model.mode == "always":
        return [f"{model.model} always thinks: thinking type 'disabled' is refused (400). Leave thinking out."]
    return []


def thinking_budget(thinking: Mapping[str, Any] | None) -> int | None:
    """``budget_tokens`` of an enabled thinking block, if any."""
    if not thinking or thinking.get("type") != "enabled":
        return None
    budget = thinking.get("budget_tokens")
    return budget if isinstance(budget, int) and not isinstance(budget, bool) else None


def compute_fit(input_tokens: int, reserved: int, window: int, *, margin: int = 0) -> Fit:
    """``fits`` means input + margin + reserved output <= window; ``remaining_tokens`` may be negative.

    ``margin`` is an estimate's uncertainty: a fit decided on an estimate must hold for the worst case.
    ``remaining_tokens`` and ``utilization`` leave it out, so they read the same as for an exact count.
    """
    used = input_tokens + reserved
    return Fit(
        fits=used + margin <= window,
        reserved_output_tokens=reserved,
        remaining_tokens=window - used,
        utilization=round(used / window, 4),
    )


def output_warnings(
    max_tokens: int | None,
    thinking: Mapping[str, Any] | None,
    max_output_tokens: int | None,
    betas: Sequence[str] = (),
) -> list[str]:
    """Problems the Messages API would refuse even though the prompt fits.

    A beta named ``output-…`` (such as a larger batch output) raises a model's output limit beyond what the
    table says, so with one the limit is mentioned, not asserted.
    """
    warnings: list[str] = []
    budget = thinking_budget(thinking)
    if budget is not None and max_tokens is not None and budget >= max_tokens:
        warnings.append(
            f"thinking.budget_tokens ({budget}) must be less than max_tokens ({max_tokens}): "
            "raise max_tokens or lower the budget."
        )
    if max_tokens is not None and max_output_tokens is not None and max_tokens > max_output_tokens:
        raising = [beta for beta in betas if beta.startswith(OUTPUT_BETA_PREFIX)]
        if raising:
            warnings.append(
                f"max_tokens ({max_tokens}) is above this model's usual output limit ({max_output_tokens}); "
                f"the {raising[0]} beta may allow it."
            )
        else:
            warnings.append(
                f"max_tokens ({max_tokens}) is above this model's output limit ({max_output_tokens}); "
                "the Messages API would reject it."
            )
    return warnings
