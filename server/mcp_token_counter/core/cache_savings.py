"""What caching a request's prefix saves over ``repeats`` reuses, at the model's list prices.

The request is sent once and its cached prefix reused ``repeats`` times within its TTL. Without caching every
send pays the input rate on every token. With caching the first send writes each cached segment (from one
breakpoint to the next) at its breakpoint's TTL rate, as the page bills mixed TTLs, and every reuse reads the
whole cached prefix; the tokens after the last cached breakpoint pay the input rate each time. Rates are the
prompt-size tier the request falls in, times the fast-mode and US-only multipliers ``core/cost.py`` applies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..catalog import ModelSpec, Rates
from .cost import Billing, multiplier


@dataclass(frozen=True, slots=True)
class Segment:
    """Tokens written at one TTL's rate: from the previous cached breakpoint to this one."""

    tokens: int
    ttl: str


@dataclass(frozen=True, slots=True)
class Savings:
    """Costs in USD over 1 + repeats sends, and the reads after which a write pays for itself."""

    repeats: int
    without_cache_usd: float
    with_cache_usd: float
    break_even_reads_5m: int
    break_even_reads_1h: int
    notes: tuple[str, ...]


def segments(cached: Sequence[tuple[int, str]]) -> list[Segment]:
    """Cached breakpoints' (prefix tokens, ttl), in API order, as the segments each one writes."""
    found: list[Segment] = []
    previous = 0
    for tokens, ttl in cached:
        if tokens > previous:
            found.append(Segment(tokens - previous, ttl))
            previous = tokens
    return found


def savings(spec: ModelSpec, total: int, written: Sequence[Segment], repeats: int, billing: Billing) -> Savings:
    """The cost of 1 + ``repeats`` sends of a ``total``-token request without and with its cached segments."""
    rates, _ = spec.prices.rates_for(total)
    factor, notes = multiplier(spec, billing)
    cached = sum(segment.tokens for segment in written)
    fresh = total - cached
    write = sum(segment.tokens * _write_rate(rates, segment.ttl) for segment in written)
    without = (1 + repeats) * total * rates.input
    with_cache = write + fresh * rates.input + repeats * (cached * rates.cache_read + fresh * rates.input)
    return Savings(
        repeats=repeats,
        without_cache_usd=_usd(without * factor),
        with_cache_usd=_usd(with_cache * factor),
        break_even_reads_5m=break_even(rates.cache_write_5m, rates),
        break_even_reads_1h=break_even(rates.cache_write_1h, rates),
        notes=tuple(notes),
    )


def break_even(write_rate: float, rates: Rates) -> int:
    """The fewest reads after which writing a prefix once costs no more than sending it uncached each time.

    Writing costs ``write - input`` more than one uncached send; each read saves ``input - read``.
    """
    extra, saved = write_rate - rates.input, rates.input - rates.cache_read
    return max(0, math.ceil(round(extra / saved, 9)))


def _write_rate(rates: Rates, ttl: str) -> float:
    return rates.cache_write_1h if ttl == "1h" else rates.cache_write_5m


def _usd(amount_per_mtok: float) -> float:
    return round(amount_per_mtok / 1_000_000, 6)
