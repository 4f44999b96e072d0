"""The counting API client: the only module that talks HTTP.

One ``httpx2.AsyncClient`` is shared for the whole server; this module adds the provider's headers,
enforces the body limit, and maps every failure onto ``errors``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Final, cast

import httpx2

from .config import CONNECT_TIMEOUT_S, MAX_BODY_BYTES, Credential, Settings
from .errors import PayloadTooLarge, TokenCounterError, UpstreamUnavailable
from .request import CountRequest
from .upstream_errors import error_for_response

logger = logging.getLogger(__name__)

ANTHROPIC_VERSION: Final = "2023-06-01"
COUNT_PATH: Final = "/v1/messages/count_tokens"


@dataclass(frozen=True, slots=True)
class UpstreamCount:
    """A successful count."""

    input_tokens: int
    request_id: str | None


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """What ``GET /v1/models/{id}`` says about a model."""

    context_window: int
    max_output_tokens: int | None


def make_http_client(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> httpx2.AsyncClient:
    """The shared client, with the configured timeouts (``transport`` lets tests pass a MockTransport)."""
    return httpx2.AsyncClient(
        base_url=settings.base_url,
        timeout=httpx2.Timeout(settings.timeout_s, connect=min(CONNECT_TIMEOUT_S, settings.timeout_s)),
        limits=httpx2.Limits(max_connections=100, max_keepalive_connections=20),
        transport=transport,
        follow_redirects=False,
    )


def encode_body(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, refused above the API's 32 MB limit before anything is sent."""
    try:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise TokenCounterError(
            f"The request contains text that is not valid Unicode ({exc.reason} at character "
            f"{exc.start}); remove unpaired surrogate escapes such as \\ud800 and call again."
        ) from exc
    if len(content) > MAX_BODY_BYTES:
        raise PayloadTooLarge(len(content), MAX_BODY_BYTES)
    return content


class CountingClient:
    """Calls ``/v1/messages/count_tokens`` and ``/v1/models/{id}`` for one provider."""

    def __init__(self, http: httpx2.AsyncClient, credential: Credential) -> None:
        self._http = http
        self._credential = credential

    @property
    def provider(self) -> str:
        """The provider's name, as shown in results."""
        return self._credential.provider

    def headers(self, betas: tuple[str, ...] = ()) -> dict[str, str]:
        """Auth, version and content headers; ``anthropic-beta`` only when betas are given."""
        secret = self._credential.secret.get_secret_value()
        headers = {"anthropic-version": ANTHROPIC_VERSION, "content-type": "application/json"}
        if self._credential.auth_style == "x-api-key":
            headers["x-api-key"] = secret
        else:
            headers["authorization"] = f"Bearer {secret}"
        if betas:
            headers["anthropic-beta"] = ",".join(betas)
        return headers

    async def count(self, request: CountRequest) -> UpstreamCount:
        """POST the body and return the count.

        Raises:
            PayloadTooLarge: the body is over 32 MB (nothing is sent).
            UpstreamError: the API answered with an error status.
            UpstreamUnavailable: timeout, connection failure, or a body that is not a count.
        """
        content = encode_body(request.body)
        params = {"beta": "true"} if request.betas else None
        response = await self._send("POST", COUNT_PATH, content=content, params=params, betas=request.betas)
        data = _json_object(response)
        tokens = data.get("input_tokens") if data is not None else None
        if not isinstance(tokens, int) or isinstance(tokens, bool):
            raise UpstreamUnavailable(
                f"The counting API answered {response.status_code} with a body that is not a token count "
                f"(content-type {response.headers.get('content-type', 'none')!r}). Check the base URL setting "
                "points at an Anthropic-compatible API.",
                reason="bad_body",
            )
        return UpstreamCount(input_tokens=tokens, request_id=response.headers.get("request-id"))

    async def model_limits(self, model: str) -> ModelLimits | None:
        """The window and output cap the provider reports, or None when it does not say."""
        try:
            response = await self._send("GET", f"/v1/models/{model}")
        except TokenCounterError as exc:
            logger.info("No live model info for %s: %s", model, type(exc).__name__)
            return None
        data = _json_object(response) or {}
        window, max_out = data.get("max_input_tokens"), data.get("max_tokens")
        if not isinstance(window, int) or window <= 0:
            return None
        return ModelLimits(window, max_out if isinstance(max_out, int) and max_out > 0 else None)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        betas: tuple[str, ...] = (),
    ) -> httpx2.Response:
        try:
            response = await self._http.request(
                method, path, content=content, params=params, headers=self.headers(betas)
            )
        except httpx2.TimeoutException as exc:
            raise UpstreamUnavailable(
                f"The counting API did not answer in time ({type(exc).__name__}). Try again, or raise "
                "TOKEN_COUNTER_TIMEOUT.",
                reason="timeout",
            ) from exc
        except httpx2.TransportError as exc:
            raise UpstreamUnavailable(
                f"Could not reach the counting API at {self._http.base_url} ({type(exc).__name__}). Check the "
                "base URL setting and the network.",
                reason="connect",
            ) from exc
        if response.is_error:
            raise error_for_response(
                response.status_code,
                response.content,
                response.headers,
                credential_variable=self._credential.variable,
            )
        return response


def _json_object(response: httpx2.Response) -> dict[str, Any] | None:
    try:
        data: Any = response.json()
    except ValueError:
        return None
    return cast(dict[str, Any], data) if isinstance(data, dict) else None
