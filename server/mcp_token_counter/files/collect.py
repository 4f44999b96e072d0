"""Local files and folders as the content blocks a client would send: text, image or document (PDF).

Every path is confined to the allowed roots (the client's MCP roots, or ``TOKEN_COUNTER_ALLOWED_DIRS``):
a ``..`` component, an absolute path outside the roots, or a symlink resolving outside them is refused with
``PathRefused``. Folders are walked with ``.gitignore`` files applied (those of the folder's ancestors up to
its root, and its own), ``.git`` left out; symlinks met in a walk that point outside the roots are skipped.
Binary files are skipped; so are files over the per-file size limit and files past the total limit.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlparse

from ..errors import PathRefused

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

MAX_FILE_BYTES: Final = 5_000_000  # the API's limit for one image; text files this large are rare
MAX_TOTAL_BYTES: Final = 20_000_000  # base64 grows it by 4/3: stays under the 32 MB request limit
MAX_FILES: Final = 1_000
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
    total_bytes: int = 0


def roots_from_uris(uris: Iterable[str]) -> list[Path]:
    """Resolved directories of ``file://`` root URIs; other schemes cannot hold local files."""
    roots: list[Path] = []
    for uri in uris:
        parsed = urlparse(uri)
        if parsed.scheme == "file":
            roots.append(Path(unquote(parsed.path)).resolve())
    return roots


def collect(patterns: Sequence[str], roots: Sequence[Path]) -> Collected:
    """Read the files named by ``patterns`` (paths, folders or globs, relative to the first root).

    Raises:
        PathRefused: no roots, or a pattern that leaves them.
    """
    if not roots:
        raise PathRefused(
            "No roots to read files from: the client listed no file:// roots and TOKEN_COUNTER_ALLOWED_DIRS "
            "is not set. Add a root in the client, or set TOKEN_COUNTER_ALLOWED_DIRS."
        )
    collected = Collected()
    seen: set[Path] = set()
    for pattern in patterns:
        for path in _expand(pattern, roots):
            if path not in seen:
                seen.add(path)
                _add(collected, path, roots)
    return collected


def _expand(pattern: str, roots: Sequence[Path]) -> Iterator[Path]:
    """The files a pattern names, each already confined."""
    raw = Path(pattern).expanduser()
    if ".." in raw.parts:
        raise PathRefused(f"{pattern!r} contains '..'; name paths inside the roots without going up.")
    target = raw if raw.is_absolute() else roots[0] / raw
    if _GLOB_CHARS & set(pattern):
        anchor = Path(target.anchor)
        matches = sorted(anchor.glob(str(target.relative_to(anchor))))
        for match in matches:
            resolved = match.resolve()
            if match.is_file() and within(resolved, roots) and not _ignored(resolved, roots):
                yield resolved
        return
    resolved = confine(target, roots, pattern)
    if resolved.is_dir():
        yield from _walk(resolved, roots)
    elif resolved.is_file():
        yield resolved
    else:
        raise PathRefused(f"{pattern!r} does not exist under the roots ({', '.join(map(str, roots))}).")


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
        dirs[:] = sorted(d for d in dirs if d != ".git" and not _ignored(here / d, roots, is_dir=True))
        for name in sorted(files):
            path = here / name
            if not _ignored(path, roots):
                yield path


def _ignored(path: Path, roots: Sequence[Path], *, is_dir: bool = False) -> bool:
    """Whether a ``.gitignore`` between its outermost root (or its repository's top) and ``path`` excludes it."""
    containing = [r for r in roots if path.is_relative_to(r)]
    if not containing:
        return False
    root = min(containing, key=lambda r: len(r.parts))
    folder = path.parent
    for directory in (folder, *folder.parents):
        spec = _gitignore(directory)
        relative = path.relative_to(directory).as_posix() + ("/" if is_dir else "")
        if spec is not None and spec.match_file(relative):
            return True
        # git reads no .gitignore above a repository's top.
        if directory == root or (directory / ".git").exists():
            break
    return False


def _gitignore(directory: Path) -> GitIgnoreSpec | None:
    ignore = directory / ".gitignore"
    if not ignore.is_file():
        return None
    import pathspec  # on first use: only count_files reads .gitignore, and start-up time is measured

    return pathspec.GitIgnoreSpec.from_lines(ignore.read_text(encoding="utf-8", errors="replace").splitlines())


def _add(collected: Collected, path: Path, roots: Sequence[Path]) -> None:
    name = _display(path, roots)
    if not within(path.resolve(), roots):
        collected.skipped[name] = "symlink outside the roots"
        return
    size = path.stat().st_size
    reason = _size_problem(collected, size)
    if reason is None:
        block = to_block(path)
        if isinstance(block, str):
            reason = block
        else:
            collected.files.append(LocalFile(name, block, size))
            collected.total_bytes += size
            return
    collected.skipped[name] = reason


def _size_problem(collected: Collected, size: int) -> str | None:
    if len(collected.files) >= MAX_FILES:
        return f"over {MAX_FILES} files"
    if size > MAX_FILE_BYTES:
        return f"over the {MAX_FILE_BYTES:,}-byte file limit"
    if collected.total_bytes + size > MAX_TOTAL_BYTES:
        return f"past the {MAX_TOTAL_BYTES:,}-byte total limit"
    return None


def to_block(path: Path) -> dict[str, Any] | str:
    """The content block for a file, or why it has none (binary, empty)."""
    data = path.read_bytes()
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
