"""``ctok.token_count`` at tokenizer speed: ctok's own rules, applied once per distinct word and gap.

    text -> ctok's NFC fold -> words and the whitespace gaps between them
         -> each word's stream (word_stream) and its tiling cost, remembered per word: unseen words'
            streams tiled in one batch (batch_tiling), gaps and the head by segment_tiling
         -> the sum, less the seam spaces ctok's stream drops, plus the frame

That is the Python path. With the compiled engine (the ``_engine`` extension, loaded when the counter is
built), the words after the first are summed by its scan instead (word_table), which writes and tiles most
unseen words itself and hands the rest back here (``_missing_units``).

No vocabulary piece starts with ⟨eow⟩ or mixes whitespace with anything else (checked on the vocabulary
when the counter is built), so no tile crosses the edge of a gap, and the tiling of the whole stream is
the sum of its words' and gaps' tilings. ctok's seam rewrite deletes the single space of a gap that lies
between a word ending in ⟨eow⟩ and one opening with ⟨bow⟩ (after any case markers); those spaces are
counted and their cost taken off. Every character of the stream and every tiling decision is ctok's.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import partial
from itertools import repeat
from operator import itemgetter
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast

from .batch_tiling import BatchTiler, batch_tiler, segment_batches
from .compiled_tiler import compiled_pairs
from .ctok_internals import CtokParts
from .segment_tiling import MEMO_KEY_LIMIT, MEMO_LIMIT, SegmentTiler, adjacent_pairs, kept, vocabulary_cuts
from .word_scan import GAP, Missing, Sums
from .word_stream import WordKey, WordWriter, space_chars, word_splitter
from .word_table import word_table

if TYPE_CHECKING:
    from .word_table import WordTable

logger = logging.getLogger(__name__)

_FIRST_TWO: Final = itemgetter(slice(0, 2))
# A word's memo entry packs its tiling cost with two seam flags: cost << 2 | ends in ⟨eow⟩ << 1 | opens
# with ⟨bow⟩. Ints keep the per-word work in C (map over int methods) instead of a Python loop.
_ENDS: Final = 2
_OPENS: Final = 1

type HeadKey = tuple[str, str, bool, bool]

# A text holding more distinct characters that nfc changes goes through nfc itself: one replacement each
# would cost more than its passes.
_FEW_TOUCHED: Final = 6
# A text with more characters nfc changes than this goes through nfc itself, so that they are never all held.
_MANY_TOUCHES: Final = 4096
# What nfc changes in context rather than character by character: surrogates (replaced before NFC runs)
# and the first half of a decomposed Thai SARA AM.
_CONTEXTUAL: Final = re.compile("[\ud800-\udfff\u0e4d]")

# Texts on which the compiled scan must count as the Python path does before it is used: seams, case,
# contractions, punctuation borders, runs of spaces, letters beyond ASCII, and words left to ctok.
PROBE_TEXTS: Final = (
    "Hello, World! It's NASA's \u201cAPI\u201d (v2.0) -- don't 'quote' me;  x\ty\n\n  [1, 2]",
    "Übergröße ÉTÉ İstanbul STRAẞE ΛΌΓΟΣ λόγος Москва Ⅻ ⓐ",
    "def f(x):\n    return {'k': x['k'] * 2}  # ok\n 東京の天気 👨\u200d👩\u200d👧 e\u0301 ١٢٣",
)


class Compiled(NamedTuple):
    """The compiled tiler of unseen streams, and the compiled word scan when it agreed with Python."""

    batch: BatchTiler
    table: WordTable | None


def fold_touches(classes: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """The characters ctok's ``nfc`` could change in a text already in NFC: its four character classes, NUL
    (made a space) and the first character of Thai SARA AM decomposed (composed); ``None`` when a class is
    not a plain ``[...]`` set, so that ``nfc`` itself runs on every text."""
    sets: list[str] = []
    for found in classes:
        body = found.pattern[1:-1]
        if not (found.pattern.startswith("[") and found.pattern.endswith("]")) or body.startswith("^"):
            return None
        if "[" in body or found.flags & ~re.UNICODE:
            return None
        sets.append(body)
    return re.compile("[" + "".join(sets) + "\x00\u0e4d]")


class FastCounter:
    """``ctok.token_count(text, version)`` for one version's model.

    Raises:
        UnsupportedVocabulary: on construction, when the vocabulary breaks the sum's precondition.
    """

    def __init__(self, parts: CtokParts, model: Any, engine: ModuleType | None) -> None:
        """``engine``: the compiled extension (``compiled.engine.load_engine``), or ``None`` for the Python path."""
        self._parts = parts
        self._model = model
        self._overhead: int = model.message_overhead
        spaces = space_chars(parts.classify, parts.space)
        pairs_of = adjacent_pairs if engine is None else compiled_pairs
        cuts = vocabulary_cuts(model.vocab, spaces, parts.eow, "".join(sorted(parts.markers)), pairs_of)
        self._split = word_splitter(spaces)
        self._first = re.compile(f"([{re.escape(spaces)}]*)([^{re.escape(spaces)}]+)").match
        self._single = frozenset([" ", *(" " + c for c in spaces if c != " ")]).__contains__
        self._writer = WordWriter(parts, model)
        self._tiler = SegmentTiler(parts, model, cuts)
        self._segments = segment_batches(self._tiler)
        self._opens = re.compile(f"[{parts.shift}{parts.caps}]*{parts.bow}").match
        self._folds = [(chr(k), v) for k, v in parts.quote_fold.items()] if model.fold_quotes else []
        self._touches = fold_touches(parts.fold_res)
        self._escapes = [(chr(k), v) for k, v in parts.marker_escapes.items()]
        self._words: dict[WordKey, int] = {}
        self._streams: dict[str, int] = {}
        self._heads: dict[HeadKey, int] = {}
        self._gaps: dict[str, int] = {}
        self._tails: dict[int, int] = {}
        self._compiled = self._build(engine) if engine is not None else None

    def __call__(self, text: str) -> int:
        return self._overhead + self.content(text)

    def content(self, text: str) -> int:
        """What ``ctok.engine.tile`` returns as the cost: the content's tokens without the frame."""
        return self._content(text, self._compiled)

    @property
    def compiled(self) -> bool:
        """Whether the compiled engine sums this counter's words (else the Python path does)."""
        return self._compiled is not None and self._compiled.table is not None

    @property
    def table(self) -> WordTable | None:
        """The compiled memo and scan, when in use."""
        return None if self._compiled is None else self._compiled.table

    def _build(self, engine: ModuleType) -> Compiled | None:
        """The compiled path, checked against the Python path on the probes; ``None`` when it cannot be used."""
        batch = batch_tiler(self._parts, self._model, self._tiler, engine)
        compiled = Compiled(batch, word_table(engine, self._parts, self._model, batch, self._writer.plain.kind))
        if compiled.table is None:
            return compiled
        try:
            agrees = all(self._content(t, compiled) == self._content(t, None) for t in PROBE_TEXTS)
        # Whatever goes wrong here must leave the exact Python path counting, never fail a count.
        except Exception:
            logger.exception("the compiled word scan failed on a probe text; summing words in Python")
            return Compiled(batch, None)
        if not agrees:
            logger.warning("the compiled word scan counts differently from the Python path; not using it")
            return Compiled(batch, None)
        return compiled

    def _content(self, text: str, compiled: Compiled | None) -> int:
        norm = self._fold(text)
        body = norm.rstrip("\n")
        tail = self._tail(len(norm) - len(body))
        body = self._escape(body)
        raw_head_space = text.startswith(" ")
        first = self._first(body)
        # The head and a whitespace-only text are tiled by the batch tiler too: compiled, a text that is one
        # huge word or gap costs little more than ctok's stream of it.
        batch = self._segments if compiled is None else compiled.batch
        if first is None:  # whitespace only: ctok's stream is one cheap pass
            stream = self._parts.stream_norm(body, self._model, raw_head_space=raw_head_space)
            return tail + (batch([stream])[0] if stream else 0)
        lead, word = first.groups()
        after = first.end()
        single = body.startswith(" ", after) and not body.startswith(" ", after + 1)
        head = self._head((lead, word, single, raw_head_space), batch)
        if compiled is None or compiled.table is None:
            sums = self._python_sums(self._split(body), head, batch)
        else:
            sums = compiled.table.sums(body, after, head, partial(self._missing_units, batch))
        return tail + (head >> 2) + sums.words + sums.gaps - sums.seams * self._gap(" ")

    def _python_sums(self, pieces: list[str], head: int, batch: BatchTiler) -> Sums:
        gaps = pieces[2::2]
        single = list(map(self._single, map(_FIRST_TWO, gaps)))
        keys = list(zip(map(str.endswith, gaps[:-1], repeat(" ")), pieces[3::2], single[1:], strict=True))
        units = [head, *self._units(keys, batch)]
        words = sum(map(int.__rshift__, units[1:], repeat(2)))
        ends = map(int.__and__, units[:-1], repeat(_ENDS))
        opens = map(int.__and__, units[1:], repeat(_OPENS))
        seams = sum(map(int.__mul__, map(int.__mul__, ends, opens), map(" ".__eq__, gaps[:-1]))) // _ENDS
        return Sums(words, self._gaps_cost(gaps), seams)

    def _missing_units(self, batch: BatchTiler, body: str, missing: list[Missing]) -> list[int]:
        """The unit of each key the compiled memo lacked: words written and tiled in one batch, gaps priced."""
        words = [m for m in missing if m.context != GAP]
        keys = [(bool(m.context & 2), body[m.start : m.end], bool(m.context & 1)) for m in words]
        units = iter(self._stream_units(self._writer.words(keys), batch))
        return [self._gap(body[m.start : m.end]) << 2 if m.context == GAP else next(units) for m in missing]

    def _units(self, keys: list[WordKey], batch: BatchTiler) -> list[int]:
        units = list(map(self._words.get, keys))
        if None not in units:
            return cast(list[int], units)
        # Filled into a local mapping first: another thread may start the shared memo afresh meanwhile.
        missing = list(dict.fromkeys(k for k, u in zip(keys, units, strict=True) if u is None))
        fresh = dict(zip(missing, self._stream_units(self._writer.words(missing), batch), strict=True))
        if len(self._words) > MEMO_LIMIT:
            self._words = {}
        self._words.update(kept(fresh))
        return [fresh[k] if u is None else u for k, u in zip(keys, units, strict=True)]

    def _head(self, key: HeadKey, batch: BatchTiler) -> int:
        unit = self._heads.get(key)
        if unit is None:
            lead, word, single, raw_head_space = key
            stream = self._writer.head(lead, word, single_space_after=single, raw_head_space=raw_head_space)
            if len(self._heads) > MEMO_LIMIT:
                self._heads = {}
            unit = self._stream_units([stream], batch)[0]
            if len(lead) + len(word) <= MEMO_KEY_LIMIT:
                self._heads[key] = unit
        return unit

    def _stream_units(self, streams: list[str], batch: BatchTiler) -> list[int]:
        """Each stream's unit (its tiling cost and seam flags, packed), remembered; unseen ones tiled in one batch."""
        units = list(map(self._streams.get, streams))
        if None in units:
            unseen = list(dict.fromkeys(s for s, u in zip(streams, units, strict=True) if u is None))
            tiled = dict(zip(unseen, map(self._flagged, unseen, batch(unseen)), strict=True))
            if len(self._streams) > MEMO_LIMIT:
                self._streams = {}
            self._streams.update(kept(tiled))
            return [tiled[s] if u is None else u for s, u in zip(streams, units, strict=True)]
        return cast(list[int], units)

    def _flagged(self, stream: str, cost: int) -> int:
        ends = _ENDS if len(stream) > 1 and stream.endswith(self._parts.eow) else 0
        return cost << 2 | ends | (_OPENS if self._opens(stream) else 0)

    def _gaps_cost(self, gaps: list[str]) -> int:
        costs = list(map(self._gaps.get, gaps))
        if None in costs:
            return sum(self._gap(g) for g in gaps)
        return sum(cast(list[int], costs))

    def _gap(self, gap: str) -> int:
        cost = self._gaps.get(gap)
        if cost is None:
            if len(self._gaps) > MEMO_LIMIT:
                self._gaps = {}
            cost = self._tiler.cost(gap) if gap else 0
            if len(gap) <= MEMO_KEY_LIMIT:
                self._gaps[gap] = cost
        return cost

    def _fold(self, text: str) -> str:
        """ctok's ``nfc``, its quote fold (a slow ``str.translate`` with a dict) done as ``str.replace``."""
        norm = self._quick_fold(text)
        if norm is None:
            norm = self._parts.nfc(text, fold_quotes=False)
        for quote, plain in self._folds:
            norm = norm.replace(quote, plain)
        return norm

    def _quick_fold(self, text: str) -> str | None:
        """``nfc`` of a text already in NFC in one pass over it instead of six; ``None`` where it cannot.

        ``nfc`` is four regular-expression passes, NFC and two replacements. On a text already in NFC, with
        no surrogate and no Thai SARA AM to compose, each step after NFC maps each character on its own (drops
        it, makes it a space, or keeps it), so the whole is each character's own ``nfc``: most text has none
        of the characters they touch, or a few distinct ones, replaced one by one.
        """
        if self._touches is None:
            return None
        touched: set[str] = set()
        for n, found in enumerate(self._touches.finditer(text)):
            if n == _MANY_TOUCHES:
                return None
            touched.add(found.group())
        if len(touched) > _FEW_TOUCHED or _CONTEXTUAL.search("".join(touched)):
            return None
        if not unicodedata.is_normalized("NFC", text):
            return None
        for c in touched:
            text = text.replace(c, self._parts.nfc(c, fold_quotes=False))
        return text

    def _escape(self, body: str) -> str:
        """``stream_norm``'s first step: literal marker glyphs to their private-use escapes."""
        for glyph, escape in self._escapes:
            if glyph in body:
                body = body.replace(glyph, escape)
        return body

    def _tail(self, newlines: int) -> int:
        cost = self._tails.get(newlines)
        if cost is None:
            cost = self._tails[newlines] = len(self._parts.frame_tail(newlines, self._model))
        return cost
