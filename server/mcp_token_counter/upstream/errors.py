"""Turn an error response from the counting API into the matching ``UpstreamError``.

Parses Anthropic's ``{"type":"error","error":{"type","message"},"request_id"}``, Ace Data Cloud's
``{"error":{"code","message"},"trace_id"}`` and ``{"error":"..."}``, and falls back to the status text
for bodies that are not JSON.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from ..errors import (
    AuthenticationFailed,
    CountingRejected,
    InsufficientBalance,
    ModelNotFound,
    RateLimited,
    UpstreamError,
    UpstreamOverloaded,
)
from ..redaction import Redact
from .retry import retry_after_seconds

_REQUEST_ID_HEADERS: Final = ("request-id", "x-request-id", "x-amzn-requestid")
_MAX_TEXT: Final = 300


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """What an error response says, whichever shape it came in."""

    error_type: str | None
    message: str | None
    request_id: str | None


def parse_error_body(content: bytes, headers: Mapping[str, str], redact: Redact = str) -> ErrorBody:
    """Read the error type, message and request id from an error response, each passed through ``redact``
    (an upstream may echo the key it was sent)."""
    found = _parse_error_body(content, headers)
    # Scrubbed whole, then cut: a secret cut in half by the limit would no longer be recognised.
    return ErrorBody(*(None if text is None else redact(text)[:_MAX_TEXT] or None for text in found))


def _parse_error_body(content: bytes, headers: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    header_id = next((headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None)
    try:
        data: Any = json.loads(content)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        text = content.decode("utf-8", "replace").strip()
        return None, text or None, header_id
    body = cast(dict[str, Any], data)
    error: Any = body.get("error")
    error_type = message = None
    if isinstance(error, dict):
        fields = cast(dict[str, Any], error)
        error_type = _text(fields.get("type")) or _text(fields.get("code"))
        message = _text(fields.get("message"))
    else:
        message = _text(error) or _text(body.get("detail")) or _text(body.get("message"))
    request_id = header_id or _text(body.get("request_id")) or _text(body.get("trace_id"))
    return error_type, message, request_id


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def error_for_response(
    status: int,
    content: bytes,
    headers: Mapping[str, str],
    *,
    credential_variable: str,
    wall_now: float | None = None,
    redact: Redact = str,
) -> UpstreamError:
    """The exception for an error status, with a message that says what to change.

    ``wall_now`` (Unix time, default now) turns a ``retry-after`` HTTP date into seconds; ``redact`` scrubs
    what the upstream said.
    """
    parsed = parse_error_body(content, headers, redact)
    what = f"{status} {parsed.error_type}" if parsed.error_type else str(status)
    said = f"{what}: {parsed.message}" if parsed.message else what
    suffix = f" (request-id {parsed.request_id})" if parsed.request_id else ""
    common: dict[str, Any] = {"upstream_message": parsed.message}
    if status == 429:
        now = time.time() if wall_now is None else wall_now
        return _rate_limited(said, suffix, retry_after_seconds(headers, wall_now=now), common)
    cls, advice = _classify(status, parsed, credential_variable)
    return cls(f"The counting API answered {said}. {advice}{suffix}", status_code=status, **common)


def _rate_limited(said: str, suffix: str, retry_after: float | None, common: dict[str, Any]) -> RateLimited:
    if retry_after is None:
        advice = (
            "No retry-after was given, which usually means a spend cap or monthly limit: "
            "it will not clear by waiting. Check the account's limits."
        )
    else:
        advice = f"Retry after {round(retry_after, 1):g} s, or lower the request rate (TOKEN_COUNTER_RPM)."
    return RateLimited(f"The counting API answered {said}. {advice}{suffix}", retry_after=retry_after, **common)


def _classify(status: int, parsed: ErrorBody, variable: str) -> tuple[type[UpstreamError], str]:
    if parsed.error_type == "used_up":
        return (
            InsufficientBalance,
            "The Ace Data Cloud balance is used up: top it up; the token itself is valid.",
        )
    if status in (401, 403):
        return (
            AuthenticationFailed,
            f"Check the credential in {variable}: it may be wrong, expired or lack access.",
        )
    if status == 404:
        if parsed.message and "model" in parsed.message.lower():
            return ModelNotFound, "Check the model id, for example claude-sonnet-4-6 or claude-opus-4-8."
        return UpstreamError, "The endpoint was not found: check the base URL setting."
    if status == 400:
        return CountingRejected, "Fix the field it names and call again."
    if status == 413:
        return UpstreamError, "The body is over 32 MB: split the request or shrink images and PDFs."
    if status >= 500:
        return UpstreamOverloaded, "The provider is failing or overloaded; try again shortly."
    return UpstreamError, "See the message for what to change."
