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
    """The names in ``folder`` that match ``pattern``, sorted; none if it is not a readable folder."""
    try:
        return sorted(name for name in os.listdir(folder) if fnmatchcase(name, pattern))
    except OSError:
        return []


def _man_pages(language: str) -> Iterator[Path]:
    """``sorted(folder.glob("man[1-8]/*.gz"))``, one section read at a time, as far as it is taken."""
    folder = MAN_ROOT / language if language else MAN_ROOT
    for section in _names(folder, "man[1-8]"):
        yield from (folder / section / name for name in _names(folder / section, "*.gz"))


def _walk(folder: str, pattern: str, skip: str = "") -> Iterator[Path]:
    """``sorted(Path(folder).rglob(pattern))``'s files, lazily: a folder is read only once the walk reaches it,
    a smoke run's few blocks read a few folders, not all of site-packages (about a second of CPU per process).

    Names are taken in order at every level, each folder's files at its place among its names: that is
    ``Path``'s order, part by part. As ``rglob``, it enters no symlinked folder; ``skip`` is a name left out here.
    """
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:  # unreadable: rglob passes over it too
        return
    for entry in entries:
        if entry.name == skip:
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path, pattern)
        elif fnmatchcase(entry.name, pattern) and entry.is_file() and entry.stat().st_size <= _LARGEST_FILE:
            yield Path(entry.path)


def _package_files(pattern: str) -> Iterator[Path]:
    # ctok's own vocabulary files are left out: they are its tokens, not text anyone sends.
    return _walk(str(_site_packages()), pattern, skip="ctok")


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
