"""The counting API client: adds the provider's headers, sends the encoded body (``body``), maps every
failure onto the error tree (``errors``) and classifies it for ``retry``.

It sends through one shared HTTP client (``http``), and takes its turn from one shared ``Pressure``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

import anyio
import httpx2

from ..clock import Clock, SystemClock
from ..config import DEFAULT_DEADLINE_S, Credential, Settings
from ..errors import RateLimited, TokenCounterError, UpstreamOverloaded, UpstreamUnavailable
from ..metrics import Metrics
from ..redaction import Redact, Redactor, display_url
from ..replicas.keys import budget_name
from .body import EncodedBody
from .errors import error_for_response
from .http import HttpClient
from .pressure import Pressure
from .retry import Failure, RetryPolicy, call_with_retries, server_delay, should_retry

if TYPE_CHECKING:  # redis-py is the team extra's; only a configured Redis imports it (core.state)
    from ..replicas.store import SharedStore

logger = logging.getLogger(__name__)

ANTHROPIC_VERSION: Final = "2023-06-01"
COUNT_PATH: Final = "/v1/messages/count_tokens"
# Model ids as providers spell them (claude-opus-4-6, anthropic.claude-x-v1:0, claude-x@20250101).
_MODEL_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}")


@dataclass(frozen=True, slots=True)
class UpstreamCount:
    """A successful count; ``original_input_tokens`` is the count before context management edited the
    request (the beta response's ``context_management.original_input_tokens``), when the API gives it."""

    input_tokens: int
    request_id: str | None
    original_input_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """What ``GET /v1/models/{id}`` says about a model."""

    context_window: int
    max_output_tokens: int | None


class CountingClient:
    """Calls ``/v1/messages/count_tokens`` and ``/v1/models/{id}`` for one provider.

    Every call retries by ``policy``, takes its upstream slots from the shared ``pressure``, and gives up
    after ``deadline_s`` in all (queueing, attempts and waits included). What the upstream says goes through
    ``redact`` before it reaches a message: an upstream may echo the key it was sent.
    """

    def __init__(
        self,
        http: HttpClient,
        credential: Credential,
        *,
        policy: RetryPolicy | None = None,
        pressure: Pressure | None = None,
        deadline_s: float = DEFAULT_DEADLINE_S,
        redact: Redact = str,
    ) -> None:
        self._http = http
        self._redact = redact
        self._credential = credential
        self._policy = policy if policy is not None else RetryPolicy()
        self._pressure = pressure if pressure is not None else Pressure(clock=SystemClock())
        self._metrics = self._pressure.metrics
        self._deadline_s = deadline_s
        # Built once: a path would be parsed and merged with the base URL on every request, which is a
        # measurable share of a call's own cost (see bench/).
        self._count_url = self._url(COUNT_PATH)
        self._scope = f"{credential.provider} {http.base_url}"

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        credential: Credential,
        http: HttpClient,
        *,
        clock: Clock | None = None,
        policy: RetryPolicy | None = None,
        shared: SharedStore | None = None,
        metrics: Metrics | None = None,
    ) -> CountingClient:
        """The client as configured: retries, in-flight bound, rate limit and deadline from ``settings``.

        ``clock`` and ``policy`` let tests take time and jitter out of retries. With ``shared``, the rate
        budget and the cool-down are those of every replica counting with the same provider and base URL.
        """
        pressure = Pressure(
            clock=clock or SystemClock(),
            max_in_flight=settings.max_concurrency,
            rpm=settings.rpm,
            shared=shared,
            budget=budget_name(f"{credential.provider} {http.base_url}"),
            metrics=metrics,
        )
        return cls(
            http,
            credential,
            policy=policy or RetryPolicy(max_retries=settings.max_retries),
            pressure=pressure,
            deadline_s=settings.deadline_s,
            redact=Redactor(settings.secrets),
        )

    def _url(self, path: str) -> httpx2.URL:
        """``path`` under the base URL, as the client would merge it (a base path is kept)."""
        base = self._http.base_url
        return base.copy_with(raw_path=base.raw_path + path.lstrip("/").encode("ascii"))

    @property
    def provider(self) -> str:
        """The provider's name, as shown in results."""
        return self._credential.provider

    @property
    def scope(self) -> str:
        """Where counts come from (provider and base URL): part of every cache key."""
        return self._scope

    @property
    def credential_secret(self) -> str:
        """The credential itself, for the cache's keyed scope (``core.cache.cache_scope``) only; never shown."""
        return self._credential.secret.get_secret_value()

    def headers(self, betas: tuple[str, ...] = (), user_profile_id: str | None = None) -> dict[str, str]:
        """Auth, version and content headers; ``anthropic-beta`` and ``anthropic-user-profile-id`` when given."""
        secret = self._credential.secret.get_secret_value()
        headers = {"anthropic-version": ANTHROPIC_VERSION, "content-type": "application/json"}
        if self._credential.auth_style == "x-api-key":
            headers["x-api-key"] = secret
        else:
            headers["authorization"] = f"Bearer {secret}"
        if betas:
            headers["anthropic-beta"] = ",".join(betas)
        if user_profile_id is not None:
            headers["anthropic-user-profile-id"] = user_profile_id
        return headers

    async def count_body(
        self, content: EncodedBody, betas: tuple[str, ...], user_profile_id: str | None = None
    ) -> UpstreamCount:
        """POST an encoded body (from ``encode_body``) and return the count.

        Raises:
            UpstreamError: the API answered with an error status, for good or after the retries.
            UpstreamUnavailable: timeouts or connection failures after the retries, the deadline passed, or
                a body that is not a count.
        """
        params = {"beta": "true"} if betas else None
        headers = self.headers(betas, user_profile_id)
        response = await self._call(
            "POST", self._count_url, retries=self._policy.max_retries, content=content, params=params, headers=headers
        )
        data = _json_object(response)
        tokens = data.get("input_tokens") if data is not None else None
        if not isinstance(tokens, int) or isinstance(tokens, bool):
            # Not retried, like the SDK: a login page or a wrong base URL answers the same way every time.
            raise UpstreamUnavailable(
                f"The counting API answered {response.status_code} with a body that is not a token count "
                f"(content-type {self._redact(response.headers.get('content-type', 'none'))!r}). Check the base "
                "URL setting points at an Anthropic-compatible API.",
                reason="bad_body",
            )
        request_id = response.headers.get("request-id")
        return UpstreamCount(
            input_tokens=tokens,
            request_id=None if request_id is None else self._redact(request_id),
            original_input_tokens=_original_input_tokens(data),
        )

    async def model_limits(self, model: str) -> ModelLimits | None:
        """The window and output cap the provider reports, or None when it does not say.

        Raises:
            UpstreamUnavailable, UpstreamOverloaded, RateLimited: the provider may answer later.
        """
        if not _MODEL_ID.fullmatch(model):
            # Not a model id a provider could know; it would not even make a valid URL path.
            return None
        try:
            # One retry at most: the built-in table answers when the provider does not.
            url = self._url(f"/v1/models/{model}")
            response = await self._call("GET", url, retries=min(1, self._policy.max_retries))
        except (UpstreamUnavailable, UpstreamOverloaded, RateLimited):
            raise
        except TokenCounterError as exc:
            logger.info("No live model info for %s: %s", model, type(exc).__name__)
            return None
        data = _json_object(response) or {}
        window, max_out = data.get("max_input_tokens"), data.get("max_tokens")
        if not isinstance(window, int) or window <= 0:
            return None
        return ModelLimits(window, max_out if isinstance(max_out, int) and max_out > 0 else None)

    async def _call(
        self,
        method: str,
        url: httpx2.URL,
        *,
        retries: int,
        content: EncodedBody | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx2.Response:
        sent = headers if headers is not None else self.headers()

        async def attempt() -> httpx2.Response | Failure:
            return await self._attempt(method, url, content=content, params=params, headers=dict(sent))

        deadline_at = self._pressure.clock.now() + self._deadline_s
        # The clock-based deadline stops waits early; the scope also bounds a request in progress. A bare
        # CancelScope rather than fail_after: the same bound, without a generator context manager per call,
        # which showed in profiles under load (bench/profile.py).
        with anyio.CancelScope(deadline=anyio.current_time() + self._deadline_s):
            return await call_with_retries(
                attempt, retries=retries, policy=self._policy, pressure=self._pressure, deadline_at=deadline_at
            )
        # Only reached when the scope's deadline cancelled the call.
        raise UpstreamUnavailable(
            f"The counting API gave no usable answer within {self._deadline_s:g} s, retries included. Try "
            "again, or raise TOKEN_COUNTER_DEADLINE.",
            reason="deadline",
        )

    async def _attempt(
        self,
        method: str,
        url: httpx2.URL,
        *,
        content: EncodedBody | None,
        params: dict[str, str] | None,
        headers: dict[str, str],
    ) -> httpx2.Response | Failure:
        """One request (``headers`` is its own copy): the response, or a ``Failure`` saying whether another
        attempt may help."""
        payload = _payload(content, headers)
        sent_at = self._pressure.clock.now()
        try:
            response = await self._http.request(method, url, content=payload, params=params, headers=headers)
        except httpx2.TransportError as exc:
            no_answer = "timeout" if isinstance(exc, httpx2.TimeoutException) else "connect"
            self._metrics.upstream_requests.labels(status=no_answer).inc()
            return self._transport_failure(exc)
        self._metrics.upstream_latency.observe(self._pressure.clock.now() - sent_at)
        self._metrics.upstream_requests.labels(status=str(response.status_code)).inc()
        if not response.is_error:
            return response
        wall_now = self._pressure.clock.wall()
        error = error_for_response(
            response.status_code,
            response.content,
            response.headers,
            credential_variable=self._credential.variable,
            wall_now=wall_now,
            redact=self._redact,
        )
        return Failure(
            error,
            retryable=should_retry(response.status_code, response.headers),
            server_delay=server_delay(response.headers, wall_now=wall_now),
        )

    def _transport_failure(self, exc: httpx2.TransportError) -> Failure:
        """A timeout or a connection failure: always worth another attempt."""
        if isinstance(exc, httpx2.TimeoutException):
            error = UpstreamUnavailable(
                f"The counting API did not answer in time ({type(exc).__name__}). Try again, or raise "
                "TOKEN_COUNTER_TIMEOUT.",
                reason="timeout",
            )
        else:
            error = UpstreamUnavailable(
                f"Could not reach the counting API at {display_url(str(self._http.base_url))} ({type(exc).__name__}). "
                "Check the base "
                "URL setting and the network.",
                reason="connect",
            )
        error.__cause__ = exc  # as ``raise error from exc`` would, when the loop raises it
        return Failure(error, retryable=True)


def _payload(content: EncodedBody | None, headers: dict[str, str]) -> bytes | AsyncIterator[bytes] | None:
    """What httpx2 sends: the small common body whole, a large one streamed with its length set in ``headers``."""
    if content is None:
        return None
    if content.whole is not None:
        return content.whole  # sent as it is, without streaming machinery
    # Streamed so that no whole copy of a large body is held; the length keeps it from going out chunked.
    headers["content-length"] = str(content.size)
    return content.stream()


def _original_input_tokens(data: dict[str, Any] | None) -> int | None:
    management = data.get("context_management") if data is not None else None
    original = cast(dict[str, Any], management).get("original_input_tokens") if isinstance(management, dict) else None
    return original if isinstance(original, int) and not isinstance(original, bool) else None


def _json_object(response: httpx2.Response) -> dict[str, Any] | None:
    try:
        data: Any = response.json()
    except ValueError:
        return None
    return cast(dict[str, Any], data) if isinstance(data, dict) else None
