"""A large mixed text built from real files on the machine, for the offline throughput bench.

Man pages in several languages (troff source, decompressed), Python source and Markdown from the
installed packages, JSON documents, and the emoji table ``rich`` ships: prose in several scripts,
code, JSON, whitespace runs and emoji, none of it generated from a word list. Files are taken in a
sorted order and cut into blocks, so the same machine yields the same text on every run.
"""

from __future__ import annotations

import gzip
import os
import sysconfig
from collections.abc import Iterator
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Final

MAN_ROOT: Final = Path("/usr/share/man")
# Languages whose man pages carry prose in Latin, Cyrillic, CJK and Hangul scripts.
MAN_LANGUAGES: Final = ("de", "fr", "es", "ru", "ja", "ko", "pl", "tr", "")
_BLOCK_CHARS: Final = 20_000
# Larger files (generated tables, bundled data) would fill the text with one kind of content.
_LARGEST_FILE: Final = 400_000


def _site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def _read(path: Path) -> str:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.decode("utf-8", "replace")


def _names(folder: Path, pattern: str) -> list[str]:
    try:
        return [name for name in os.listdir(folder) if fnmatchcase(name, pattern)]
    except OSError:  # not there, or not a folder: nothing to take from it
        return []


def _man_pages(language: str) -> Iterator[Path]:
    """``folder.glob("man[1-8]/*.gz")`` in ``Path``'s order, from plain strings (as ``_package_tree``)."""
    folder = MAN_ROOT / language if language else MAN_ROOT
    found = [(section, name) for section in _names(folder, "man[1-8]") for name in _names(folder / section, "*.gz")]
    return iter(folder / section / name for section, name in sorted(found))


@cache
def _package_tree() -> tuple[str, ...]:
    """Every file path under site-packages as ``Path.rglob`` walks it (no symlinked folder entered).

    One ``os.walk`` on strings, shared by every pattern: ``rglob`` and a ``Path`` per file took about a second
    of CPU per process for the same list, in the parent and in each of the memory bench's children.
    """
    root = str(_site_packages())
    return tuple(os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names)


def _package_files(pattern: str) -> Iterator[Path]:
    # ctok's own vocabulary files are left out: they are its tokens, not text anyone sends.
    ctok_folder = os.path.join(_site_packages(), "ctok", "")
    found = [
        path
        for path in _package_tree()
        if fnmatchcase(os.path.basename(path), pattern)
        and not path.startswith(ctok_folder)
        and os.path.isfile(path)
        and os.path.getsize(path) <= _LARGEST_FILE
    ]
    # Path's own order (part by part), which is not the strings' order where a name sorts below "/".
    return iter(Path(path) for path in sorted(found, key=lambda path: path.split(os.sep)))


def _sources() -> list[Iterator[Path]]:
    """One stream of files per kind, taken in turn so every part of the text mixes all kinds."""
    streams = [_man_pages(language) for language in MAN_LANGUAGES]
    streams += [_package_files("*.py"), _package_files("*.md"), _package_files("*.json"), _package_files("*.pyi")]
    emoji = _site_packages() / "rich" / "_emoji_codes.py"
    if emoji.is_file():
        streams.append(iter([emoji]))
    return streams


def _blocks_of(text: str) -> Iterator[str]:
    for start in range(0, len(text), _BLOCK_CHARS):
        yield text[start : start + _BLOCK_CHARS]


def real_blocks(megabytes: float) -> list[str]:
    """About ``megabytes`` MB of real text as blocks of at most 20,000 characters, kinds interleaved."""
    budget = int(megabytes * 1_000_000)
    blocks: list[str] = []
    size = 0
    streams = _sources()
    while streams and size < budget:
        for stream in list(streams):
            path = next(stream, None)
            if path is None:
                streams.remove(stream)
                continue
            for block in _blocks_of(_read(path)):
                blocks.append(block)
                size += len(block)
    return _trim(blocks, budget)


def _trim(blocks: list[str], budget: int) -> list[str]:
    kept: list[str] = []
    size = 0
    for block in blocks:
        if size >= budget:
            break
        kept.append(block)
        size += len(block)
    return kept
