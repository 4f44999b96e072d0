"""A real ``redis-server`` (Debian's package; ``.ci/test`` installs it) on a free loopback port, for tests.

No persistence, bound to 127.0.0.1 only. ``start()`` returns once the server logs that it accepts connections
(a line read from its stdout, not a sleep). ``kill()`` ends it at once, as a crash would; ``start()`` again
brings it back on the same port, empty. A pytest plugin too: ``redis_url`` is one server for the session,
emptied before each test.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from types import TracebackType
from typing import Final, Self

import pytest
from redis import Redis

from tests.served import StderrLines

READY: Final = re.compile(r"Ready to accept connections")
START_TIMEOUT_S: Final = 15.0


def redis_server_binary() -> str:
    """The path of ``redis-server``.

    Raises:
        RuntimeError: it is not installed (``make test`` installs it with apt-get).
    """
    found = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
    if found is None:
        raise RuntimeError("redis-server is not installed; `make test` installs it (apt-get install redis-server)")
    return found


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process; ``password`` sets ``requirepass``."""

    def __init__(self, *, password: str | None = None) -> None:
        self.port = free_port()
        self.password = password
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``, without the password."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        """The running server's process id."""
        assert self._process is not None, "not running"
        return self._process.pid

    def start(self) -> None:
        """Start the server and wait until it accepts connections.

        Raises:
            RuntimeError: it did not get ready within ``START_TIMEOUT_S``.
        """
        command = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--protected-mode", "no", "--loglevel", "notice"]  # fmt: skip
        if self.password is not None:
            command += ["--requirepass", self.password]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout is not None
        output = StderrLines(process.stdout)
        self._process = process
        if output.search(READY, START_TIMEOUT_S) is None:
            self.kill()
            raise RuntimeError(f"redis-server did not start on port {self.port}:\n{output.text}")

    def kill(self) -> None:
        """End the server at once (SIGKILL), as a crash or a lost host would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.kill()


@pytest.fixture(scope="session")
def _session_redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(_session_redis: RedisServer) -> str:
    """The URL of the session's ``redis-server``, emptied before the test."""
    with Redis.from_url(_session_redis.url) as client:  # pyright: ignore[reportUnknownMemberType]
        client.flushall()  # pyright: ignore[reportUnknownMemberType]
    return _session_redis.url
