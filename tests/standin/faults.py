"""Scripted and random faults: what the stand-in does instead of (or before) answering normally.

A fault plan is a queue. Each request takes the first queued fault whose path pattern matches it; when
none matches, a `RandomFaults` draw may pick one; otherwise the request is answered normally. Faults:

- `Reply`: a fixed status, body and headers (429 with `retry-after`, 529, 500, 503, garbage 200, HTML 502).
- `Stall`: hold the request until `release()`, a timeout, or the client leaving; then answer normally or
  with `then`. It counts arrivals and client disconnects, which tests await.
- `Drop`: send the status line, headers and part of the body, then close the connection.

Example::

    stall = Stall()
    standin.faults.push(rate_limited(retry_after="0"), overloaded(), stall)
    # 1st count request -> 429, 2nd -> 529, 3rd hangs until stall.release()
    standin.faults.push(Reply(503), times=3, path="/v1/models/*")
    standin.faults.random_faults = RandomFaults(rate=0.1, seed=7)  # 529 / 500 / dropped connection
"""

import random
import threading
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field

from pydantic import JsonValue

from tests.standin.config import COUNT_PATH
from tests.standin.sync import CrossThreadCondition


@dataclass(frozen=True)
class Reply:
    """Answer with this status; `body=None` means the flavour's error body for the status.

    A JSON value is sent as JSON; bytes are sent as they are, with the content type from `headers`
    (default `application/json`, which makes garbage bodies more convincing). `request_id=False` leaves
    out the anthropic flavour's `request-id` header, as a proxy's reply would.
    """

    status: int
    _: KW_ONLY
    body: JsonValue | bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict[str, str])
    request_id: bool = True


@dataclass(frozen=True, kw_only=True)
class Drop:
    """Start a response that promises `declared_length` bytes, send `partial_body`, then close."""

    status: int = 200
    partial_body: bytes = b'{"input_tok'
    declared_length: int = 64

    def __post_init__(self) -> None:
        if len(self.partial_body) >= self.declared_length:
            raise ValueError("partial_body must be shorter than declared_length, or nothing is dropped")


class Stall:
    """Hold requests until released, for timeout and cancellation tests.

    One `Stall` may be queued for several requests (`times=`); `release()` lets all of them go. With
    `seconds`, a held request also goes on its own after that long. `then` replaces the normal answer.
    """

    def __init__(self, *, seconds: float | None = None, then: "Reply | Drop | None" = None) -> None:
        self.seconds = seconds
        self.then = then
        self._condition = CrossThreadCondition()
        self._released = False
        self._arrived = 0
        self._disconnected = 0

    def __repr__(self) -> str:
        return f"Stall(seconds={self.seconds!r}, then={self.then!r}, arrived={self._arrived})"

    def release(self) -> None:
        """Let every held request go on, now and for later arrivals."""
        with self._condition.lock:
            self._released = True
            self._condition.notify_all()

    @property
    def released(self) -> bool:
        """Whether `release()` was called."""
        return self._released

    @property
    def arrived(self) -> int:
        """How many requests reached this stall."""
        return self._arrived

    @property
    def disconnected(self) -> int:
        """How many held requests were abandoned by their client."""
        return self._disconnected

    async def wait_arrived(self, count: int = 1) -> None:
        """Return once `count` requests are (or were) held here."""
        await self._condition.wait_for(lambda: self._arrived >= count)

    async def wait_disconnected(self, count: int = 1) -> None:
        """Return once `count` held requests have lost their client."""
        await self._condition.wait_for(lambda: self._disconnected >= count)

    async def wait_released(self) -> None:
        """Return once released (used by the stand-in)."""
        await self._condition.wait_for(lambda: self._released)

    def note_arrival(self) -> None:
        """Count a request reaching the stall (used by the stand-in)."""
        with self._condition.lock:
            self._arrived += 1
            self._condition.notify_all()

    def note_disconnect(self) -> None:
        """Count a held request whose client left (used by the stand-in)."""
        with self._condition.lock:
            self._disconnected += 1
            self._condition.notify_all()


Fault = Reply | Stall | Drop


@dataclass(frozen=True, kw_only=True)
class RandomFaults:
    """Give each matching request a fault from `choices` with probability `rate`, from a seeded RNG."""

    rate: float
    seed: int = 0
    choices: tuple[Fault, ...] = field(default_factory=lambda: (Reply(529), Reply(500), Drop()))
    path: str | None = COUNT_PATH


def retry_headers(
    *, retry_after: str | None = None, retry_after_ms: str | None = None, should_retry: bool | None = None
) -> dict[str, str]:
    """The retry-related headers to send; `None` leaves a header out."""
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    if retry_after_ms is not None:
        headers["retry-after-ms"] = retry_after_ms
    if should_retry is not None:
        headers["x-should-retry"] = "true" if should_retry else "false"
    return headers


def rate_limited(
    *, retry_after: str | None = None, retry_after_ms: str | None = None, should_retry: bool | None = None
) -> Reply:
    """A 429 `rate_limit_error` (AceData: `too_many_requests`)."""
    return Reply(
        429,
        headers=retry_headers(retry_after=retry_after, retry_after_ms=retry_after_ms, should_retry=should_retry),
    )


def overloaded(*, retry_after: str | None = None, should_retry: bool | None = None) -> Reply:
    """A 529 `overloaded_error`."""
    return Reply(529, headers=retry_headers(retry_after=retry_after, should_retry=should_retry))


def server_error(status: int = 500, *, should_retry: bool | None = None) -> Reply:
    """A 5xx in the flavour's error shape."""
    return Reply(status, headers=retry_headers(should_retry=should_retry))


def garbage(status: int = 200) -> Reply:
    """A body that claims to be JSON and is not."""
    return Reply(status, body=b"input_tokens=12; this is not JSON")


HTML_502: bytes = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


def html_bad_gateway() -> Reply:
    """A proxy's HTML 502, without the API's request id."""
    return Reply(502, body=HTML_502, headers={"content-type": "text/html"}, request_id=False)


def _matches(pattern: str | None, path: str) -> bool:
    if pattern is None:
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


@dataclass
class _Entry:
    fault: Fault
    pattern: str | None
    remaining: int


class FaultPlan:
    """The queue of scripted faults, the random fault mode and the added latency; thread-safe."""

    def __init__(self, *, latency: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Entry] = []
        self._stalls: list[Stall] = []
        self._random: RandomFaults | None = None
        self._rng = random.Random(0)
        self._latency = latency

    def push(self, *faults: Fault, path: str | None = COUNT_PATH, times: int = 1) -> None:
        """Queue faults for the next requests whose path matches.

        Args:
            faults: applied in order, each to `times` requests.
            path: an exact path, a prefix ending in `*`, or None for any path.
            times: how many requests each fault applies to.
        """
        with self._lock:
            for fault in faults:
                self._queue.append(_Entry(fault, path, times))
                self._remember(fault)

    def take(self, path: str) -> Fault | None:
        """The fault for a request to `path`, if any (used by the stand-in)."""
        with self._lock:
            for entry in self._queue:
                if _matches(entry.pattern, path):
                    entry.remaining -= 1
                    if entry.remaining <= 0:
                        self._queue.remove(entry)
                    return entry.fault
            return self._draw(path)

    def _draw(self, path: str) -> Fault | None:
        plan = self._random
        if plan is None or not _matches(plan.path, path) or self._rng.random() >= plan.rate:
            return None
        return self._rng.choice(plan.choices)

    def _remember(self, fault: Fault) -> None:
        if isinstance(fault, Stall):
            self._stalls.append(fault)

    @property
    def pending(self) -> int:
        """Scripted faults not yet used (each `times` counted)."""
        with self._lock:
            return sum(entry.remaining for entry in self._queue)

    @property
    def random_faults(self) -> RandomFaults | None:
        """The random fault mode, or None."""
        return self._random

    @random_faults.setter
    def random_faults(self, plan: RandomFaults | None) -> None:
        with self._lock:
            self._random = plan
            self._rng = random.Random(plan.seed if plan is not None else 0)
            for fault in plan.choices if plan is not None else ():
                self._remember(fault)

    @property
    def latency(self) -> float:
        """Seconds added before every reply."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._latency = seconds

    def release_stalls(self) -> None:
        """Release every stall ever queued, so nothing stays held."""
        with self._lock:
            stalls = list(self._stalls)
        for stall in stalls:
            stall.release()

    def clear(self, *, latency: float = 0.0) -> None:
        """Release stalls, empty the queue, turn random faults off and set the latency."""
        self.release_stalls()
        with self._lock:
            self._queue.clear()
            self._stalls.clear()
            self._random = None
            self._latency = latency
