"""Which paths git would leave out, as ``git status`` decides: ``.gitignore`` files, then the repository's
``.git/info/exclude``, then the user's global excludes file (``core.excludesFile``, by default
``$XDG_CONFIG_HOME/git/ignore``).

Simplified from git in one way: a match at any level ignores the path; a ``!pattern`` in a deeper file does
not re-include what an outer file or an exclude file ignores (within one file, negation works as in git).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

GIT_CONFIG_TIMEOUT_S: Final = 5.0


def ignored(path: Path, roots: Sequence[Path], *, is_dir: bool = False) -> bool:
    """Whether git would ignore ``path``: a ``.gitignore`` between its outermost root (or its repository's
    top) and it, or, inside a work tree, the repository's exclude file or the global one."""
    containing = [r for r in roots if path.is_relative_to(r)]
    if not containing:
        return False
    root = min(containing, key=lambda r: len(r.parts))
    folder = path.parent
    for directory in (folder, *folder.parents):
        if _matches(_spec(directory / ".gitignore"), path, directory, is_dir=is_dir):
            return True
        if (directory / ".git").exists():
            return _excluded(path, directory, is_dir=is_dir)
        if directory == root:  # git reads no .gitignore above a repository's top, nor above the roots here
            break
    return False


def _excluded(path: Path, top: Path, *, is_dir: bool) -> bool:
    """The exclude files of the work tree at ``top``: its own, then the user's."""
    own = _matches(_spec(top / ".git" / "info" / "exclude"), path, top, is_dir=is_dir)
    return own or _matches(_global_spec(), path, top, is_dir=is_dir)


def _matches(spec: GitIgnoreSpec | None, path: Path, base: Path, *, is_dir: bool) -> bool:
    return spec is not None and spec.match_file(path.relative_to(base).as_posix() + ("/" if is_dir else ""))


def _spec(file: Path) -> GitIgnoreSpec | None:
    if not file.is_file():
        return None
    import pathspec  # on first use: only count_files reads ignore files, and start-up time is measured

    return pathspec.GitIgnoreSpec.from_lines(file.read_text(encoding="utf-8", errors="replace").splitlines())


@functools.cache
def _global_spec() -> GitIgnoreSpec | None:
    """The user's global excludes, read once per process."""
    path = global_excludes_file(os.environ)
    return _spec(path) if path is not None else None


def global_excludes_file(environ: Mapping[str, str]) -> Path | None:
    """``core.excludesFile`` from git's configuration, else git's default ``$XDG_CONFIG_HOME/git/ignore``."""
    configured = _git_config("core.excludesFile")
    if configured:
        return Path(configured).expanduser()
    config_home = environ.get("XDG_CONFIG_HOME") or (
        str(Path(environ["HOME"]) / ".config") if "HOME" in environ else ""
    )
    return Path(config_home) / "git" / "ignore" if config_home else None


def _git_config(key: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(
            [git, "config", "--path", "--get", key],
            capture_output=True,
            text=True,
            timeout=GIT_CONFIG_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None
