"""Per user, over HTTP with OAuth: the requests-per-minute quota and the access log line of each tool call.

The user is the token's subject (``sub``; the client id when a token names no subject). Its quota is
``TOKEN_COUNTER_USER_RPM`` calls per 60-second window opened by its first call, counted in Redis when
``TOKEN_COUNTER_REDIS_URL`` is set (so every replica draws on one quota) and in this process otherwise, or
while Redis is down. Redis keys and the process's table hold a digest of the subject, not the subject.

The access log is one JSON line per call on the ``mcp_token_counter.access`` logger: subject, client, tool,
outcome, tokens counted, milliseconds. Never the content, never the token.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from mcp.server.auth.middleware.auth_context import get_access_token

from ..clock import Clock

if TYPE_CHECKING:  # redis: imported by whoever made the store, not here
    from ..replicas.store import SharedStore

ACCESS_LOGGER: Final = "mcp_token_counter.access"
WINDOW_S: Final = 60.0
# Windows kept in the process before the expired ones are swept out (bounds memory under many users).
SWEEP_AT: Final = 10_000

access_logger = logging.getLogger(ACCESS_LOGGER)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who makes a call: the token's subject and client (None for each when no token authorised it)."""

    subject: str | None
    client_id: str | None


def current_caller() -> Caller:
    """The caller of the call being handled, from the SDK's authentication context."""
    token = get_access_token()
    if token is None:
        return Caller(None, None)
    return Caller(token.subject or token.client_id or None, token.client_id or None)


class UserQuota:
    """``rpm`` tool calls per user per window; refusals say how long until the window reopens."""

    def __init__(self, rpm: int, *, clock: Clock) -> None:
        self._rpm = rpm
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    @property
    def rpm(self) -> int:
        """Calls allowed per user per window."""
        return self._rpm

    async def take(self, subject: str, shared: SharedStore | None) -> float | None:
        """Count one call of ``subject``; None when it may go ahead, else the seconds until it may."""
        user = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        counted = await shared.user_calls(user, window_s=WINDOW_S) if shared is not None else None
        calls, left_s = counted if counted is not None else self._local(user)
        return None if calls <= self._rpm else max(left_s, 0.001)

    def _local(self, user: str) -> tuple[int, float]:
        now = self._clock.now()
        if len(self._windows) >= SWEEP_AT:
            self._windows = {k: v for k, v in self._windows.items() if now - v[0] < WINDOW_S}
        opened, calls = self._windows.get(user, (now, 0))
        if now - opened >= WINDOW_S:
            opened, calls = now, 0
        self._windows[user] = (opened, calls + 1)
        return calls + 1, WINDOW_S - (now - opened)


def log_call(caller: Caller, *, tool: str, outcome: str, tokens: int | None, seconds: float) -> None:
    """The access log line of one call."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    line = {
        "event": "tool_call", "subject": caller.subject, "client_id": caller.client_id, "tool": tool,
        "outcome": outcome, "tokens": tokens, "ms": round(seconds * 1000, 1),
    }  # fmt: skip
    access_logger.info(json.dumps(line, ensure_ascii=False))


class PerUserCalls:
    """What ``TokenCounterServer.call_tool`` asks of the OAuth door: who calls, may they, the log line."""

    def __init__(self, *, rpm: int | None, clock: Clock) -> None:
        self._quota = UserQuota(rpm, clock=clock) if rpm else None

    def caller(self) -> Caller:
        """Who makes the call being handled."""
        return current_caller()

    def log(self, caller: _HasSubject, tool: str, outcome: str, result: object, seconds: float) -> None:
        """The access log line, with the tokens the result counted."""
        log_call(_as_caller(caller), tool=tool, outcome=outcome, tokens=tokens_counted(result), seconds=seconds)

    async def refusal(self, caller: _HasSubject, shared: SharedStore | None) -> str | None:
        """Why ``caller`` may not make a call now (its quota is spent), or None."""
        if self._quota is None or caller.subject is None:
            return None
        wait_s = await self._quota.take(caller.subject, shared)
        if wait_s is None:
            return None
        return (
            f"Rate limited: you have made more than {self._quota.rpm} tool calls in the last minute, the limit "
            f"per user on this server (TOKEN_COUNTER_USER_RPM). Try again in {wait_s:.0f} s."
        )


class _HasSubject(Protocol):
    @property
    def subject(self) -> str | None: ...


def _as_caller(caller: _HasSubject) -> Caller:
    return caller if isinstance(caller, Caller) else Caller(caller.subject, None)


def tokens_counted(result: object) -> int | None:
    """The tokens a tool result reports (``input_tokens``, or ``total_tokens`` for files), if any."""
    structured = getattr(result, "structured_content", None)
    if not isinstance(structured, dict):
        return None
    for name in ("input_tokens", "total_tokens"):
        value = structured.get(name)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if isinstance(value, int):
            return value
    return None
