"""uvicorn's HTTP/1.1 protocol (h11) with the read timeouts it lacks, so a slow client cannot hold a connection.

uvicorn times out only the idle time after a response, and any byte resets that clock: a client that sends a
request's headers one byte every few seconds (slowloris), or promises a body it never finishes, holds its
connection and its request task for ever. This protocol adds three deadlines:

- a new connection that sends nothing is closed after the keep-alive time, as an idle kept-alive one is;
- a request's headers must be complete within ``HEADER_TIMEOUT_S`` of its first byte, else 408 and close;
- its body must be complete within ``BODY_TIMEOUT_S`` of its headers, else the connection is closed (the app
  sees the client disconnect and stops).
"""

from __future__ import annotations

import asyncio
from typing import Final, cast

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol, RequestResponseCycle

HEADER_TIMEOUT_S: Final = 10.0
# A 40 MiB body (the request limit) needs 0.7 MB/s to arrive in time.
BODY_TIMEOUT_S: Final = 60.0
_TIMEOUT_RESPONSE: Final = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
    b"content-length: 41\r\n\r\nThe request's headers came in too slowly.\n"
)


class GuardedH11Protocol(H11Protocol):
    """``H11Protocol`` with header, body and first-idle deadlines (module docstring)."""

    header_timeout_s: float = HEADER_TIMEOUT_S
    body_timeout_s: float = BODY_TIMEOUT_S
    _deadline: asyncio.TimerHandle | None = None
    _stage: str | None = None  # what the deadline waits for: "headers" or "body"

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start as uvicorn does, with the keep-alive clock running until the first byte."""
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def data_received(self, data: bytes) -> None:
        """Feed h11 as uvicorn does, then move the deadline to the stage the request is at."""
        # uvicorn types the cycle as always set, but it is None until the first request's headers are in.
        cycle = cast(RequestResponseCycle | None, self.cycle)
        super().data_received(data)
        if self.cycle is not cycle:  # a request's headers are in; now its body, if it has one
            self._set_deadline(None)
            if self.conn.their_state is h11.SEND_BODY:
                self._set_deadline(self.loop.call_later(self.body_timeout_s, self._body_too_slow), "body")
        elif self.conn.their_state is h11.SEND_BODY:
            return  # more of a body: its deadline runs on
        elif self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            if self._stage != "headers":  # the first bytes of a request's headers
                self._set_deadline(self.loop.call_later(self.header_timeout_s, self._headers_too_slow), "headers")
        else:
            self._set_deadline(None)  # the body is complete, or nothing is pending

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the deadline with the connection."""
        self._set_deadline(None)
        super().connection_lost(exc)

    def _set_deadline(self, handle: asyncio.TimerHandle | None, stage: str | None = None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._stage = handle, stage

    def _headers_too_slow(self) -> None:
        self._deadline = self._stage = None
        if not self.transport.is_closing():
            self.logger.info("Closing a connection whose request headers took over %g s", self.header_timeout_s)
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()

    def _body_too_slow(self) -> None:
        self._deadline = self._stage = None
        if not self.transport.is_closing():
            self.logger.info("Closing a connection whose request body took over %g s", self.body_timeout_s)
            self.transport.close()
