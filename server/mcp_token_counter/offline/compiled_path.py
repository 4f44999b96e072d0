"""The compiled half of ``fast_count``, loaded in a background thread so that no count waits for numba.

Compiling the kernels takes seconds the first time after an install (numba then keeps them in its
on-disk cache, and later processes load them in well under a second). A counter starts counting at
once with its Python path (``segment_tiling``, the per-word sum in Python), exact and several times
faster than ctok, while this loader builds the compiled tiler and word scan beside it; once they load
and agree with the Python path on the probes, every later count takes them. A long text arriving before
then waits for them, at most about as long as the Python path would take over it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, NamedTuple

from .batch_tiling import BatchTiler

if TYPE_CHECKING:
    from .word_table import WordTable

logger = logging.getLogger(__name__)

# Texts on which the compiled path must count as the Python path does before it is used: seams, case,
# contractions, punctuation borders, runs of spaces, letters beyond ASCII, and words left to ctok.
PROBE_TEXTS: Final = (
    "Hello, World! It's NASA's \u201cAPI\u201d (v2.0) -- don't 'quote' me;  x\ty\n\n  [1, 2]",
    "Übergröße ÉTÉ İstanbul STRAẞE ΛΌΓΟΣ λόγος Москва Ⅻ ⓐ",
    "def f(x):\n    return {'k': x['k'] * 2}  # ok\n 東京の天気 👨\u200d👩\u200d👧 e\u0301 ١٢٣",
)
# Below this many characters a text never waits for the compiled path: the Python path is quick enough.
_WAIT_FROM: Final = 250_000
# The Python path's pace, characters a second on the bench's real text, to bound a long text's wait.
_PYTHON_PACE: Final = 2_000_000


class Compiled(NamedTuple):
    """The compiled tiler of unseen streams, and the compiled word scan when it loaded too."""

    batch: BatchTiler
    table: WordTable | None


class CompiledLoader:
    """Builds the compiled path once, in a daemon thread, and hands it out when it is ready."""

    def __init__(self, build: Callable[[], Compiled | None], agrees: Callable[[Compiled], bool]) -> None:
        self._build = build
        self._agrees = agrees
        self._compiled: Compiled | None = None
        self._done = threading.Event()
        threading.Thread(target=self._load, name="ctok-compiled-path", daemon=True).start()

    def current(self, text_length: int = 0) -> Compiled | None:
        """The compiled path if it is ready; for a long text, after waiting for it a bounded while."""
        if self._compiled is None and text_length >= _WAIT_FROM:
            self._done.wait(text_length / _PYTHON_PACE)
        return self._compiled

    def wait(self, timeout: float | None = None) -> Compiled | None:
        """The compiled path once the loader is done (``None`` if it could not load or disagreed)."""
        self._done.wait(timeout)
        return self._compiled

    def _load(self) -> None:
        try:
            compiled = self._build()
            if compiled is not None and not self._agrees(compiled):
                logger.warning("the compiled word scan counts differently from the Python path; not using it")
                compiled = Compiled(compiled.batch, None)
            self._compiled = compiled
        # Whatever goes wrong here must leave the exact Python path counting, never fail a count.
        except Exception:
            logger.exception("the compiled path failed to load; counting keeps to the Python path")
        finally:
            self._done.set()
