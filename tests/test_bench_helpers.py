"""The benches' helpers: servers started together (``bench.procs.together``) and the real text's file order.

``bench.real_text`` walks folders itself instead of sorting ``rglob``'s paths (a smoke run reads a few folders,
not all of site-packages); the text, and so every offline figure, stays comparable between runs only if the
walk gives the same files in the same order.
"""

from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

import pytest
from bench.procs import together
from bench.real_text import _walk  # pyright: ignore[reportPrivateUsage]  # the order is the thing under test


class Refused(Exception):
    """A server that did not start."""


@contextmanager
def _server(name: str, log: list[str], *, fails: bool = False) -> Generator[str]:
    if fails:
        raise Refused(name)
    log.append(f"up {name}")
    try:
        yield name
    finally:
        log.append(f"down {name}")


def test_together_yields_in_order_and_leaves_every_one() -> None:
    log: list[str] = []
    with together([_server("a", log), _server("b", log), _server("c", log)]) as values:
        assert values == ["a", "b", "c"]
        assert sorted(log) == ["up a", "up b", "up c"]
    assert sorted(log[3:]) == ["down a", "down b", "down c"]


def test_together_leaves_those_that_started_when_one_did_not() -> None:
    log: list[str] = []
    with pytest.raises(Refused, match="b"), together([_server("a", log), _server("b", log, fails=True)]):
        pytest.fail("entered although a server did not start")
    assert log == ["up a", "down a"]


def test_the_walk_gives_sorted_rglob_files(tmp_path: Path) -> None:
    # Names that sort differently as strings and as Path parts ("a-b" before "a/" as text, after "a" as a part),
    # a folder named like a file, a hidden file, a file too large, a symlinked folder (rglob does not enter it)
    # and a symlinked file (rglob takes it).
    for name in ("a/x.py", "a-b/x.py", "a.py", "b/c/d.py", "b/.hidden.py", "b/c.py/inner.txt", "z.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "big.py").write_text("x" * 400_001, encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "b", target_is_directory=True)
    (tmp_path / "m.py").symlink_to(tmp_path / "a.py")
    expected = sorted(p for p in tmp_path.rglob("*.py") if p.is_file() and p.stat().st_size <= 400_000)
    assert list(_walk(str(tmp_path), "*.py")) == expected
    assert [p.relative_to(tmp_path).as_posix() for p in expected] == [
        "a/x.py",
        "a-b/x.py",
        "a.py",
        "b/.hidden.py",
        "b/c/d.py",
        "m.py",
    ]
