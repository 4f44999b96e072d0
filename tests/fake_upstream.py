"""A local stand-in for the counting API, for servers that run in another process.

In-process tests fake the network with ``httpx2.MockTransport``. A child process (the packed bundle under
``uv run``, the console script under the Inspector) can only be pointed at a socket, so this serves
``POST /v1/messages/count_tokens`` on 127.0.0.1 through its base-URL setting and records what arrived.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final

import pytest

COUNT_PATH: Final = "/v1/messages/count_tokens"
INPUT_TOKENS: Final = 11  # counting-api.md §16, example 6: "Hello, Claude"
REQUEST_ID: Final = "req_fake_upstream"


@dataclass(frozen=True, slots=True)
class Received:
    """One request as the fake saw it; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class FakeUpstream:
    """Where the fake listens and what it received, in order."""

    url: str
    received: list[Received] = field(default_factory=list[Received])


def _handler(upstream: FakeUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            headers = {name.lower(): value for name, value in self.headers.items()}
            upstream.received.append(Received(self.command, self.path, headers, self.rfile.read(length)))
            if self.command == "POST" and self.path == COUNT_PATH:
                self._reply(200, {"input_tokens": INPUT_TOKENS})
            else:
                error = {"type": "not_found_error", "message": f"{self.command} {self.path} is not faked"}
                self._reply(404, {"type": "error", "error": error, "request_id": REQUEST_ID})

        def _reply(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("request-id", REQUEST_ID)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # the base class names it "format"
            """Quiet: the default handler writes every request to stderr."""

    return Handler


@contextmanager
def serve_fake_upstream() -> Generator[FakeUpstream]:
    """Serve the fake on an ephemeral port of 127.0.0.1 for the duration of the block."""
    upstream = FakeUpstream(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream))
    upstream.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-upstream", daemon=True)
    thread.start()
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fake_upstream() -> Iterator[FakeUpstream]:
    """A fresh fake counting API for one test."""
    with serve_fake_upstream() as upstream:
        yield upstream
