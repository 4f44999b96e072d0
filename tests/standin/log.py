"""The request log: what reached the stand-in and what it answered, for assertions in tests."""

import itertools
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from pydantic import JsonValue
from starlette.datastructures import Headers, QueryParams
from starlette.types import Scope

from tests.standin.config import Flavour
from tests.standin.faults import Fault
from tests.standin.sync import CrossThreadCondition


@dataclass(eq=False)
class RecordedRequest:
    """One request and its outcome.

    The stand-in fills the response fields before the bytes leave it, so once a client holds a response
    its record is complete. `fault` is the scripted or random fault applied, if any. `received_at` and
    `ended_at` are `time.monotonic()` readings (same clock as the test's) at arrival and at the last
    response byte or the client's departure, so retry tests can measure the gaps between attempts.
    """

    method: str
    path: str
    query: str
    headers: Headers
    request_id: str
    received_at: float = field(default_factory=time.monotonic)
    ended_at: float | None = None
    body: bytes = b""
    body_size: int = 0
    json: JsonValue | None = None
    status: int | None = None
    response_headers: Headers = field(default_factory=Headers)
    response_body: bytes = b""
    response_json: JsonValue | None = None
    fault: Fault | None = None
    client_disconnected: bool = False
    responded: bool = False

    @property
    def params(self) -> QueryParams:
        """The query string as a multi-dict."""
        return QueryParams(self.query)


def _parse_json(raw: bytes) -> JsonValue | None:
    try:
        parsed: JsonValue = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return parsed


class RequestLog:
    """Thread-safe record of every request, plus in-flight accounting.

    A request is in flight from its arrival until its last response byte is handed over or its client
    goes away. Waiting methods need an asyncio loop (see `tests.standin.sync`).
    """

    def __init__(self, flavour: Flavour = "anthropic") -> None:
        self._condition = CrossThreadCondition()
        self._records: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self._prefix = "req_standin_" if flavour == "anthropic" else "standin-trace-"
        self._in_flight: set[RecordedRequest] = set()
        self._max_in_flight = 0

    # -- reading, for tests -------------------------------------------------------------------------

    @property
    def requests(self) -> tuple[RecordedRequest, ...]:
        """A snapshot of every request so far, oldest first."""
        with self._condition.lock:
            return tuple(self._records)

    def __len__(self) -> int:
        return len(self.requests)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.requests)

    def __getitem__(self, index: int) -> RecordedRequest:
        return self.requests[index]

    def last(self) -> RecordedRequest:
        """The newest request.

        Raises:
            IndexError: nothing has arrived.
        """
        return self.requests[-1]

    def to(self, path: str) -> tuple[RecordedRequest, ...]:
        """The requests for one path."""
        return tuple(r for r in self.requests if r.path == path)

    @property
    def in_flight(self) -> int:
        """Requests now being handled."""
        with self._condition.lock:
            return len(self._in_flight)

    @property
    def max_in_flight(self) -> int:
        """The most requests in flight at once since the last `clear()`."""
        with self._condition.lock:
            return self._max_in_flight

    async def wait_until(self, predicate: Callable[[Sequence[RecordedRequest]], bool]) -> None:
        """Return once `predicate(requests)` holds; it runs under the log's lock on any change."""
        await self._condition.wait_for(lambda: predicate(tuple(self._records)))

    async def wait_for_requests(self, count: int) -> None:
        """Return once `count` requests have arrived."""
        await self.wait_until(lambda records: len(records) >= count)

    async def wait_for_responses(self, count: int) -> None:
        """Return once `count` requests are over (answered or abandoned by their client)."""
        await self.wait_until(lambda records: sum(not self._open(r) for r in records) >= count)

    def clear(self) -> None:
        """Forget the recorded requests and restart the in-flight maximum from the current level."""
        with self._condition.lock:
            self._records.clear()
            self._max_in_flight = len(self._in_flight)

    def _open(self, record: RecordedRequest) -> bool:
        return record in self._in_flight

    # -- writing, from the stand-in's thread ----------------------------------------------------------

    def begin(self, scope: Scope) -> RecordedRequest:
        """Record an arriving request and count it in flight."""
        query = scope.get("query_string", b"")
        record = RecordedRequest(
            method=str(scope["method"]),
            path=str(scope["path"]),
            query=query.decode("latin-1") if isinstance(query, bytes) else "",
            headers=Headers(scope=scope),
            request_id=f"{self._prefix}{next(self._ids):06d}",
        )
        with self._condition.lock:
            self._records.append(record)
            self._in_flight.add(record)
            self._max_in_flight = max(self._max_in_flight, len(self._in_flight))
            self._condition.notify_all()
        return record

    def set_body(self, record: RecordedRequest, body: bytes, size: int) -> None:
        """Store the received body (empty when it was over the size limit)."""
        with self._condition.lock:
            record.body = body
            record.body_size = size
            record.json = _parse_json(body) if body else None
            self._condition.notify_all()

    def set_fault(self, record: RecordedRequest, fault: Fault) -> None:
        """Note the fault applied to a request."""
        with self._condition.lock:
            record.fault = fault
            self._condition.notify_all()

    def set_response_start(self, record: RecordedRequest, status: int, headers: Headers) -> None:
        """Store the response status and headers."""
        with self._condition.lock:
            record.status = status
            record.response_headers = headers
            self._condition.notify_all()

    def set_response_body(self, record: RecordedRequest, body: bytes) -> None:
        """Store the complete response body and end the request's time in flight."""
        with self._condition.lock:
            record.response_body = body
            record.response_json = _parse_json(body) if body else None
            record.responded = True
            record.ended_at = time.monotonic()
            self._in_flight.discard(record)
            self._condition.notify_all()

    def set_disconnected(self, record: RecordedRequest) -> None:
        """Note that the client went away before the response was complete."""
        with self._condition.lock:
            record.client_disconnected = True
            record.ended_at = time.monotonic()
            self._in_flight.discard(record)
            self._condition.notify_all()

    def finish(self, record: RecordedRequest) -> None:
        """End a request's time in flight, however the handler left."""
        with self._condition.lock:
            self._in_flight.discard(record)
            self._condition.notify_all()
