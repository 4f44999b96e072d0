"""Counting one request: through the provider when one is configured, offline otherwise.

The offline estimate also stands in when the API refuses a shape it cannot count (url/file sources,
server tools, ``mcp_servers``, a model it does not count) and, with ``TOKEN_COUNTER_FALLBACK=estimate``,
when the API stays unreachable after retries. Every estimate says why in ``fallback_reason``.

Before anything is counted, the request is keyed (``cache.request_key``): a cached count is returned
with ``cached=True`` and no upstream request, and concurrent identical requests share one count
(``SingleFlight``). With a shared store, a miss in this process's cache is looked up in Redis next, and a
fresh count is written to both, so a repeat sent to another replica is a hit too. Errors are never cached,
nor are estimates made because the API was unavailable, so the next call tries the API again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final, cast

import pydantic_core

from ..catalog import Catalog
from ..config import DEFAULT_CACHE_TTL_S, Fallback
from ..errors import (
    ConfigError,
    CountingRejected,
    ModelNotFound,
    RateLimited,
    TokenCounterError,
    UpstreamOverloaded,
    UpstreamUnavailable,
)
from ..metrics import Metrics
from ..upstream.body import NESTING_MESSAGE, EncodedBody, encode_body
from ..upstream.client import CountingClient
from .cache import CountCache, credential_scope, request_key
from .counted import Counted, FallbackReason, counted_from_json, counted_to_json
from .estimate import Estimator
from .request import CountRequest
from .scope import cache_scope
from .single_flight import SingleFlight

if TYPE_CHECKING:  # redis-py is the team extra's; only a configured Redis imports it (core.state)
    from ..replicas.store import SharedStore

# The token-counting page (checked 2026-11-29): "Token counts may include tokens added automatically by
# Anthropic for system optimizations. You are not billed for system-added tokens."
SYSTEM_TOKENS_NOTE: Final = "The API's count may include a few tokens it adds itself; those are not billed."
ACEDATA_NOTE: Final = (
    "Ace Data Cloud's count endpoint is its own estimate, not Anthropic's tokenizer; do not use it for billing."
)
_SERVER_TOOL_PREFIXES: Final = ("web_search_", "web_fetch_", "code_execution_", "tool_search_tool_")
_NOT_COUNTABLE_PHRASES: Final = ("not supported", "does not support", "doesn't support", "cannot count")


class RequestCounter:
    """Counts requests; holds the configuration problem, if any, to report it on each call."""

    def __init__(
        self,
        client: CountingClient | None,
        catalog: Catalog,
        *,
        fallback: Fallback = "estimate",
        offline_reason: FallbackReason = "no_credentials",
        config_error: ConfigError | None = None,
        cache: CountCache[Counted] | None = None,
        shared: SharedStore | None = None,
        cache_ttl_s: float = DEFAULT_CACHE_TTL_S,
        metrics: Metrics | None = None,
        notes: tuple[str, ...] = (),
        estimator: Estimator | None = None,
    ) -> None:
        self._client = client
        self._notes = notes  # said on every count: a setting that cannot take effect (a missing extra)
        self._catalog = catalog
        self._fallback = fallback
        self._offline_reason: FallbackReason = offline_reason
        self._config_error = config_error
        self._cache = cache
        self._shared = shared if cache is not None else None
        self._cache_ttl_s = cache_ttl_s
        self._metrics = metrics if metrics is not None else Metrics()
        self._flights = SingleFlight[bytes, Counted]()
        # Every offline estimate of this server: within its deadline, large ones through one lane.
        self.estimator = estimator if estimator is not None else Estimator()

    @property
    def via_api(self) -> bool:
        """Whether counts go to a provider (otherwise every count is an offline estimate)."""
        return self._client is not None

    async def measure(self, request: CountRequest) -> Counted:
        """Count ``request``: from the cache, by joining an identical count in progress, or afresh.

        Raises:
            ConfigError: a configuration value is invalid.
            PayloadTooLarge: the body is over the API's 32 MB limit (nothing is sent).
            TokenCounterError: the API failed in a way an estimate should not hide.
        """
        if self._config_error is not None:
            raise self._config_error
        content, key = self._encode_and_key(request)
        if (hit := await self._cached(key)) is not None:
            return self._noted(replace(hit, cached=True))
        return self._noted(await self._flights.run(key, functools.partial(self._count_and_keep, request, content, key)))

    def _noted(self, counted: Counted) -> Counted:
        return replace(counted, notes=(*counted.notes, *self._notes)) if self._notes else counted

    async def _cached(self, key: bytes) -> Counted | None:
        """A count from this process's cache, else from the shared one (then kept here too)."""
        if self._cache is None:
            return None
        hit = self._cache.get(key)
        self._metrics.cache("local", hit=hit is not None)
        if hit is not None or self._shared is None:
            return hit
        raw = await self._shared.get_count(key)
        hit = counted_from_json(raw) if raw is not None else None
        self._metrics.cache("shared", hit=hit is not None)
        if hit is not None:
            self._cache.put(key, hit)
        return hit

    def _encode_and_key(self, request: CountRequest) -> tuple[EncodedBody | None, bytes]:
        """The body to send (None offline) and the cache key, from one encoding of the body."""
        if self._client is None:
            content, scope = None, credential_scope("offline")
            body_sha256 = hashlib.sha256(_hashable_body(request.body)).digest()
        else:
            content = encode_body(request.body)
            scope = credential_scope(self._client.scope, credential=self._client.credential_secret)
            body_sha256 = content.sha256
        key = request_key(
            scope=cache_scope(scope),
            model=request.model,
            betas=request.betas,
            user_profile_id=request.user_profile_id,
            body_sha256=body_sha256,
        )
        return content, key

    async def _count_and_keep(self, request: CountRequest, content: EncodedBody | None, key: bytes) -> Counted:
        counted = await self._count_fresh(request, content)
        if self._cache is not None and counted.fallback_reason != "api_unavailable":
            self._cache.put(key, counted)
            if self._shared is not None:
                await self._shared.put_count(key, counted_to_json(counted), ttl_s=self._cache_ttl_s)
        return counted

    async def _count_fresh(self, request: CountRequest, content: EncodedBody | None) -> Counted:
        if self._client is None or content is None:
            return await self._estimate(request, self._offline_reason)
        try:
            counted = await self._client.count_body(content, request.betas, request.user_profile_id)
        except (CountingRejected, ModelNotFound) as exc:
            reason = _refusal_reason(request.body, exc)
            if reason is None:
                raise
            return await self._estimate(request, reason, exc)
        except (UpstreamUnavailable, UpstreamOverloaded, RateLimited) as exc:
            if self._fallback != "estimate":
                raise
            return await self._estimate(request, "api_unavailable", exc)
        notes = (ACEDATA_NOTE,) if self._client.provider == "acedatacloud" else (SYSTEM_TOKENS_NOTE,)
        return Counted(
            counted.input_tokens,
            "api",
            self._client.provider,
            counted.request_id,
            notes,
            original_input_tokens=counted.original_input_tokens,
        )

    async def _estimate(
        self, request: CountRequest, reason: FallbackReason, cause: TokenCounterError | None = None
    ) -> Counted:
        self._metrics.offline_estimates.labels(reason=reason).inc()
        result = await self.estimator(request.body, self._catalog.lookup(request.model))
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


def _hashable_body(body: Mapping[str, Any]) -> bytes:
    """The body as bytes for the offline cache key. It is never sent, so text that is not valid Unicode
    (lone surrogates, which only the slower json.dumps can write) is keyed rather than refused."""
    try:
        return pydantic_core.to_json(body)
    except pydantic_core.PydanticSerializationError:
        pass
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    except RecursionError as exc:
        raise TokenCounterError(NESTING_MESSAGE) from exc


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


def _blocks(body: Mapping[str, Any]) -> Iterator[Any]:
    """Every content block of the messages, and the blocks nested in them (a tool result's or a search
    result's content, a document's content), at any depth."""
    pending: list[Any] = []
    for message in cast(list[Any], body.get("messages") or []):
        content = cast(dict[str, Any], message).get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            pending.extend(cast(list[Any], content))
    while pending:
        block = pending.pop()
        yield block
        nested = cast(dict[str, Any], block).get("content") if isinstance(block, dict) else None
        if isinstance(nested, list):
            pending.extend(cast(list[Any], nested))
        source = cast(dict[str, Any], block).get("source") if isinstance(block, dict) else None
        inner = cast(dict[str, Any], source).get("content") if isinstance(source, dict) else None
        if isinstance(inner, list):
            pending.extend(cast(list[Any], inner))


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
