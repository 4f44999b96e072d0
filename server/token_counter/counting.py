"""Counting a request: through the provider when one is configured, offline otherwise.

The offline estimate also stands in when the API refuses a shape it cannot count (url/file sources,
server tools, ``mcp_servers``, a model it does not count) and, with ``TOKEN_COUNTER_FALLBACK=estimate``,
when the API stays unreachable after retries. Every estimate says why in ``fallback_reason``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

import anyio.to_thread

from .catalog import Catalog
from .config import Fallback
from .errors import (
    ConfigError,
    CountingRejected,
    ModelNotFound,
    RateLimited,
    TokenCounterError,
    UpstreamOverloaded,
    UpstreamUnavailable,
)
from .offline import Estimate, MalformedRequest, estimate_request
from .request import CountRequest
from .results import Source
from .upstream import CountingClient

FallbackReason = Literal[
    "no_credentials", "offline_mode", "api_refused_shape", "model_not_countable", "api_unavailable"
]

ACEDATA_NOTE: Final = (
    "Ace Data Cloud's count endpoint is its own estimate, not Anthropic's tokenizer; do not use it for billing."
)
_SERVER_TOOL_PREFIXES: Final = ("web_search_", "web_fetch_", "code_execution_", "tool_search_tool_")
_NOT_COUNTABLE_PHRASES: Final = ("not supported", "does not support", "doesn't support", "cannot count")


@dataclass(frozen=True, slots=True)
class Counted:
    """A count and how it was produced."""

    input_tokens: int
    source: Source
    provider: str
    request_id: str | None = None
    notes: tuple[str, ...] = ()
    uncertainty_tokens: int = 0
    estimate_method: str | None = None
    fallback_reason: FallbackReason | None = None


class Counter:
    """Counts requests; holds the configuration problem, if any, to report it on each call."""

    def __init__(
        self,
        client: CountingClient | None,
        catalog: Catalog,
        *,
        fallback: Fallback = "estimate",
        offline_reason: FallbackReason = "no_credentials",
        config_error: ConfigError | None = None,
    ) -> None:
        self._client = client
        self._catalog = catalog
        self._fallback = fallback
        self._offline_reason: FallbackReason = offline_reason
        self._config_error = config_error

    async def count(self, request: CountRequest) -> Counted:
        """Count ``request``.

        Raises:
            ConfigError: a configuration value is invalid.
            TokenCounterError: the API failed in a way an estimate should not hide.
        """
        if self._config_error is not None:
            raise self._config_error
        if self._client is None:
            return await self.estimate(request, self._offline_reason)
        try:
            counted = await self._client.count(request)
        except (CountingRejected, ModelNotFound) as exc:
            reason = _refusal_reason(request.body, exc)
            if reason is None:
                raise
            return await self.estimate(request, reason, exc)
        except (UpstreamUnavailable, UpstreamOverloaded, RateLimited) as exc:
            if self._fallback != "estimate":
                raise
            return await self.estimate(request, "api_unavailable", exc)
        notes = (ACEDATA_NOTE,) if self._client.provider == "acedatacloud" else ()
        return Counted(counted.input_tokens, "api", self._client.provider, counted.request_id, notes)

    async def estimate(
        self, request: CountRequest, reason: FallbackReason, cause: TokenCounterError | None = None
    ) -> Counted:
        """An offline estimate, computed off the event loop (large texts take a while to tokenise)."""
        spec = self._catalog.lookup(request.model)
        try:
            result: Estimate = await anyio.to_thread.run_sync(functools.partial(estimate_request, request.body, spec))
        except MalformedRequest as exc:
            raise TokenCounterError(f"The request cannot be estimated: {exc}") from exc
        why = (f"Counted offline because the API said: {cause}",) if cause is not None else ()
        return Counted(
            input_tokens=result.input_tokens,
            source="estimate",
            provider="offline",
            notes=(*why, *result.notes),
            uncertainty_tokens=result.uncertainty_tokens,
            estimate_method=result.method,
            fallback_reason=reason,
        )


def _refusal_reason(body: Mapping[str, Any], exc: CountingRejected | ModelNotFound) -> FallbackReason | None:
    """Why a 400/404 is a shape the API cannot count (so an estimate helps), or None for a real error."""
    if isinstance(exc, CountingRejected) and _has_uncountable_shape(body):
        return "api_refused_shape"
    message = (exc.upstream_message or "").lower()
    if "model" in message and any(phrase in message for phrase in _NOT_COUNTABLE_PHRASES):
        return "model_not_countable"
    return None


def _has_uncountable_shape(body: Mapping[str, Any]) -> bool:
    """Whether the body uses something the count endpoint documents as refused."""
    if body.get("mcp_servers"):
        return True
    tools = cast(list[Any], body.get("tools") or [])
    if any(
        isinstance(t, dict) and str(cast(dict[str, Any], t).get("type", "")).startswith(_SERVER_TOOL_PREFIXES)
        for t in tools
    ):
        return True
    return any(_is_remote_source(block) for block in _blocks(body))


def _blocks(body: Mapping[str, Any]) -> list[Any]:
    blocks: list[Any] = []
    for message in cast(list[Any], body.get("messages") or []):
        content = cast(dict[str, Any], message).get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            blocks.extend(cast(list[Any], content))
    return blocks


def _is_remote_source(block: Any) -> bool:
    if not isinstance(block, dict):
        return False
    fields = cast(dict[str, Any], block)
    source = fields.get("source")
    return (
        fields.get("type") in ("image", "document")
        and isinstance(source, dict)
        and cast(dict[str, Any], source).get("type") in ("url", "file")
    )
