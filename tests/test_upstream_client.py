"""Narrow unit tests of the HTTP client: error mapping and headers, with httpx2.MockTransport.

Retries are off here (each test maps one response); tests/test_retries.py covers them against the stand-in.
"""

import json
from collections.abc import Callable

import httpx2
import pydantic_core
import pytest

from mcp_token_counter import errors
from mcp_token_counter.config import Settings
from mcp_token_counter.core.request import CountRequest
from mcp_token_counter.upstream.body import encode_body
from mcp_token_counter.upstream.client import CountingClient
from mcp_token_counter.upstream.http import make_http_client
from mcp_token_counter.upstream.retry import RetryPolicy

Handler = Callable[[httpx2.Request], httpx2.Response]
REQUEST = CountRequest(
    model="claude-sonnet-4-6",
    body={"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "hi"}]},
    betas=(),
    ignored_fields=(),
)


async def count_with(handler: Handler, env: dict[str, str] | None = None, request: CountRequest = REQUEST) -> int:
    settings = Settings.from_env(env or {"ANTHROPIC_API_KEY": "sk-test"})
    assert settings.credential is not None
    async with make_http_client(settings, httpx2.MockTransport(handler)) as http:
        client = CountingClient(http, settings.credential, policy=RetryPolicy(max_retries=0))
        return (await client.count_body(encode_body(request.body), request.betas)).input_tokens


def reply(status: int, body: object = None, headers: dict[str, str] | None = None, raw: bytes | None = None) -> Handler:
    content = raw if raw is not None else json.dumps(body).encode()
    return lambda _request: httpx2.Response(status, content=content, headers=headers)


def anthropic_error(kind: str, message: str) -> dict[str, object]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_123"}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("handler", "error_class", "fragments"),
    [
        (
            reply(400, anthropic_error("invalid_request_error", "messages: field required")),
            errors.CountingRejected,
            ["400 invalid_request_error", "messages: field required", "req_123"],
        ),
        (
            reply(401, anthropic_error("authentication_error", "invalid x-api-key")),
            errors.AuthenticationFailed,
            ["401", "ANTHROPIC_API_KEY"],
        ),
        (
            reply(403, anthropic_error("permission_error", "no access")),
            errors.AuthenticationFailed,
            ["403 permission_error", "ANTHROPIC_API_KEY"],
        ),
        (
            reply(403, {"error": {"code": "used_up", "message": "balance"}, "trace_id": "t-9"}),
            errors.InsufficientBalance,
            ["used_up", "top it up", "t-9"],
        ),
        (
            reply(404, anthropic_error("not_found_error", "model: claude-nope")),
            errors.ModelNotFound,
            ["model: claude-nope", "model id"],
        ),
        (reply(404, raw=b"Not Found"), errors.UpstreamError, ["404", "base URL"]),
        (reply(413, anthropic_error("request_too_large", "too big")), errors.UpstreamError, ["413", "32 MB"]),
        (
            reply(429, anthropic_error("rate_limit_error", "slow down"), {"retry-after": "7"}),
            errors.RateLimited,
            ["429", "Retry after 7 s"],
        ),
        (reply(429, {"error": "too many"}), errors.RateLimited, ["spend cap"]),
        (reply(529, anthropic_error("overloaded_error", "Overloaded")), errors.UpstreamOverloaded, ["529"]),
        (reply(502, raw=b"<html>Bad gateway</html>"), errors.UpstreamOverloaded, ["502", "Bad gateway"]),
        (reply(200, raw=b"<html>login</html>"), errors.UpstreamUnavailable, ["not a token count"]),
        (reply(200, {"tokens": 3}), errors.UpstreamUnavailable, ["not a token count"]),
    ],
)
async def test_error_statuses_map_to_actionable_errors(
    handler: Handler, error_class: type[errors.TokenCounterError], fragments: list[str]
) -> None:
    with pytest.raises(error_class) as caught:
        await count_with(handler)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    assert "sk-test" not in message


@pytest.mark.anyio
async def test_rate_limit_carries_retry_after_ms() -> None:
    with pytest.raises(errors.RateLimited) as caught:
        await count_with(reply(429, {}, {"retry-after-ms": "1500"}))
    assert caught.value.retry_after == 1.5
    assert caught.value.status_code == 429


@pytest.mark.anyio
async def test_timeouts_and_refused_connections_are_unavailable() -> None:
    def timeout(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("slow", request=request)

    def refused(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    with pytest.raises(errors.UpstreamUnavailable, match="did not answer in time") as caught:
        await count_with(timeout)
    assert caught.value.reason == "timeout"
    with pytest.raises(errors.UpstreamUnavailable, match="Could not reach") as caught:
        await count_with(refused)
    assert caught.value.reason == "connect"


@pytest.mark.anyio
async def test_bodies_over_32_mb_are_refused_before_sending() -> None:
    sent: list[httpx2.Request] = []

    def record(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(200, json={"input_tokens": 1})

    big = CountRequest(
        model="m",
        body={"model": "m", "messages": [{"role": "user", "content": "x" * 32_000_001}]},
        betas=(),
        ignored_fields=(),
    )
    with pytest.raises(errors.PayloadTooLarge, match="32 MB"):
        await count_with(record, request=big)
    assert sent == []


@pytest.mark.anyio
async def test_unpaired_surrogates_get_a_clear_error() -> None:
    bad = CountRequest(
        model="m",
        body={"model": "m", "messages": [{"role": "user", "content": "a\ud800b"}]},
        betas=(),
        ignored_fields=(),
    )
    with pytest.raises(errors.TokenCounterError, match="surrogate"):
        await count_with(reply(200, {"input_tokens": 1}), request=bad)


@pytest.mark.anyio
async def test_betas_go_to_the_header_and_beta_query() -> None:
    seen: list[httpx2.Request] = []

    def record(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={"input_tokens": 5})

    request = CountRequest(model="m", body={"model": "m", "messages": []}, betas=("a-1", "b-2"), ignored_fields=())
    assert await count_with(record, request=request) == 5
    assert seen[0].headers["anthropic-beta"] == "a-1,b-2"
    assert seen[0].url.params["beta"] == "true"
    assert json.loads(seen[0].content) == request.body


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("base_url", "count_url", "model_url"),
    [
        (
            "https://api.example.test",
            "https://api.example.test/v1/messages/count_tokens",
            "https://api.example.test/v1/models/anthropic.claude-x-v1:0",
        ),
        (
            "https://gateway.example.test/anthropic/",
            "https://gateway.example.test/anthropic/v1/messages/count_tokens",
            "https://gateway.example.test/anthropic/v1/models/anthropic.claude-x-v1:0",
        ),
        (
            "http://127.0.0.1:9/proxy",
            "http://127.0.0.1:9/proxy/v1/messages/count_tokens",
            "http://127.0.0.1:9/proxy/v1/models/anthropic.claude-x-v1:0",
        ),
    ],
)
async def test_paths_are_joined_under_a_base_url_with_a_path(base_url: str, count_url: str, model_url: str) -> None:
    # Gateways and proxies serve the API under a prefix; both endpoints must keep it.
    seen: list[str] = []

    def record(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        body = {"input_tokens": 3} if request.method == "POST" else {"max_input_tokens": 1000, "max_tokens": 10}
        return httpx2.Response(200, json=body)

    settings = Settings.from_env({"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": base_url})
    assert settings.credential is not None
    async with make_http_client(settings, httpx2.MockTransport(record)) as http:
        client = CountingClient(http, settings.credential, policy=RetryPolicy(max_retries=0))
        assert (await client.count_body(encode_body(REQUEST.body), ())).input_tokens == 3
        assert await client.model_limits("anthropic.claude-x-v1:0") is not None
    assert seen == [count_url, model_url]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "content",
    [
        pytest.param("héllo 🌍", id="small: sent whole"),
        pytest.param([{"type": "text", "text": "QUJD" * 1_000_000}], id="large: streamed from chunks"),
    ],
)
async def test_a_body_goes_out_exactly_with_its_length_never_chunked(content: object) -> None:
    seen: list[httpx2.Request] = []

    def record(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={"input_tokens": 5})

    body = {"model": "m", "messages": [{"role": "user", "content": content}]}
    request = CountRequest(model="m", body=body, betas=(), ignored_fields=())
    assert await count_with(record, request=request) == 5
    assert seen[0].content == pydantic_core.to_json(body)
    assert seen[0].headers["content-length"] == str(len(seen[0].content))
    assert "transfer-encoding" not in seen[0].headers
