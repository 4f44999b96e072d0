"""Input cost from the model table's list prices (``prices`` per model in ``data/models.json``).

The cost follows the request: the prompt-size tier its count falls in, ``speed: "fast"`` and
``inference_geo: "us"``. Prompt caching is not guessed: which prefix is already cached is known only to the
API, so the estimate assumes none is and a note gives this model's write and read rates instead. Batch is a
different endpoint and is listed in the models resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from ..catalog import ModelSpec, Rates

_US_GEO_MULTIPLIER: Final = 1.1


@dataclass(frozen=True, slots=True)
class Billing:
    """What in a request changes its price, besides the model and the count."""

    fast: bool = False
    us_only: bool = False
    caching: bool = False


@dataclass(frozen=True, slots=True)
class Cost:
    """Estimated input cost in US dollars (None when the table has no price), and how it was reached."""

    usd: float | None
    notes: tuple[str, ...] = ()


def billing_of(body: Mapping[str, Any], inference_geo: str | None) -> Billing:
    """The price-relevant parts of a request body and its dropped ``inference_geo`` argument."""
    return Billing(
        fast=body.get("speed") == "fast",
        us_only=inference_geo == "us",
        caching=_uses_cache_control(body),
    )


def input_cost(spec: ModelSpec | None, input_tokens: int, billing: Billing = Billing()) -> Cost:
    """List-price cost of ``input_tokens`` on ``spec`` under ``billing``."""
    if spec is None:
        return Cost(None)
    rates, threshold = spec.prices.rates_for(input_tokens)
    factor, notes = multiplier(spec, billing)
    if threshold is not None:
        notes.insert(0, f"Priced at {spec.id}'s rates for prompts over {threshold:,} tokens: {_per_mtok(rates)}.")
    if billing.caching:
        notes.append(_cache_note(rates, factor))
    return Cost(round(input_tokens * rates.input * factor / 1_000_000, 6), tuple(notes))


def multiplier(spec: ModelSpec, billing: Billing) -> tuple[float, list[str]]:
    """The product of the fast-mode and US-only multipliers that apply, with a note for each."""
    factor, notes = 1.0, list[str]()
    if billing.fast and spec.prices.fast is not None:
        factor *= spec.prices.fast
        notes.append(f"speed 'fast': priced at fast-mode rates ({spec.prices.fast:g}x standard).")
    elif billing.fast:
        notes.append(f"speed 'fast': no fast-mode price is published for {spec.id}, so standard rates are used.")
    if billing.us_only and spec.prices.us_inference:
        factor *= _US_GEO_MULTIPLIER
        notes.append(f"inference_geo 'us': priced at {_US_GEO_MULTIPLIER:g}x.")
    return factor, notes


def _usd(amount: float) -> str:
    """Dollars as price lists write them: $0.50, $6.25, $0.125, $10."""
    if amount == int(amount):
        return f"${amount:.0f}"
    text = f"{amount:.4f}".rstrip("0")
    return f"${text}0" if len(text.partition(".")[2]) < 2 else f"${text}"


def _per_mtok(rates: Rates) -> str:
    return f"{_usd(rates.input)}/MTok input, {_usd(rates.output)}/MTok output"


def _cache_note(rates: Rates, factor: float) -> str:
    write_5m, write_1h, read = (
        round(rate * factor, 6) for rate in (rates.cache_write_5m, rates.cache_write_1h, rates.cache_read)
    )
    return (
        f"Cost assumes nothing is cached yet. A cached prefix costs {_usd(write_5m)}/MTok to write (5 min; "
        f"{_usd(write_1h)} for 1 h) and {_usd(read)}/MTok to read."
    )


def _uses_cache_control(body: Mapping[str, Any]) -> bool:
    """Whether any cache breakpoint is set: top level, system blocks, tools, or message content blocks."""
    if body.get("cache_control"):
        return True
    lists: list[object] = [body.get("system"), body.get("tools")]
    lists.extend(_content(message) for message in _items(body.get("messages")))
    return any(_marked(block) for blocks in lists for block in _items(blocks))


def _items(value: object) -> list[object]:
    return cast(list[object], value) if isinstance(value, list) else []


def _content(message: object) -> object:
    return cast(dict[str, object], message).get("content") if isinstance(message, dict) else None


def _marked(block: object) -> bool:
    return isinstance(block, dict) and bool(cast(dict[str, object], block).get("cache_control"))
