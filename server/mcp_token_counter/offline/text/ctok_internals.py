"""The parts of ctok the fast counter drives, looked up by name once.

They are ctok internals, not its public API, so they are gathered here, each checked to exist and be
of the expected kind; ``ctok_fast`` then checks the whole counter against ``ctok.token_count`` before
using it, and falls back to the public function when anything moved.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

type Internal = Callable[[str, str], object]
"""Looks up ``name`` in the ctok submodule ``module``."""


def ctok_attribute(module: str, name: str) -> object:
    """``ctok.<module>.<name>``.

    Raises:
        ImportError: no such submodule.
        AttributeError: no such name.
    """
    return getattr(importlib.import_module(f"ctok.{module}"), name)


def _typed[T](value: object, kind: type[T], name: str) -> T:
    if not isinstance(value, kind):
        raise TypeError(f"ctok's {name} is {type(value).__name__}, not {kind.__name__}")
    return value


def _callable(value: object, name: str) -> Callable[..., Any]:
    if not callable(value):
        raise TypeError(f"ctok's {name} is not callable")
    return value


@dataclass(frozen=True, slots=True)
class CtokParts:
    """ctok's normalization, stream and tiling functions and the constants they share."""

    nfc: Callable[..., str]
    stream_norm: Callable[..., str]
    classify: Callable[[str], str]
    mark_case: Callable[[str, int | None], str]
    is_upper: Callable[[str], bool]
    is_lower: Callable[[str], bool]
    lower: Callable[[str], str]
    hard_kind: Callable[[str], str]
    is_selector: Callable[[str], bool]
    min_vocab_tile: Callable[..., tuple[int, list[tuple[int, int]]]]
    char_cost: Callable[[Any, str], int]
    frame_tail: Callable[[int, Any], list[str]]
    space: str
    wordy: str
    digit: str
    punct: str
    hard: str
    bow: str
    eow: str
    shift: str
    caps: str
    contractions: frozenset[str]
    new_cased: frozenset[str]
    markers: frozenset[str]
    marker_escapes: Mapping[int, str]
    quote_fold: Mapping[int, str]
    seam_re: re.Pattern[str]
    fold_res: tuple[re.Pattern[str], ...]
    """The character classes ``nfc`` removes or replaces (surrogates, controls, private use, odd spaces)."""

    def seam(self, joined: str) -> str:
        """ctok's last stream step: a single space between ⟨eow⟩ and the next ⟨bow⟩ is the seam."""
        return self.seam_re.sub(r"\1" + self.eow + r"\2" + self.bow, joined)


def ctok_parts(internal: Internal = ctok_attribute) -> CtokParts:
    """Gather ctok's parts.

    Raises:
        ImportError, AttributeError, TypeError: one of them is missing or not what it was.
    """
    function = partial(_function, internal)
    constant = partial(_constant, internal)
    return CtokParts(
        nfc=function("normalize", "nfc"),
        stream_norm=function("normalize", "stream_norm"),
        classify=function("normalize", "classify"),
        mark_case=function("normalize", "mark_case"),
        is_upper=function("normalize", "_is_upper"),
        is_lower=function("normalize", "_is_lower"),
        lower=function("normalize", "_lower"),
        hard_kind=function("normalize", "_hard_kind"),
        is_selector=function("normalize", "_is_selector"),
        min_vocab_tile=function("engine", "min_vocab_tile"),
        char_cost=function("engine", "char_cost"),
        frame_tail=function("engine", "frame_tail"),
        space=constant("SPACE", str),
        wordy=constant("WORDY", str),
        digit=constant("DIGIT", str),
        punct=constant("PUNCT", str),
        hard=constant("HARD", str),
        bow=constant("BOW_G", str),
        eow=constant("EOW_G", str),
        shift=constant("SHIFT_G", str),
        caps=constant("CAPS_G", str),
        contractions=_strings(internal("constants", "CONTRACTION_SUFFIXES"), "CONTRACTION_SUFFIXES"),
        new_cased=_strings(internal("normalize", "_NEW_CASED"), "_NEW_CASED"),
        markers=_strings(internal("constants", "MARKER_GLYPHS"), "MARKER_GLYPHS"),
        marker_escapes=_table(internal("constants", "LITERAL_MARKER_ESCAPE_TABLE"), "LITERAL_MARKER_ESCAPE_TABLE"),
        quote_fold=_table(internal("constants", "QUOTE_FOLD"), "QUOTE_FOLD"),
        seam_re=_pattern(internal("constants", "SEAM_RE"), "SEAM_RE"),
        fold_res=_fold_classes(internal),
    )


def _fold_classes(internal: Internal) -> tuple[re.Pattern[str], ...]:
    names = ("SURROGATE", "STRIP_CONTROL", "STRIP_PRIVATE", "FUNNY_SPACE")
    return tuple(_pattern(internal("constants", name), name) for name in names)


def _function(internal: Internal, module: str, name: str) -> Callable[..., Any]:
    return _callable(internal(module, name), name)


def _constant[T](internal: Internal, name: str, kind: type[T]) -> T:
    return _typed(internal("constants", name), kind, name)


def _strings(value: object, name: str) -> frozenset[str]:
    if not isinstance(value, frozenset) or not all(isinstance(m, str) for m in cast(frozenset[object], value)):
        raise TypeError(f"ctok's {name} is not a frozenset of strings")
    return cast(frozenset[str], value)


def _table(value: object, name: str) -> Mapping[int, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, int) and isinstance(v, str) for k, v in cast(dict[object, object], value).items()
    ):
        raise TypeError(f"ctok's {name} is not a str.translate table of single strings")
    return cast(dict[int, str], value)


def _pattern(value: object, name: str) -> re.Pattern[str]:
    pattern: object = getattr(value, "pattern", None)
    if not isinstance(value, re.Pattern) or not isinstance(pattern, str):
        raise TypeError(f"ctok's {name} is not a compiled text pattern")
    return cast(re.Pattern[str], value)
