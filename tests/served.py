"""The installed console script serving HTTP in a child process, for tests across the process boundary.

``serve_cli("http", ...)`` starts ``mcp-token-counter --transport http --port 0 ...`` with exactly the
environment given, waits (bounded) for the line the server writes to stderr once it accepts connections,
confirms ``GET /health`` and yields where it listens. Afterwards it stops the child with SIGINT, as Ctrl-C
would. A thread reads the child's stderr as it comes, so the pipe never fills and waiters wake on each line.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, Literal

import httpx2

SCRIPT: Final = Path(sys.executable).with_name("mcp-token-counter")
START_TIMEOUT_S: Final = 30.0
STOP_TIMEOUT_S: Final = 15.0
LISTENING: Final = re.compile(r" at (?P<base>http://\S+?)(?P<path>/mcp|/sse) ")

Transport = Literal["http", "sse"]


def base_env(**extra: str) -> dict[str, str]:
    """What a service manager gives the server: a PATH and what is set explicitly, nothing inherited."""
    return {"PATH": os.environ.get("PATH", os.defpath), **extra}


class StderrLines:
    """A child's stderr, collected line by line by a daemon thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._lines: list[str] = []
        self._closed = False
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), name="server-stderr", daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            with self._condition:
                self._lines.append(raw.decode("utf-8", errors="replace"))
                self._condition.notify_all()
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    @property
    def text(self) -> str:
        """Everything read so far."""
        with self._condition:
            return "".join(self._lines)

    def search(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str] | None:
        """The first match of ``pattern`` in a line, waiting for more lines up to ``timeout`` or end of file."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for line in self._lines:
                    if match := pattern.search(line):
                        return match
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    return None
                self._condition.wait(remaining)

    def wait_closed(self, timeout: float) -> None:
        """Return once the child closed its stderr (it has exited) and every line is collected."""
        self._thread.join(timeout)


@dataclass(frozen=True, slots=True)
class Served:
    """A running server: ``url`` is the MCP endpoint, ``base_url`` its origin."""

    transport: Transport
    base_url: str
    url: str
    process: subprocess.Popen[bytes]
    stderr: StderrLines

    @property
    def netloc(self) -> str:
        """``127.0.0.1:PORT``: the ``Host`` header clients send."""
        return self.base_url.removeprefix("http://")


def interrupt(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> int:
    """Ctrl-C: SIGINT, then the exit code (the child is killed if it has not exited within ``timeout``)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


@contextmanager
def serve_cli(transport: Transport, *args: str, env: Mapping[str, str], script: Path = SCRIPT) -> Generator[Served]:
    """Run ``mcp-token-counter --transport <transport> --port 0 <args>``; yields it once ``/health`` answers.

    ``script`` is this venv's console script unless another installation's is given.

    Raises:
        RuntimeError: the server exited or did not announce itself within ``START_TIMEOUT_S``; includes stderr.
    """
    command = [str(script), "--transport", transport, "--port", "0", *args]
    process = subprocess.Popen(command, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)  # fmt: skip
    assert process.stderr is not None
    stderr = StderrLines(process.stderr)
    try:
        listening = stderr.search(LISTENING, START_TIMEOUT_S)
        if listening is None:
            raise RuntimeError(f"{' '.join(command)} did not start:\n{stderr.text}")
        base_url = listening["base"]
        httpx2.get(f"{base_url}/health", timeout=5).raise_for_status()
        yield Served(transport, base_url, base_url + listening["path"], process, stderr)
    finally:
        interrupt(process)
        stderr.wait_closed(STOP_TIMEOUT_S)
        process.stderr.close()
