"""Offline counting time on long runs of one kind of character, as a ratio to ctok's on the same text.

    .venv/bin/python -m bench.linear_time [--chars 1000000] [--case letters ...] [--engine python ...]

The cases are ``bench.linear_cases`` (issue 25): one letter repeated, random DNA, digits, rules of dashes
and of equals signs, a base64 line, minified JavaScript, spaces and tabs; each alone (the text's first
word, priced with the frame) and after a word (summed per word). For each, in one run: ``ctok.token_count``
(the baseline), then a fresh counter of each engine (its memo empty, so nothing is remembered from another
case), both timed by this process's CPU clock; the counts must be equal. The issue's target is a ratio of
at most 2 on every case.

Engines: ``python``, the pure-Python path (forced by ``TOKEN_COUNTER_OFFLINE_ENGINE``), and ``compiled``, the
Cython engine (skipped where the extension is not built). To measure the code before a change, run this
file with ``PYTHONPATH`` pointing at the older tree's ``server/``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped; its public functions are annotated

from bench.linear_cases import CASES
from mcp_token_counter.offline.compiled.engine import FORCED, SETTING
from mcp_token_counter.offline.text.ctok_fast import fast_counter

WHERE = ("alone", "after a word")
ENGINES: dict[str, dict[str, str]] = {"python": {SETTING: FORCED}, "compiled": {}}


def engine_counter(name: str, version: str) -> Callable[[str], int] | None:
    """A fresh counter on engine ``name`` ("python" or "compiled"), or None where that engine cannot load."""
    counter = fast_counter(version, environ=ENGINES[name])
    return counter if counter.fast.compiled == (name == "compiled") else None


def _cpu[T](run: Callable[[], T]) -> tuple[T, float]:
    start = time.process_time()
    result = run()
    return result, time.process_time() - start


def text_of(case: str, where: str, chars: int) -> str:
    """The case's text: alone, or after a first word (then summed per word, not priced as the head)."""
    text = CASES[case](chars)
    return "Word " + text if where == "after a word" else text


def measure(case: str, where: str, chars: int, engines: list[str], version: str) -> list[str]:
    """One row: ctok's seconds, then each engine's seconds and ratio to ctok."""
    text = text_of(case, where, chars)
    expected, ctok_s = _cpu(lambda: ctok.token_count(text, version))
    row = [f"{case:<12} {where:<13} ctok {ctok_s:6.2f} s"]
    for name in engines:
        counter = engine_counter(name, version)
        if counter is None:
            row.append(f"{name} n/a")
            continue
        count, ours_s = _cpu(lambda c=counter: c(text))
        mark = "" if count == expected else f" COUNT DIFFERS ({count} != {expected})"
        row.append(f"{name} {ours_s:6.2f} s {ours_s / ctok_s:5.2f}x{mark}")
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, default=1_000_000)
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="default: every case")
    parser.add_argument("--where", action="append", choices=WHERE, help="default: both")
    parser.add_argument("--engine", action="append", choices=sorted(ENGINES), help="default: both")
    parser.add_argument("--version", default="3.0")
    args = parser.parse_args(argv)
    engines: list[str] = args.engine or sorted(ENGINES, reverse=True)
    ctok.token_count("warm", args.version)  # the vocabulary loads outside any timing
    print(f"{args.chars:,} characters, ctok {args.version}; CPU seconds, ratio = engine / ctok", flush=True)
    for case in args.case or list(CASES):
        for where in args.where or WHERE:
            sys.stdout.write("  ".join(measure(case, where, args.chars, engines, args.version)) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
