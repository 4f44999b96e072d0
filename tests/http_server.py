"""The token counter on streamable HTTP in a child process, for the Inspector and the conformance suite.

Run as a script it serves ``build_server(...)`` on 127.0.0.1 at the port given; ``serve_over_http()`` starts
that script, waits until the port accepts connections and stops it afterwards. The console script speaks
stdio only for now, hence this small launcher.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from token_counter.app import build_server, load_settings

HOST: Final = "127.0.0.1"
START_TIMEOUT_S: Final = 20.0


def free_port() -> int:
    """A port that was free a moment ago (the child binds it right after)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def serve_over_http(env: Mapping[str, str], log: Path) -> Generator[str]:
    """Serve in a child with exactly ``env``; yields the endpoint URL. The child's stderr goes to ``log``.

    Raises:
        RuntimeError: the child exited or did not listen within ``START_TIMEOUT_S``; the log is included.
    """
    port = free_port()
    command = [sys.executable, __file__, str(port)]
    with log.open("wb") as sink, subprocess.Popen(command, env=dict(env), stdout=sink, stderr=sink) as child:
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not _accepts(port):
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"HTTP server did not start:\n{log.read_text(encoding='utf-8')}")
                time.sleep(0.05)
            yield f"http://{HOST}:{port}/mcp"
        finally:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


def main(port: int) -> None:
    """Serve streamable HTTP on ``HOST:port`` with settings from the environment."""
    settings, config_error = load_settings(os.environ)
    build_server(settings, config_error=config_error).run("streamable-http", host=HOST, port=port)


if __name__ == "__main__":
    main(int(sys.argv[1]))
