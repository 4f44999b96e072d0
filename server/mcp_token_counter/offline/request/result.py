"""What an offline estimate returns, and the cost arithmetic its parts are built from."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EstimatePart:
    """One top-level piece of the request: ``framing``, ``system``, ``tools``, ``messages[3]``, …"""

    name: str
    tokens: int
    uncertainty_tokens: int


@dataclass(frozen=True, slots=True)
class Estimate:
    """An offline count of a count_tokens request body.

    ``parts`` sum exactly to ``input_tokens``; their ``uncertainty_tokens`` sum to this one's.
    ``uncertainty_tokens`` is one-sided: how many tokens the true count may exceed the estimate by.
    """

    input_tokens: int
    uncertainty_tokens: int
    method: str
    parts: tuple[EstimatePart, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Cost:
    """The running cost of some piece of a request.

    ``text`` is the share of ``tokens`` that came from the tokenizer; the per-model text margin is applied
    to it once per part rather than per fragment, so a thousand short blocks do not round up a thousand
    times. ``margin`` is the uncertainty the rule that produced the tokens already decided on.
    """

    tokens: int = 0
    margin: int = 0
    text: int = 0
    notes: tuple[str, ...] = ()
    methods: frozenset[str] = frozenset()

    def __add__(self, other: Cost) -> Cost:
        return total((self, other))


def total(costs: Iterable[Cost]) -> Cost:
    """The sum of ``costs``, notes in order of first appearance."""
    tokens = margin = text = 0
    notes: list[str] = []
    methods: set[str] = set()
    for cost in costs:
        tokens += cost.tokens
        margin += cost.margin
        text += cost.text
        notes.extend(cost.notes)
        methods.update(cost.methods)
    return Cost(tokens, margin, text, tuple(dict.fromkeys(notes)), frozenset(methods))


def text_cost(tokens: int) -> Cost:
    """Tokens counted by ctok."""
    return Cost(tokens=tokens, text=tokens)


def percent(tokens: int, pct: float) -> int:
    """``pct`` percent of ``tokens``, rounded up: margins never round to less than they say."""
    return math.ceil(tokens * pct / 100)
