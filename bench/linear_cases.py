"""Texts made of long runs of one kind of character, on which offline counting once went quadratic.

Each builder returns exactly ``n`` characters, the same on every machine (seeded). The cases are issue
25's: one letter repeated, random DNA, digits, a dash or equals rule, a base64 line, minified JavaScript,
and runs of spaces and of tabs. ``tests/offline/test_linear_time.py`` and ``bench/linear_time.py`` count
them beside ``ctok.token_count``.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from typing import Final

_SEED: Final = 25


def _random(alphabet: str) -> Callable[[int], str]:
    def build(n: int) -> str:
        rng = random.Random(_SEED)
        return "".join(rng.choices(alphabet, k=n))

    return build


def base64_line(n: int) -> str:
    """A 1 MB attachment pasted as one line, cut to ``n`` characters."""
    raw = random.Random(_SEED).randbytes(n * 3 // 4 + 3)
    return base64.b64encode(raw).decode("ascii")[:n]


CASES: Final[dict[str, Callable[[int], str]]] = {
    "letters": lambda n: "a" * n,
    "dna": _random("ACGT"),
    "digits": _random("0123456789"),
    "dashes": lambda n: "-" * n,
    "equals": lambda n: "=" * n,
    "base64": base64_line,
    "minified_js": lambda n: minified_js(n),
    "spaces": lambda n: " " * n,
    "tabs": lambda n: "\t" * n,
}
"""Each case's builder: ``n`` characters of that text."""


# Minified JavaScript: what a minifier leaves of real code. One- or two-letter names, no whitespace but
# the spaces keywords need, string literals, numbers and property names from the browser's API.
_PROPERTIES: Final = (
    "length",
    "prototype",
    "push",
    "call",
    "apply",
    "slice",
    "indexOf",
    "createElement",
    "addEventListener",
    "querySelector",
    "textContent",
    "setAttribute",
    "forEach",
    "map",
    "filter",
    "reduce",
    "then",
    "catch",
    "exports",
    "default",
    "toString",
    "hasOwnProperty",
    "defineProperty",
    "getElementById",
    "innerHTML",
    "style",
    "display",
)
_STRINGS: Final = ("click", "none", "block", "div", "use strict", "Cannot read property", "undefined", "%s: %d")
_OPERATORS: Final = ("+", "-", "*", "===", "!==", "&&", "||", "<", ">=", "|0", ">>>")
_LOWER: Final = "abcdefghijklmnopqrstuvwxyz"


class _Minifier:
    """A seeded generator of minified statements: nested functions, loops, conditionals, literals."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def name(self) -> str:
        rng = self._rng
        return rng.choice(_LOWER + "_$") + rng.choice(("", "", str(rng.randrange(10)), rng.choice(_LOWER.upper())))

    def expression(self, depth: int = 0) -> str:
        rng = self._rng
        kind = rng.randrange(9 if depth < 3 else 4)
        if kind == 0:
            return self.name()
        if kind == 1:
            return rng.choice(("0", "1", "2", "10", "255", "1e3", ".5", "-1"))
        if kind == 2:
            return '"' + rng.choice(_STRINGS) + '"'
        if kind == 3:
            return f"{self.name()}.{rng.choice(_PROPERTIES)}"
        if kind == 4:
            return self.expression(depth + 1) + rng.choice(_OPERATORS) + self.expression(depth + 1)
        if kind == 5:
            return f"{self.name()}({','.join(self.expression(depth + 1) for _ in range(rng.randrange(3)))})"
        if kind == 6:
            params = ",".join(self.name() for _ in range(rng.randrange(3)))
            return f"function({params}){{{self.statements(depth + 1)}}}"
        if kind == 7:
            return f"[{','.join(self.expression(depth + 1) for _ in range(rng.randrange(4)))}]"
        fields = ",".join(f"{rng.choice(_PROPERTIES)}:{self.expression(depth + 1)}" for _ in range(rng.randrange(3)))
        return f"{{{fields}}}"

    def statement(self, depth: int) -> str:
        kind = self._rng.randrange(6)
        if kind == 0:
            return f"var {self.name()}={self.expression(depth)}"
        if kind == 1:
            return f"return {self.expression(depth)}"
        if kind == 2:
            return f"if({self.expression(depth)}){{{self.statements(depth + 1)}}}else {self.statement(depth + 1)}"
        if kind == 3:
            i, n = self.name(), self.name()
            return f"for(var {i}=0;{i}<{n}.length;{i}++){{{self.statements(depth + 1)}}}"
        return self.expression(depth)

    def statements(self, depth: int) -> str:
        if depth > 4:
            return f"{self.name()}()"
        return ";".join(self.statement(depth) for _ in range(self._rng.randrange(1, 4)))


def minified_js(n: int) -> str:
    """``n`` characters of minified JavaScript: one line, a module wrapper around generated statements."""
    minifier = _Minifier(_SEED)
    out = ['!function(e,t){"use strict";']
    size = len(out[0])
    while size < n:
        statement = minifier.statements(0) + ";"
        out.append(statement)
        size += len(statement)
    return "".join(out)[:n]
