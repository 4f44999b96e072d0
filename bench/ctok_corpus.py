# ruff: noqa: RUF001  (look-alike characters from other scripts are the point of this corpus)
"""A generated corpus for comparing the fast counter with ``ctok.token_count``, and ctok's edge cases.

Half of it is real text from the installed packages (Python source and Markdown, pinned by uv.lock, so
every fresh clone gets the same text); the other half is drawn by a seeded generator from pools of words
in many scripts, code tokens, digits, symbols, emoji sequences, markers, marks, controls and lone
surrogates, joined by every kind of whitespace ctok treats differently. The generator puts each kind of
word next to each other kind, with and without spaces, which is where a per-word counter could go wrong.
"""

from __future__ import annotations

import itertools
import random
import sysconfig
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

# The edge cases ctok's own documentation and tables name: markers and marker glyphs, trailing newlines
# against the frame, combining marks, ZWJ emoji, RTL, CJK, digit runs, all-caps runs, contractions and
# lone surrogates; plus leading spaces, which the frame absorbs.
EDGE_CASES: Final = (
    "",
    " ",
    "  ",
    " a",
    "  a",
    "\ta",
    "\n",
    "\n\n\n",
    "\n" * 27,
    "\n" * 28,
    "\n" * 29,
    "\n" * 45,
    "text with trailing newlines\n\n\n\n",
    "x\n \n",
    "\r\n\r\nwindows lines\r\n",
    "⟨bow⟩⟨eow⟩⟨pad⟩⟨shift⟩⟨caps⟩ ⟨ ⟩ a⟨b⟩c ⟨0x41⟩",
    "\ufdd0\ufdd1\ufdd2\ufdd3\ufdd4 literal marker glyphs \ufdd1 \ufdd0x",
    "\ue000\ue001 private use \U000f0000",
    "\u0301",
    "\u0301\u0308 lone combining marks \u0327 x \u0301y",
    "e\u0301 vs \u00e9, a\u0308\u0301, \u0915\u094d\u0937 \u0928\u092e\u0938\u094d\u0924\u0947",
    "\u0e19\u0e4d\u0e32 \u0e19\u0e33 \u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22",
    "\u0710\u0711 \u0712\u0730\u0713 \u0730 x\u0730",
    "family \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 \U0001f44d\U0001f3fd \U0001f1ef\U0001f1f5",
    "\u2764\ufe0f \u263a\ufe0e 4\ufe0f\u20e3 \u2696\ufe0f x\u200dy \u200b \u2060 \ufeff",
    "\u0645\u0631\u062d\u0628\u0627"
    " \u0628\u0627\u0644\u0639\u0627\u0644\u0645\u060c \u0643\u064a\u0641 \u062d\u0627\u0644\u0643\u061f",
    "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd \u05e2\u05d5\u05dc\u05dd \u200fRTL\u200e",
    "\u6771\u4eac\u306e\u5929\u6c17\u306f\u3069\u3046\u3067\u3059"
    "\u304b\uff1f\u4eca\u65e5\u306f\u6674\u308c\u3067\u3059\u3002",
    "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5\u3002 \u3005 \u3006 \u30fc\u30f6",
    "\uc548\ub155\ud558\uc138\uc694 \uc138\uacc4 \u1100\u1161",
    "1 12 123 1234 12345 1,234,567.89 3.14159 1e-9 0x1F"
    " \u0661\u0662\u0663 \u06f1\u06f2 \uff11\uff12 \u00b2\u00b3 \u00bd \u2460",
    "1\u3002\uff1f 1 \uff1f\u3002 1\uff1f\u3002 1 \u3002\uff1f1 \u0661 \u3042",
    "ALL CAPS SHOUTING and MiXeD cAsE, NASA HTTPServer getHTTPResponse ABC ABCD abcD \u0391\u0392\u0393\u0394",
    "\u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3"
    " \u03bf\u03b4\u03bf\u03c2 \u0130stanbul \u0130 STRA\u1e9eE \u1e9e \u03f4 \u2102 \u2133",
    "it's IT'S don't can't I'd I'll we're they've y'all x'S x'LL x'llo 'tis 'First x 'REXX ('s ''s",
    "\u2018curly\u2019 \u201cquotes\u201d \u201elow\u201d \u00ablaquo\u00bb \u2014dash\u2014 \u2026",
    "NUL\x00and\x07controls\x1f\x7f\x85 tab\there",
    "no\u00a0break\u2003em\u3000ideographic\u2028line\u2029para\u202fnarrow",
    "lone \ud800 surrogate \udfff \ud83d",
    "\u216b\u2163 \u24d0\u24d1\u24d2 \u24b6\u24b7 \U0001d518\U0001d52b \u16ee",
    "x" * 3000,
    "word " * 2000,
    "   leading spaces and     inner runs\t\t\ttabs\n\n\n\n\nnewlines      ",
)

_LATIN: Final = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "this",
    "are",
    "or",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "they",
    "you",
    "were",
    "her",
    "she",
    "there",
    "been",
    "one",
    "all",
    "we",
    "their",
    "has",
    "would",
    "when",
    "if",
    "so",
    "no",
    "will",
    "can",
    "more",
    "other",
    "time",
    "into",
    "The",
    "Of",
    "And",
    "It",
    "This",
    "When",
    "THE",
    "AND",
    "WITH",
    "FROM",
    "NASA",
    "HTTP",
    "API",
    "JSON",
    "URL",
    "tokenizer",
    "Tokenizer",
    "TOKENIZER",
    "fooBar",
    "FooBar",
    "foo_bar",
    "__init__",
    "self.value",
    "getHTTPResponse",
    "XMLHttpRequest",
    "iPhone",
    "McDonald",
    "O'Brien",
    "naïve",
    "café",
    "résumé",
    "Ärger",
    "Öl",
    "Übel",
    "straße",
    "STRASSE",
    "élan",
    "ÉLAN",
    "Ça",
    "façon",
    "señor",
    "ÑANDÚ",
    "αβγ",
    "Αθήνα",
    "ΑΘΗΝΑ",
    "σοφία",
    "ΣΟΦΊΑ",
    "ΟΔΟΣ",
    "Москва",
    "МОСКВА",
    "привет",
    "Привет",
    "Україна",
    "ĳssel",
    "Ǆemal",
    "ǅemal",
]
_OTHER_SCRIPTS: Final = [
    "東京",
    "你好",
    "世界",
    "漢字",
    "々",
    "ひらがな",
    "カタカナー",
    "ヲ",
    "한국어",
    "서울",
    "ภาษาไทย",
    "น้ำ",
    "नमस्ते",
    "हिन्दी",
    "مرحبا",
    "العالم",
    "שלום",
    "עולם",
    "ქართული",
    "Հայերեն",
    "ሰላም",
    "ᚠᚢᚦ",
    "𝔘𝔫𝔦",
    "𝕞𝕒𝕥𝕙",
    "𓀀",
    "𐍈",
]
_SYMBOLS: Final = [
    ".",
    ",",
    ";",
    ":",
    "!",
    "?",
    "'",
    '"',
    "`",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "<",
    ">",
    "/",
    "\\",
    "|",
    "-",
    "--",
    "---",
    "_",
    "+",
    "=",
    "==",
    "!=",
    "=>",
    "->",
    "::",
    "...",
    "#",
    "$",
    "%",
    "&",
    "*",
    "@",
    "^",
    "~",
    "“",
    "”",
    "‘",
    "’",
    "„",
    "«",
    "»",
    "—",
    "–",
    "…",
    "•",
    "°",
    "©",
    "®",
    "™",
    "±",
    "×",
    "÷",
    "→",
    "←",
    "∑",
    "√",
    "∞",
    "€",
    "£",
    "¥",
    "§",
    "¶",
    "·",
    "（",
    "）",
    "、",
    "。",
    "，",
    "！",
    "？",
    "「",
    "」",
    "・",
    "⟨",
    "⟩",
    "⟨bow⟩",
    "⟨eow⟩",
    "⟨pad⟩",
    "\ufdd0",
    "\ufdd1",
    "\ufdd3",
    "\ufdd4",
]
_NUMBERS: Final = [
    "0",
    "1",
    "7",
    "42",
    "123",
    "2024",
    "1234567",
    "3.14",
    "1,000",
    "0x1F",
    "1e-9",
    "١٢٣",
    "۱۲۳",
    "１２３",
    "²",
    "³",
    "½",
    "①",
    "ⅻ",
]
_EMOJI: Final = [
    "😀",
    "🎉",
    "👍",
    "👍🏽",
    "🚀",
    "🇯🇵",
    "✨",
    "🔥",
    "🧪",
    "❤️",
    "☺︎",
    "4️⃣",
    "⚖️",
    "👨\u200d👩\u200d👧",
    "👩🏽\u200d💻",
    "🏳️\u200d🌈",
    "\u200d",
    "️",
]
_ODD: Final = (
    "e\u0301",
    "\u0301",
    "a\u0308\u0301",
    "\u20e3",
    "\x00",
    "\x07",
    "\x1b",
    "\x85",
    "\u200b",
    "\u200e",
    "\u2060",
    "\ufeff",
    "\ue000",
    "\U000f0000",
    "\ud800",
    "\udfff",
    "\u0e4d\u0e32",
    "\u0730",
    "\u1e9e",
    "\u0130",
)
_POOLS: Final = ((_LATIN, 50), (_SYMBOLS, 18), (_NUMBERS, 8), (_OTHER_SCRIPTS, 10), (_EMOJI, 4), (_ODD, 2))
_GAPS: Final = (
    (" ", 70),
    ("", 12),
    ("  ", 3),
    ("   ", 1),
    ("\t", 2),
    ("\n", 5),
    ("\n\n", 2),
    ("\n    ", 2),
    ("\u3000", 1),
    ("\u00a0", 1),
    ("\u2003", 1),
    (" \n", 1),
    ("\r\n", 1),
    ("\n\n\n", 1),
)
_HEADS: Final = ("", "", "", " ", "  ", "\n", "\t", "\u00a0")


class _Weighted[T]:
    """Draws from weighted items, each as ``rng.choices(items, weights)[0]`` makes it (the same item from the
    same state), the cumulative weights summed once: drawing a million words summed them a million times."""

    def __init__(self, weighted: Sequence[tuple[T, int]]) -> None:
        self._items = [item for item, _ in weighted]
        self._cumulative = list(itertools.accumulate(weight for _, weight in weighted))

    def draw(self, rng: random.Random) -> T:
        return rng.choices(self._items, cum_weights=self._cumulative)[0]


_POOL_DRAW: Final = _Weighted(_POOLS)
_GAP_DRAW: Final = _Weighted(_GAPS)


def _generated_block(rng: random.Random, chars: int) -> str:
    out = [rng.choice(_HEADS)]
    size = 0
    while size < chars:
        word = rng.choice(_POOL_DRAW.draw(rng))
        gap = _GAP_DRAW.draw(rng)
        out += (word, gap)
        size += len(word) + len(gap)
    out.append("\n" * rng.choice((0, 0, 0, 1, 2, 5, 29, 40)))
    return "".join(out)


def generated_blocks(megabytes: float, seed: int = 17) -> list[str]:
    """About ``megabytes`` MB of generated text as blocks of 100 to 20,000 characters."""
    rng = random.Random(seed)
    blocks: list[str] = []
    size = 0
    while size < megabytes * 1_000_000:
        blocks.append(_generated_block(rng, rng.choice((100, 1_000, 5_000, 20_000))))
        size += len(blocks[-1])
    return blocks


def _package_texts() -> Iterator[str]:
    root = Path(sysconfig.get_paths()["purelib"])
    for pattern in ("*.md", "*.py"):
        for path in sorted(root.rglob(pattern)):
            if path.is_file() and path.relative_to(root).parts[0] != "ctok":
                yield path.read_text(encoding="utf-8", errors="replace")


def package_blocks(megabytes: float, block_chars: int = 20_000) -> list[str]:
    """About ``megabytes`` MB of the installed packages' source and docs, in blocks."""
    blocks: list[str] = []
    size = 0
    for text in _package_texts():
        for start in range(0, len(text), block_chars):
            if size >= megabytes * 1_000_000:
                return blocks
            blocks.append(text[start : start + block_chars])
            size += len(blocks[-1])
    return blocks


def equality_corpus(megabytes: float) -> list[str]:
    """Half real package text, half generated, interleaved; at least ``megabytes`` MB in all."""
    real = package_blocks(megabytes / 2)
    generated = generated_blocks(megabytes - sum(map(len, real)) / 1_000_000)
    mixed = [block for pair in zip(real, generated, strict=False) for block in pair]
    shorter = min(len(real), len(generated))
    return mixed + real[shorter:] + generated[shorter:]
