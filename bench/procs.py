"""Child processes for the benchmarks: the stand-in, and the CPU time each process spends.

The stand-in runs in its own process (``python -m tests.standin``) so that it never competes with the
benchmark client for one interpreter's GIL: every figure then measures what a real deployment would see,
a client, a server and an API in three processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Final

_TICKS: Final = os.sysconf("SC_CLK_TCK")
_STANDIN_START_S: Final = 20.0


@contextmanager
def standin_process(latency_ms: float = 0.0) -> Generator[str]:
    """The stand-in in a child process; yields its base URL once it accepts connections."""
    command = [sys.executable, "-m", "tests.standin", "--port", "0", "--latency-ms", str(latency_ms)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    try:
        # The stand-in prints its URL once the port is bound: a readiness signal, not a guess.
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the stand-in did not start (exit {process.poll()})")
        yield url
    finally:
        process.terminate()
        process.wait(_STANDIN_START_S)
        process.stdout.close()


@contextmanager
def together[T](managers: Sequence[AbstractContextManager[T]]) -> Generator[list[T]]:
    """Enter ``managers`` at once, each in a thread of its own, and yield what they yield, in order.

    For servers: a start-up or a stop is mostly a wait for a child process (its imports and bind, its
    shutdown), so they overlap; nothing is measured until all are up. All are left at once, as if their block
    ended normally (a server stops the same way either way). If one fails to start, those that did are left
    and its error is raised.
    """
    with ThreadPoolExecutor(len(managers)) as pool:
        entered = [pool.submit(manager.__enter__) for manager in managers]
    try:
        for future in entered:
            if (error := future.exception()) is not None:
                raise error
        yield [future.result() for future in entered]
    finally:
        _leave([manager for manager, future in zip(managers, entered, strict=True) if future.exception() is None])


def _leave(managers: list[AbstractContextManager[object]]) -> None:
    if not managers:
        return
    with ThreadPoolExecutor(len(managers)) as pool:
        left = [pool.submit(manager.__exit__, None, None, None) for manager in managers]
    for future in left:
        if (error := future.exception()) is not None:
            raise error


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds ``pid`` has used so far."""
    # Fields after the command name, which sits in parentheses and may itself contain spaces.
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def child_pids() -> set[int]:
    """Processes whose parent is this one (the SDK's stdio client spawns servers as our children)."""
    me = os.getpid()
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        if int(fields[1]) == me:
            found.add(int(entry.name))
    return found
