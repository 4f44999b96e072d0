"""``ctok.token_count``, exactly, at tokenizer speed where ctok's internals allow.

Three counters, each checked against ``ctok.token_count`` on the probes before it is used:

* ``fast_counter`` (``fast_count.FastCounter``): ctok's normalization and tiling applied once per
  distinct word and remembered, many times faster on real text;
* ``engine_counter``: ctok's tiling without the rendering ``tokenize`` adds;
* ``public_counter``: ``ctok.token_count`` itself.

``ctok.token_count(text, v)`` is ``len(tokenize(text, v))``, and ``tokenize`` renders every token of the
tiling to a display string only for the length to be taken: about a quarter of the time on large text.
``ctok.engine.tile`` returns the tiling's cost next to the unrendered tokens, and ``token_count`` is that
cost plus the model's ``message_overhead`` frame. Those are ctok internals, not its public API (the lock
pins ctok, but the package accepts any 1.x), so they are looked up by name once per version and checked
against ``ctok.token_count`` on a probe; if a ctok release moved or reshaped them, counting falls back to
the public function, slower but still exact.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped; its public functions are annotated

from ..compiled.engine import load_engine
from .ctok_internals import ctok_parts
from .fast_count import FastCounter
from .word_stream import StreamMismatch

logger = logging.getLogger(__name__)

type Counter = Callable[[str], int]
"""``ctok.token_count(text, version)`` for one fixed version."""

type Internal = Callable[[str, str], Callable[..., Any]]
"""Looks up ``name`` in the ctok submodule ``module``."""

type Resolver = Callable[[str], Counter]
"""The fast counter of a version; raises one of ``RESOLUTION_ERRORS`` when ctok's internals do not fit."""

# Exercises what the fast paths could get wrong: words, case, CJK, an emoji sequence that falls to the
# byte floor, marker-like glyphs, a combining mark and trailing newlines (which ctok prices against the
# frame); for the per-word counter also seams, contractions, punctuation borders, runs of spaces, a
# leading space and text with no word at all.
PROBE: Final = "Hello, World! 東京の天気 👨‍👩‍👧 ⟨bow⟩x⟩ e\u0301\n\n"
PROBES: Final = (
    PROBE,
    " It's NASA's \u201cAPI\u201d (v2.0) -- don't 'quote' me;  x\ty\n\n  [1, 2]\u3000\u00e9t\u00e9 ÉTÉ \u0130stanbul",
    "def f(x):\n    return {'k': x['k'] * 2}  # ok\n",
    "\n  \t ",
    "",
    "Ⅻ ⓐ ① ١٢٣ 4️⃣ ❤️ x'S '\u00bb\u00ab\u2014 \ufdd0 \ud800",
)

# What a missing or reshaped internal raises: an absent module or name, a call with the wrong arguments,
# a result that does not unpack to (cost, tokens), or a probe count that differs. NotImplementedError (an
# unknown version) is not among them: ctok.token_count raises it too, so it propagates.
RESOLUTION_ERRORS: Final = (ImportError, AttributeError, TypeError, ValueError)


def ctok_internal(module: str, name: str) -> Callable[..., Any]:
    """``ctok.<module>.<name>``, which must be callable.

    Raises:
        ImportError: no such submodule.
        AttributeError: no such name.
        TypeError: it is not callable.
    """
    found: object = getattr(importlib.import_module(f"ctok.{module}"), name)
    if not callable(found):
        raise TypeError(f"ctok.{module}.{name} is not callable")
    return found


def engine_counter(version: str, internal: Internal = ctok_internal) -> Counter:
    """Count as ``tile``'s cost plus the model's frame, skipping the rendering ``tokenize`` adds.

    Raises:
        ImportError, AttributeError, TypeError: a ctok internal is missing or not what it was.
        NotImplementedError: ``version`` is not a ctok version.
    """
    model = internal("main", "_model")(internal("main", "_family")(version))
    overhead = model.message_overhead
    if not isinstance(overhead, int):
        raise TypeError(f"message_overhead is {type(overhead).__name__}, not int")
    tile = internal("engine", "tile")

    def tiled_count(text: str) -> int:
        cost, _tokens = tile(text, model)
        return int(cost) + overhead

    return tiled_count


def public_counter(version: str) -> Counter:
    """``ctok.token_count`` through its public API, for when the internals cannot be used."""

    def public_count(text: str) -> int:
        return ctok.token_count(text, version)

    return public_count


class GuardedCounter:
    """A ``FastCounter`` that hands a text it cannot split to ``ctok.token_count``."""

    def __init__(self, fast: FastCounter, public: Counter) -> None:
        self.fast = fast
        self._public = public

    def __call__(self, text: str) -> int:
        try:
            return self.fast(text)
        except StreamMismatch:  # never seen; kept so that no text can make the count fail or drift
            logger.warning("per-word stream did not split back for a text; counted it with ctok.token_count")
            return self._public(text)


def fast_counter(
    version: str, internal: Internal = ctok_internal, environ: Mapping[str, str] = os.environ
) -> GuardedCounter:
    """Count with ``FastCounter``, falling back to ``ctok.token_count`` for a text it cannot split.

    The compiled engine is used unless ``TOKEN_COUNTER_OFFLINE_ENGINE`` in ``environ`` forces the Python
    path or the extension was not built (``compiled.engine.load_engine``).

    Raises:
        ImportError, AttributeError, TypeError, ValueError: a ctok internal is missing or not what it
            was, or the vocabulary breaks the per-word sum's precondition.
        NotImplementedError: ``version`` is not a ctok version.
    """
    model = internal("main", "_model")(internal("main", "_family")(version))
    fast = FastCounter(ctok_parts(), model, load_engine(environ))
    return GuardedCounter(fast, public_counter(version))


DEFAULT_RESOLVERS: Final[tuple[Resolver, ...]] = (fast_counter, engine_counter)


def counter_for(version: str, resolvers: tuple[Resolver, ...] = DEFAULT_RESOLVERS) -> Counter:
    """The first counter of ``version`` that resolves and agrees with ctok on every probe, else the public one.

    Raises:
        NotImplementedError: ``version`` is not a ctok version.
    """
    public = public_counter(version)
    # Loads the vocabulary here, under the caller's lock, whichever counter is kept.
    expected = [public(probe) for probe in PROBES]
    errors: list[Exception] = []
    for resolve in resolvers:
        try:
            fast = resolve(version)
            if [fast(probe) for probe in PROBES] != expected:
                raise ValueError("differs from ctok.token_count on a probe")
        except RESOLUTION_ERRORS as error:
            errors.append(error)
            continue
        if errors:
            logger.debug("faster ctok counters unusable for version %s (%r); using a slower one", version, errors)
        return fast
    logger.debug("ctok internals unusable for version %s (%r); counting with ctok.token_count", version, errors)
    return public


def token_count(text: str, version: str) -> int:
    """Exactly ``ctok.token_count(text, version)``, faster where ctok's internals allow."""
    return (_counters.get(version) or loaded(version))(text)


# Resolving a version loads its vocabulary (~0.6 s and ~45 MB). Estimates run in worker threads, and
# without the lock twenty first estimates at once each loaded it: 12 s and 1 GB instead of 0.6 s.
_counters: dict[str, Counter] = {}
_load_lock: Final = threading.Lock()


def loaded(version: str) -> Counter:
    """The counter of ``version``, its vocabulary loaded once per process however many threads ask at once."""
    with _load_lock:
        if version not in _counters:
            _counters[version] = counter_for(version)
        return _counters[version]


def compiled_in_use(version: str) -> bool:
    """Load ``version``'s counter; whether the compiled engine sums its words (benches and tests ask)."""
    counter = loaded(version)
    return isinstance(counter, GuardedCounter) and counter.fast.compiled


def forget_words() -> None:
    """Start every version's counter afresh: its per-word memo goes, its vocabulary stays loaded in ctok."""
    with _load_lock:
        _counters.clear()
