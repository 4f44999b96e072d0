"""The compiled word scan (word_table over the ``_engine`` extension's writer and scan) counts as the Python
sum does and as ``ctok.token_count``: word by word, as its memo grows and starts afresh, when the Python
fallback fails, under threads, when the scan cannot be built, and for letters met for the first time.
"""

from __future__ import annotations

import functools
import itertools
import random
import threading
from array import array
from collections.abc import Callable
from itertools import pairwise
from types import ModuleType
from typing import Any, cast

import ctok  # pyright: ignore[reportMissingTypeStubs]
import pytest
from bench.ctok_corpus import EDGE_CASES, equality_corpus

from mcp_token_counter.offline.compiled import _engine
from mcp_token_counter.offline.text import word_scan, word_table
from mcp_token_counter.offline.text.char_facts import UNKNOWN, CharFacts
from mcp_token_counter.offline.text.compiled_tiler import CompiledTiler
from mcp_token_counter.offline.text.ctok_fast import ctok_internal
from mcp_token_counter.offline.text.ctok_internals import Internal, ctok_attribute, ctok_parts
from mcp_token_counter.offline.text.fast_count import FastCounter
from mcp_token_counter.offline.text.plain_words import PlainWords
from mcp_token_counter.offline.text.word_scan import Memo
from mcp_token_counter.offline.text.word_stream import WordWriter, space_chars, word_splitter
from mcp_token_counter.offline.text.word_table import scanner

VERSIONS = ("3.0", "4.7", "4.8")
LOGGER = word_table.__name__
CONTEXTS = range(4)  # (a space before) << 1 | (a single space after)
# Words the compiled writer must take on itself, or the comparisons below could pass by writing nothing.
PLAIN = ("Hello", "world", "don't", "NASA's", "x'S", "'tis", "café", "ΕΛΛΑΔΑ", "Москва", "foo.bar()", "1,234")
# Words whose case ctok writes by a rule of its own, left to Python.
SPECIAL = ("STRAẞE", "ẞ", "İstanbul", "İ")
# Words where the runs' rules meet: apostrophes, alternating runs, title-case digraphs, final sigma.
TRICKY = (
    *("A'B'C'D'E'", "A.b,C;d", "I'LL", "DON'T", "can't'", "''s", "('s", "'a'", "x'llo", "ǅungla", "ǄUNGLA"),
    *("ὈΔΥΣΣΕΎΣ", "ÅNGSTRÖM's", "ΣΑΣ's", "aΣ", "Σa'S"),
    *("𐐀𐐨", "A𐐀", "𐐨's"),  # Deseret: ctok classes letters past the BMP as hard characters, written as they are
)
# Pieces of emoji sequences and hard runs around variation selectors, which ride the hard run before them.
_SELECTOR_ATOMS = ("\ufe0f", "\ufe0e", "👱", "🏿", "\u200d", "♂", "東", "。", "a", "'", "s", '"', "1", "#", "ab", "٣")


def _selector_words() -> list[str]:
    words = ("".join(w) for n in (1, 2, 3) for w in itertools.product(_SELECTOR_ATOMS, repeat=n))
    return [w for w in words if "\ufe0f" in w or "\ufe0e" in w]


@pytest.mark.parametrize("version", VERSIONS)
def test_words_with_variation_selectors_are_written_as_ctok_writes_them(version: str) -> None:
    parts, model = ctok_parts(), _model(version)
    writer = WordWriter(parts, model)
    keys = [(bool(c & 2), w, bool(c & 1)) for w in _selector_words() for c in CONTEXTS]
    plain = [writer.plain.write(w, space_before=left, space_after=right) for left, w, right in keys]
    written = [(key, stream) for key, stream in zip(keys, plain, strict=True) if stream is not None]
    assert len(written) > 0.8 * len(keys)  # all but those with an Arabic-Indic digit
    expected = writer._by_ctok([key for key, _ in written])  # pyright: ignore[reportPrivateUsage]
    assert [stream for _, stream in written] == expected
    differing, compiled = _Writers(version).differences(_selector_words())
    assert differing == []
    assert compiled == len(written)


def _model(version: str) -> Any:
    return ctok_internal("main", "_model")(ctok_internal("main", "_family")(version))


def _python_counter(version: str) -> FastCounter:
    """The counter that sums its words in Python: the reference the compiled scan must match."""
    counter = FastCounter(ctok_parts(), _model(version), None)
    assert not counter.compiled
    return counter


class _Writers:
    """``PlainWords.write`` and the compiled writer for one model, over characters learned on demand."""

    def __init__(self, version: str) -> None:
        parts, model = ctok_parts(), _model(version)
        tiler = CompiledTiler(parts, model, _engine)
        self.plain = PlainWords(parts, model)
        self.facts = CharFacts(parts, self.plain.kind, tiler.price, _engine.identity_table())
        self._scanner = scanner(_engine, parts, model, tiler, self.facts)

    def compiled(self, word: str, context: int) -> str | None:
        return _engine.plain_stream(self._scanner, word, context)

    def python(self, word: str, context: int) -> str | None:
        return self.plain.write(word, space_before=bool(context & 2), space_after=bool(context & 1))

    def differences(self, words: list[str]) -> tuple[list[tuple[str, int, str, str | None]], int]:
        """(each word and context the two write differently, how many the compiled writer wrote)."""
        self.facts.learn("".join(words))
        differing: list[tuple[str, int, str, str | None]] = []
        written = 0
        for word in words:
            for context in CONTEXTS:
                stream = self.compiled(word, context)
                if stream is not None:
                    written += 1
                    expected = self.python(word, context)
                    if stream != expected:
                        differing.append((word, context, stream, expected))
        return differing, written


@functools.cache
def _texts(megabytes: float) -> tuple[str, ...]:
    """ctok's edge cases, then ``equality_corpus(megabytes)``: made once per size for every test here."""
    return (*EDGE_CASES, *equality_corpus(megabytes))


def _corpus_words(version: str) -> list[str]:
    """Every distinct word of ctok's edge cases and of the corpus, folded and escaped as the counter does."""
    parts, model = ctok_parts(), _model(version)
    split = word_splitter(space_chars(parts.classify, parts.space))
    words: set[str] = set()
    for text in _texts(0.3):
        body = parts.nfc(text, fold_quotes=model.fold_quotes).rstrip("\n").translate(parts.marker_escapes)
        words.update(split(body)[1::2])
    return sorted(words)


def _spans(c: str) -> list[str]:
    """Words around the letter ``c`` where ctok's case marking could go either way."""
    return [c, c + "a", "A" + c, c * 5, c + "BCD", "ABC" + c, "x'" + c, c + "'s", c + "'S", c.upper() + c.lower()]


def _case_words(plain: PlainWords) -> list[str]:
    """Every BMP letter, with the characters ctok cases by rules of their own, in spans stressing case."""
    letters = [chr(cp) for cp in range(0x10000) if not 0xD800 <= cp < 0xE000 and plain.kind(chr(cp)) == "w"]
    # Latin-1, Latin Extended-A and -B, Greek, Cyrillic, Armenian, Georgian, Cherokee, and the special cases.
    assert [c for c in "éőƀαжաაᎠꮳẞİϴςΣ" if c not in letters] == []
    return [span for c in letters for span in _spans(c)]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_compiled_writer_writes_corpus_words_as_plain_words(version: str) -> None:
    writers = _Writers(version)
    words = _corpus_words(version)
    assert len(words) > 5000
    differing, written = writers.differences([*words, *PLAIN, *SPECIAL, *TRICKY])
    assert differing == []
    assert written > len(words)
    assert [w for w in PLAIN for c in CONTEXTS if writers.compiled(w, c) is None] == []
    assert [w for w in SPECIAL for c in CONTEXTS if writers.compiled(w, c) is not None] == []


@pytest.mark.parametrize("version", VERSIONS)
def test_the_compiled_writer_cases_every_letter_as_plain_words(version: str) -> None:
    writers = _Writers(version)
    words = _case_words(writers.plain)
    differing, written = writers.differences(words)
    assert differing == []
    # Only the words holding a character cased by a rule of ctok's own are left to Python.
    assert written > 0.99 * len(words) * len(CONTEXTS)


class _Watched:
    """The compiled engine, noting the memo each scan is given and how often the memo is rehashed."""

    def __init__(self) -> None:
        self.module = ModuleType("watched_engine")
        self.module.__dict__.update(vars(_engine))
        setattr(self.module, "scan_words", self._scan_words)  # noqa: B010
        setattr(self.module, "rehash", self._rehash)  # noqa: B010
        self.slots: list[int] = []
        self.held: list[int] = []
        self.used: list[int] = []
        self.statuses: list[int] = []
        self.rehashes = 0
        self.memo: Memo | None = None

    def _scan_words(self, *args: Any) -> tuple[int, int, int, int, int, int]:
        slots, store, meta = args[4:7]
        self.slots.append(len(slots) // 4)
        scanned = _engine.scan_words(*args)
        self.held.append(meta[0])
        self.used.append(meta[1])
        self.statuses.append(scanned[0])
        self.memo = (slots, store, meta)
        return scanned

    def _rehash(self, old: array[int], new: array[int], /) -> None:
        self.rehashes += 1
        _engine.rehash(old, new)

    def forget(self) -> None:
        self.slots.clear()
        self.held.clear()
        self.used.clear()
        self.statuses.clear()


def _compiled_counter(version: str, internal: Internal = ctok_attribute) -> tuple[FastCounter, _Watched]:
    """A fresh counter summing its words through the compiled scan, and what that scan was given."""
    watched = _Watched()
    counter = FastCounter(ctok_parts(internal), _model(version), watched.module)
    assert counter.compiled
    watched.forget()  # the probes
    return counter, watched


def _kinds(counter: FastCounter) -> bytearray:
    """The kind of each codepoint, as the compiled writer reads it."""
    assert counter.table is not None
    return counter.table.facts.kinds


@pytest.mark.parametrize("version", VERSIONS)
def test_the_compiled_scan_sums_as_python_and_as_ctok(version: str) -> None:
    texts = _texts(0.5)
    compiled, watched = _compiled_counter(version)
    python = _python_counter(version)
    assert [compiled.content(t) for t in texts] == [python.content(t) for t in texts]
    assert len(watched.slots) > len(texts) / 2
    sample = [*EDGE_CASES, *texts[len(EDGE_CASES) :][:6]]  # ctok counts about 0.2 MB/s
    expected = [ctok.token_count(t, version) for t in sample]
    assert [compiled(t) for t in sample] == expected
    assert [python(t) for t in sample] == expected


def _in_threads[T](count: int, work: Callable[[int], T], seconds: float) -> list[T]:
    """``work(i)`` for each ``i`` in a thread of its own, all let go at once. Daemon threads, each given
    ``seconds``: a scan that never ends fails the test instead of hanging it."""
    results: dict[int, T] = {}
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds)
    assert len(results) == count, f"{count - len(results)} of {count} threads gave no answer within {seconds} s"
    return [results[i] for i in range(count)]


def _within[T](seconds: float, work: Callable[[], T]) -> T:
    return _in_threads(1, lambda _: work(), seconds)[0]


_SCRIPTS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМН",
    "αβγδεζηθικλμνξοπρσςτυφχψωΑΒΓΔΕΣΩ",
    "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰႠႡႢⴀⴁⴂ",
    "ᎠᎡᎢᎣᎤᎥᎦᎧꭰꭱꭲꭳ",
    "éèêëçñøåæœßÀÉÇÑØÅÆŒ",
    "0123456789",
    "東京天気語は",
)
_EXTRAS = (".", ",", "'", "-", "()", "'s", "'LL", "!?", "::", "\u0301", "👍🏽", "👨\u200d👩\u200d👧", "🎉", "1")
_GAPS = (" ", " ", " ", " ", "  ", "\n", "\t", " \n ", "\u00a0", "\u3000", "\r\n", "   ", "\n\n")


def _pseudo_word(rng: random.Random) -> str:
    word = "".join(rng.choices(rng.choice(_SCRIPTS), k=rng.randint(2, 9)))
    if rng.random() < 0.3:
        extra = rng.choice(_EXTRAS)
        word = extra + word if rng.random() < 0.5 else word + extra
    return word


def _many_words(distinct: int, seed: int) -> str:
    """A text of more than ``distinct`` distinct pseudo-words in several scripts, between varied gaps."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(seen) <= distinct:
        word = _pseudo_word(rng)
        seen.add(word)
        out += (word, rng.choice(_GAPS))
    return "".join(out)


def test_the_memo_grows_to_hold_a_large_text() -> None:
    # More distinct words than the memo's first table holds: it grows during the scan (twice, as it is today).
    text = _many_words(40_000, seed=17)
    compiled, watched = _compiled_counter("4.8")
    python = _python_counter("4.8")
    assert _within(120, lambda: compiled.content(text)) == python.content(text)
    assert max(watched.slots) > watched.slots[0]
    assert compiled.content(text) == python.content(text)  # every key from the grown memo now


def test_a_text_with_unseen_words_is_scanned_once_and_its_log_summed() -> None:
    # Words with a character not learned yet and words ctok writes (emoji sequences, a special case) are
    # pending after the scan: the keys met from the first of them are summed from the scan's log once filled.
    text = _many_words(3_000, seed=3) + " 👨\u200d👩\u200d👧 İstanbul 東京の天気 e\u0301 " + _many_words(3_000, seed=4)
    compiled, watched = _compiled_counter("3.0")
    python = _python_counter("3.0")
    assert compiled.content(text) == python.content(text)
    assert len(watched.slots) == 1
    assert compiled.content(text + " x") == python.content(text + " x")


def test_a_log_too_small_for_a_text_leaves_it_to_a_second_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(word_table, "_LOG_ROWS", 100)
    text = "İstanbul " + _many_words(2_000, seed=5)
    compiled, watched = _compiled_counter("4.8")
    python = _python_counter("4.8")
    assert compiled.content(text) == python.content(text)
    assert len(watched.slots) == 2


def test_a_report_too_small_for_a_texts_pending_words_stops_the_scan_and_resumes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Words with a combining mark are left to Python (reported): with room to report 8, a text of 200 such
    # distinct words, each between known ones, makes the scan stop as FULL again and again and resume where
    # it stopped, with no word counted twice or missed.
    monkeypatch.setattr(word_table, "_REPORT_ROWS", 8)
    rng = random.Random(11)
    text = "go " + " ".join(f"the {rng.choice('aeiou')}{i}q\u0301\ufe0f and" for i in range(200)) + " end"
    compiled, watched = _compiled_counter("4.7")
    python = _python_counter("4.7")
    assert compiled(text) == python(text) == ctok.token_count(text, "4.7")
    # A full report for each 8 pending words but the last 8, which the scan's log sums once filled.
    assert watched.statuses == [word_scan.FULL] * (200 // 8 - 1) + [word_scan.PENDING]
    assert compiled(text) == python(text)  # every key from the memo now
    assert watched.statuses[-1] == word_scan.DONE


def test_a_memo_past_its_limit_starts_afresh_and_counts_right(monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 50
    monkeypatch.setattr(word_table, "MEMO_LIMIT", limit)
    compiled, watched = _compiled_counter("3.0")
    python = _python_counter("3.0")
    texts = [line for block in _texts(0.1) for line in block.split("\n")][:600]
    held: list[tuple[int, str]] = []  # keys held after each count that scanned (not those of one word)
    for text in texts:
        scans = len(watched.held)
        assert compiled(text) == python(text), text
        if len(watched.held) > scans:
            held.append((watched.held[-1], text))
    # Each count starts from at most ``limit`` keys and adds at most its own words and gaps.
    assert [h for h, t in held if h > limit + 2 * len(t.split()) + 1] == []
    assert len(held) > 100
    assert any(after < before for (before, _), (after, _) in pairwise(held))


def test_a_memo_past_its_store_limit_starts_afresh_and_counts_right(monkeypatch: pytest.MonkeyPatch) -> None:
    # A few huge distinct words are few keys but many codepoints: the store's size bounds the memo too.
    limit = 20_000
    monkeypatch.setattr(word_table, "STORE_LIMIT", limit)
    compiled, watched = _compiled_counter("3.0")
    python = _python_counter("3.0")
    rng = random.Random(5)
    texts = ["x " + "".join(rng.choices("abcdefghij", k=5_000)) + " y" for _ in range(12)]
    for text in texts:
        assert compiled.content(text) == python.content(text)
    assert max(watched.used) <= limit + 5_010  # at most the limit, then one text's keys
    assert any(after < before for before, after in pairwise(watched.used))


def test_the_memo_spreads_keys_that_differ_only_in_high_bits() -> None:
    # FNV's low bits see only the codepoints' low bits, and the table is indexed by low bits: without a
    # final mix, these 3-letter words (each letter a multiple of 8192) piled into long probe runs.
    letters = [chr(k << 13) for k in range(1, 0x110000 >> 13) if not 0xD800 <= k << 13 <= 0xDFFF]
    words = [a + b + c for a in letters[:40] for b in letters[:40] for c in letters[:40]][:40_000]
    compiled, watched = _compiled_counter("3.0")
    python = _python_counter("3.0")
    text = " ".join(words)
    assert compiled.content(text) == python.content(text)
    assert watched.memo is not None
    slots = watched.memo[0]
    mask = len(slots) // 4 - 1
    # How far each held key sits from the slot its hash names.
    displacement = [(at - slots[4 * at]) & mask for at in range(mask + 1) if slots[4 * at + 1] >= 0]
    assert len(displacement) > 30_000  # some letters are spaces (U+2000), so fewer distinct keys than words
    assert sum(displacement) / len(displacement) < 2.0
    assert watched.rehashes >= 1


class _FailingOnce:
    """ctok's internals, whose ``stream_norm`` (the Python fallback's writer) raises once when armed."""

    def __init__(self) -> None:
        self.armed = False

    def __call__(self, module: str, name: str) -> object:
        found = ctok_attribute(module, name)
        if name != "stream_norm":
            return found
        write = cast(Callable[..., Any], found)

        def stream_norm(*args: Any, **kwargs: Any) -> Any:
            if self.armed:
                self.armed = False
                raise RuntimeError("stream_norm failed")
            return write(*args, **kwargs)

        return stream_norm


def test_a_failure_of_the_python_fallback_is_raised_and_leaves_no_key_pending() -> None:
    failing = _FailingOnce()
    compiled, _ = _compiled_counter("4.8", failing)
    # Marks NFC cannot compose, digits of other scripts and emoji with a variation selector: words that
    # neither writer takes on, left to ctok's stream_norm through the scan's ``units_of``.
    text = "x q\u0308\u0301 ok \u0661\u0662 \u2764\ufe0f \u0915\u094d\u0937 done"
    assert compiled("x a") == ctok.token_count("x a", "4.8")  # the head "x" now remembered
    failing.armed = True
    with pytest.raises(RuntimeError, match="stream_norm failed"):
        compiled(text)
    assert not failing.armed
    assert _within(60, lambda: compiled(text)) == ctok.token_count(text, "4.8")
    assert _within(60, lambda: compiled(text + " more")) == ctok.token_count(text + " more", "4.8")


def test_threads_sharing_one_fresh_counter_count_as_ctok() -> None:
    texts = _texts(0.1)
    expected = [ctok.token_count(t, "3.0") for t in texts]
    compiled, watched = _compiled_counter("3.0")
    threads = 8

    def count(thread: int) -> list[int]:
        shift = thread * len(texts) // threads
        order = texts[shift:] + texts[:shift]  # each thread meets the words in its own order
        counts = [compiled(t) for t in order]
        return counts[-shift:] + counts[:-shift] if shift else counts

    assert _in_threads(threads, count, 60) == [expected] * threads
    assert watched.slots


def _broken_engine() -> ModuleType:
    """The real engine, whose scanner cannot be built (say, a table of the wrong size)."""

    def refuse(*_args: object) -> None:
        raise ValueError("the per-codepoint tables hold one entry per codepoint")

    broken = ModuleType("broken_engine")
    broken.__dict__.update(vars(_engine))
    setattr(broken, "Scanner", refuse)  # noqa: B010
    return broken


def _miscounting_engine() -> ModuleType:
    """The real engine, whose scan counts one token too many on every text."""

    def scan_words(*args: Any) -> tuple[int, int, int, int, int, int]:
        status, words, gaps, seams, resume, previous = _engine.scan_words(*args)
        return status, words + 1, gaps, seams, resume, previous

    wrong = ModuleType("miscounting_engine")
    wrong.__dict__.update(vars(_engine))
    setattr(wrong, "scan_words", scan_words)  # noqa: B010
    return wrong


@pytest.mark.parametrize("version", VERSIONS)
def test_without_the_compiled_scan_words_are_summed_in_python(version: str, caplog: pytest.LogCaptureFixture) -> None:
    counter = FastCounter(ctok_parts(), _model(version), _broken_engine())
    assert not counter.compiled
    logged = [r for r in caplog.records if r.name == LOGGER]
    assert ["compiled word scan unavailable" in r.getMessage() for r in logged] == [True]
    assert [counter(t) for t in EDGE_CASES] == [ctok.token_count(t, version) for t in EDGE_CASES]


def test_a_scan_that_disagrees_with_python_on_a_probe_is_not_used(caplog: pytest.LogCaptureFixture) -> None:
    counter = FastCounter(ctok_parts(), _model("3.0"), _miscounting_engine())
    assert not counter.compiled
    assert caplog.messages == ["the compiled word scan counts differently from the Python path; not using it"]
    assert [counter(t) for t in EDGE_CASES] == [ctok.token_count(t, "3.0") for t in EDGE_CASES]


@pytest.mark.parametrize("version", VERSIONS)
def test_letters_met_for_the_first_time_are_learned_and_counted_right(version: str) -> None:
    compiled, watched = _compiled_counter(version)
    assert compiled("x a") == ctok.token_count("x a", version)
    new = "ᏣᎳᎩႠႡႢႣⴀⴁꮳ"  # Cherokee and Georgian, capitals and small letters
    assert [c for c in new if _kinds(compiled)[ord(c)] != UNKNOWN] == []
    text = "x ᏣᎳᎩ ႠႡႢႣ Ⴀⴁ ꮳᏣ ᏣᎳᎩ's ႠႡႢႣ, (ⴀⴁ)"
    expected = ctok.token_count(text, version)
    assert compiled(text) == expected
    assert [c for c in new if _kinds(compiled)[ord(c)] == UNKNOWN] == []
    assert watched.slots
    assert compiled(text) == expected
    assert compiled(text.replace("x ", "y ")) == ctok.token_count(text.replace("x ", "y "), version)
