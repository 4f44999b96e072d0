"""Context-fit arithmetic and its argument bounds: pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

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


def reserve_output(max_tokens: int | None, thinking: Mapping[str, Any] | None) -> int:
    """Output to keep free: ``max_tokens`` when given, else the thinking budget, else nothing."""
    if max_tokens is not None:
        return max_tokens
    budget = thinking_budget(thinking)
    return budget or 0


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
