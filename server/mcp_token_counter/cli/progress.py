"""The progress bar of ``count-files``: files looked at while they are read, then counts done.

Shown on stderr when it is a terminal, nothing otherwise. Both phases show, so the bar never sits at 0% while
a large folder is walked or its whole message counted.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn

COLLECTING = "reading files"
COUNTING = "counting"


class FilesProgress:
    """``collecting`` and ``counting`` are the callbacks ``files.count.count_files`` takes."""

    def __init__(self, stream: TextIO) -> None:
        self._bar: Progress | None = None
        self._task = TaskID(0)
        if stream.isatty():
            columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            self._bar = Progress(*columns, console=Console(file=stream), transient=True)
            self._task = self._bar.add_task(COLLECTING, total=None)
        self._counting = False

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def collecting(self, looked_at: int) -> None:
        """Entries looked at so far (called from the reading thread; rich's updates take a lock)."""
        if self._bar is not None:
            self._bar.update(self._task, description=f"{COLLECTING} ({looked_at:,} looked at)", refresh=looked_at == 1)

    async def counting(self, done: int, total: int) -> None:
        """Counts done of ``total``: the whole message, the seed, then each file."""
        if self._bar is not None:
            first = not self._counting
            self._counting = True
            self._bar.update(self._task, description=COUNTING, completed=done, total=total, refresh=first)
