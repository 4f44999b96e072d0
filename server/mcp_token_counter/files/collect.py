"""Local files and folders as the content blocks a client would send: text, image or document (PDF).

Every path is confined to the allowed roots (the client's MCP roots, or ``TOKEN_COUNTER_ALLOWED_DIRS``):
a ``..`` component, an absolute path outside the roots, or a symlink resolving outside them is refused with
``PathRefused``. Folders are walked with ``.gitignore`` files applied (those of the folder's ancestors up to
its root, and its own; inside a git work tree also ``.git/info/exclude`` and the global excludes file, see
``gitignore``), ``.git`` left out; symlinks met in a walk that point outside the roots are skipped.
Binary files are skipped; so are files over the per-file size limit and files past the total limit, and
anything that is not a regular file (named pipes, sockets, devices, symlink loops): a file is ``stat``-ed
before it is opened, and opened without blocking, so a pipe swapped in between cannot hang the call.

Collection stops at ``MAX_FILES`` files read or ``MAX_ENTRIES`` entries looked at, and names at most
``MAX_LISTED_SKIPS`` skipped entries (the rest are counted by reason), so a huge folder costs bounded time and
gives a bounded result.
"""

from __future__ import annotations

import base64
import errno
import itertools
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlparse

from ..errors import NoMatch, PathNotFound, PathRefused
from .gitignore import ignored

MAX_FILE_BYTES: Final = 5_000_000  # the API's limit for one image; text files this large are rare
MAX_TOTAL_BYTES: Final = 20_000_000  # base64 grows it by 4/3: stays under the 32 MB request limit
MAX_FILES: Final = 1_000
MAX_ENTRIES: Final = 10_000  # files read or skipped before collection stops
MAX_LISTED_SKIPS: Final = 100
IMAGE_TYPES: Final = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"} | {
    ".webp": "image/webp"
}
_GLOB_CHARS: Final = frozenset("*?[")
_SNIFF_BYTES: Final = 8192


@dataclass(frozen=True, slots=True)
class LocalFile:
    """One readable file and its content block; ``name`` is relative to its root."""

    name: str
    block: dict[str, Any]
    size: int


@dataclass(slots=True)
class Collected:
    """The files to count, in order, and those left out with the reason."""

    files: list[LocalFile] = field(default_factory=list[LocalFile])
    skipped: dict[str, str] = field(default_factory=dict[str, str])
    # Skipped entries past MAX_LISTED_SKIPS, counted by reason.
    unlisted_skips: Counter[str] = field(default_factory=Counter[str])
    total_bytes: int = 0
    # Why collection stopped early, if it did.
    stopped: str | None = None

    def skip(self, name: str, reason: str) -> None:
        """Record an entry left out, by name while the list is short, else by reason only."""
        if len(self.skipped) < MAX_LISTED_SKIPS:
            self.skipped[name] = reason
        else:
            self.unlisted_skips[reason] += 1

    def full(self) -> bool:
        """Whether a limit on what is read or looked at was reached (``stopped`` says which)."""
        if self.stopped is None and len(self.files) >= MAX_FILES:
            self.stopped = f"the {MAX_FILES:,}-file limit"
        elif self.stopped is None and len(self.files) + len(self.skipped) + self.unlisted_skips.total() >= MAX_ENTRIES:
            self.stopped = f"the {MAX_ENTRIES:,}-entry limit"
        return self.stopped is not None


def roots_from_uris(uris: Iterable[str]) -> list[Path]:
    """Resolved directories of ``file://`` root URIs; other schemes cannot hold local files."""
    roots: list[Path] = []
    for uri in uris:
        parsed = urlparse(uri)
        if parsed.scheme == "file":
            roots.append(Path(unquote(parsed.path)).resolve())
    return roots


def working_folder_root(cwd: Path, home: Path) -> list[Path]:
    """``cwd`` as the one root when nothing else names one; none when it is ``/``, the home folder or a folder
    above it, which would open every file of the user (or of the machine)."""
    folder, home = cwd.resolve(), home.resolve()
    if folder == Path(folder.anchor) or folder == home or folder in home.parents:
        return []
    return [folder]


def collect(patterns: Sequence[str], roots: Sequence[Path], on_entry: Callable[[int], None] | None = None) -> Collected:
    """Read the files named by ``patterns`` (paths, folders or globs, relative to the first root).

    ``on_entry`` is told how many entries were looked at so far, after each one (from this thread).

    Raises:
        PathRefused: no roots, or a pattern that leaves them.
        PathNotFound: a path names nothing.
        NoMatch: a glob matches no file.
    """
    if not roots:
        raise PathRefused(
            "No roots to read files from: the client listed no file:// roots, TOKEN_COUNTER_ALLOWED_DIRS is not "
            "set, and the server's working folder is / or the home folder (or above it), which is never read "
            "whole. Set TOKEN_COUNTER_ALLOWED_DIRS to the folders to read, add a root in the client, or start the "
            "server in a project folder."
        )
    collected = Collected()
    seen: set[Path] = set()
    for pattern in patterns:
        for path in _expand(pattern, roots):
            if collected.full():
                return collected
            if path not in seen:
                seen.add(path)
                _add(collected, path, roots)
                if on_entry is not None:
                    on_entry(len(seen))
    return collected


def _expand(pattern: str, roots: Sequence[Path]) -> Iterator[Path]:
    """The files a pattern names, each already confined."""
    raw = Path(pattern).expanduser()
    if ".." in raw.parts:
        raise PathRefused(f"{pattern!r} contains '..'; name paths inside the roots without going up.")
    target = raw if raw.is_absolute() else roots[0] / raw
    if _GLOB_CHARS & set(pattern):
        yield from _glob(target, roots, pattern)
        return
    try:
        resolved = confine(target, roots, pattern)
    except _UNRESOLVABLE:
        yield target  # a symlink loop: _add skips it with the reason
        return
    if resolved.is_dir():
        yield from _walk(resolved, roots)
    elif os.path.lexists(resolved):
        yield resolved  # a file, or something else that _add skips with the reason
    else:
        raise PathNotFound(pattern, ", ".join(map(str, roots)))


def _glob(target: Path, roots: Sequence[Path], shown: str) -> Iterator[Path]:
    """The entries a glob matches inside the roots, folders left out (``**`` does not follow symlinks).

    The search starts at the pattern's fixed part, which must lie inside a root (``/**/*.py`` would walk the
    whole disk), and looks at no more than ``MAX_ENTRIES`` matches.

    Raises:
        PathRefused: the fixed part of the pattern is outside the roots.
        NoMatch: it matches no file that is not ignored.
    """
    parts = target.parts
    fixed = next((i for i, part in enumerate(parts) if _GLOB_CHARS & set(part)), len(parts))
    base = Path(*parts[:fixed])
    if not within(base, roots):
        raise PathRefused(
            f"{shown!r} searches from {base}, outside the allowed roots ({', '.join(map(str, roots))}); "
            "start the pattern inside a root."
        )
    found = itertools.islice(base.glob(str(Path(*parts[fixed:]))), MAX_ENTRIES)
    matched = False
    for match in sorted(found):
        if not match.is_dir() and within(match, roots) and not ignored(match, roots):
            matched = True
            yield match
    if not matched:
        raise NoMatch(shown)


def confine(path: Path, roots: Sequence[Path], shown: str) -> Path:
    """``path`` with symlinks resolved, if it stays inside a root.

    Raises:
        PathRefused: it resolves outside every root.
    """
    resolved = path.resolve()
    if not within(resolved, roots):
        via = " through a symlink" if within(path.absolute(), roots) else ""
        raise PathRefused(
            f"{shown!r} resolves{via} to {resolved}, outside the allowed roots ({', '.join(map(str, roots))})."
        )
    return resolved


def within(path: Path, roots: Sequence[Path]) -> bool:
    """Whether ``path`` is one of ``roots`` or below one."""
    return any(path == root or path.is_relative_to(root) for root in roots)


def _walk(folder: Path, roots: Sequence[Path]) -> Iterator[Path]:
    for current, dirs, files in os.walk(folder):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if d != ".git" and not ignored(here / d, roots, is_dir=True))
        for name in sorted(files):
            path = here / name
            if not ignored(path, roots):
                yield path


def _add(collected: Collected, path: Path, roots: Sequence[Path]) -> None:
    name = _display(path, roots)
    data = _read(path, roots, collected)
    if isinstance(data, str):
        collected.skip(name, data)
        return
    block = to_block(path, data)
    if isinstance(block, str):
        collected.skip(name, block)
        return
    collected.files.append(LocalFile(name, block, len(data)))
    collected.total_bytes += len(data)


def _read(path: Path, roots: Sequence[Path], collected: Collected) -> bytes | str:
    """The bytes of a regular file inside the roots within the size limits, or why it is left out."""
    try:
        resolved = path.resolve()
        if not within(resolved, roots):
            return "symlink outside the roots"
        info = os.stat(resolved)
    except _UNRESOLVABLE as exc:
        return _unreadable(exc)
    if not stat.S_ISREG(info.st_mode):
        return _not_regular(info.st_mode)
    if (problem := _size_problem(collected, info.st_size)) is not None:
        return problem
    try:
        # Non-blocking: if a pipe replaced the file since the stat, opening it must not wait for a writer.
        with open(os.open(resolved, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return _not_regular(os.fstat(handle.fileno()).st_mode)
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return _unreadable(exc)
    return _size_problem(collected, len(data)) or data


# A symlink loop is a RuntimeError from Path.resolve() on Python 3.12 and an OSError (ELOOP) later.
_UNRESOLVABLE: Final = (OSError, RuntimeError)


def _unreadable(exc: OSError | RuntimeError) -> str:
    if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "broken symlink or removed while reading"
    return f"unreadable ({exc.strerror or type(exc).__name__})"


def _not_regular(mode: int) -> str:
    kinds = {stat.S_IFIFO: "named pipe", stat.S_IFSOCK: "socket", stat.S_IFCHR: "device", stat.S_IFBLK: "device"}
    return f"not a regular file ({kinds.get(stat.S_IFMT(mode), 'special file')})"


def _size_problem(collected: Collected, size: int) -> str | None:
    if size > MAX_FILE_BYTES:
        return f"over the {MAX_FILE_BYTES:,}-byte file limit"
    if collected.total_bytes + size > MAX_TOTAL_BYTES:
        return f"past the {MAX_TOTAL_BYTES:,}-byte total limit"
    return None


def to_block(path: Path, data: bytes) -> dict[str, Any] | str:
    """The content block for a file's ``data``, or why it has none (binary, empty)."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_TYPES:
        return _base64_block("image", IMAGE_TYPES[suffix], data)
    if suffix == ".pdf":
        return _base64_block("document", "application/pdf", data)
    if b"\0" in data[:_SNIFF_BYTES]:
        return "binary"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "binary"
    # The API refuses empty text blocks.
    return {"type": "text", "text": text} if text.strip() else "empty"


def _base64_block(kind: str, media_type: str, data: bytes) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": kind, "source": {"type": "base64", "media_type": media_type, "data": encoded}}


def _display(path: Path, roots: Sequence[Path]) -> str:
    for root in roots:
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return str(path)
