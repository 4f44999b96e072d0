"""HTTP serving decisions that need no server: flags, host rules, the bind refusal and the response guard."""

from typing import Any

import httpx2
import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from starlette.types import Message, Receive, Scope, Send

from mcp_token_counter.cli.parser import cli, parse_server_flags
from mcp_token_counter.serving.asgi import BearerAuth, WholeResponses
from mcp_token_counter.serving.web import (
    LOOPBACK_HOSTS,
    LOOPBACK_ORIGINS,
    HttpOptions,
    allowed_host,
    http_token,
    is_loopback,
    transport_security,
    unsafe_bind,
    uvicorn_config,
)

TOKEN = SecretStr("s3cret")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("mcp.example.com", "mcp.example.com"),
        ("MCP.Example.COM:8443", "mcp.example.com:8443"),
        (" mcp.example.com ", "mcp.example.com"),
        ("192.0.2.10", "192.0.2.10"),
        ("2001:db8::1", "[2001:db8::1]"),
        ("[2001:db8::1]:9000", "[2001:db8::1]:9000"),
    ],
)
def test_allowed_host_is_written_as_a_host_header_carries_it(given: str, expected: str) -> None:
    assert allowed_host(given) == expected


@pytest.mark.parametrize(
    "given",
    ["", "https://mcp.example.com", "mcp.example.com/mcp", "user@mcp.example.com", "mcp.example.com:http",
     "*.example.com", "mcp.example.com:99999", "-bad.example"],
)  # fmt: skip
def test_allowed_host_rejects_what_is_not_host_or_host_port(given: str) -> None:
    with pytest.raises(ValueError, match=r"HOST or HOST:PORT|invalid port"):
        allowed_host(given)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.0.2.10", False), ("mcp.example.com", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_binds_need_no_token(host: str) -> None:
    assert unsafe_bind(HttpOptions(transport="streamable-http", host=host)) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "mcp.example.com"])
def test_other_binds_need_a_token(host: str) -> None:
    refusal = unsafe_bind(HttpOptions(transport="sse", host=host))
    assert refusal is not None
    assert "TOKEN_COUNTER_HTTP_TOKEN" in refusal
    assert unsafe_bind(HttpOptions(transport="sse", host=host, token=TOKEN)) is None


@pytest.mark.parametrize(("value", "expected"), [("", None), ("  ", None), (" tok ", "tok")])
def test_http_token_empty_counts_as_unset(value: str, expected: str | None) -> None:
    token = http_token({"TOKEN_COUNTER_HTTP_TOKEN": value})
    assert (token.get_secret_value() if token else None) == expected


def test_loopback_security_is_the_sdk_default_and_stays_on() -> None:
    security = transport_security(HttpOptions(transport="streamable-http"))
    assert security.enable_dns_rebinding_protection
    assert (security.allowed_hosts, security.allowed_origins) == (list(LOOPBACK_HOSTS), list(LOOPBACK_ORIGINS))


def test_allowed_hosts_and_a_named_bind_address_are_added_with_their_origins() -> None:
    """A bare name allows any port; a name with a port only that one. Loopback keeps working."""
    options = HttpOptions(transport="sse", host="10.0.0.5", allowed_hosts=("mcp.example.com", "b.example:8443"))
    security = transport_security(options)
    assert security.enable_dns_rebinding_protection
    assert security.allowed_hosts == [
        *LOOPBACK_HOSTS,
        "mcp.example.com",
        "mcp.example.com:*",
        "b.example:8443",
        "10.0.0.5",
        "10.0.0.5:*",
    ]
    assert security.allowed_origins[len(LOOPBACK_ORIGINS) :] == [
        "https://mcp.example.com",
        "http://mcp.example.com",
        "https://mcp.example.com:*",
        "http://mcp.example.com:*",
        "https://b.example:8443",
        "http://b.example:8443",
        "https://10.0.0.5",
        "http://10.0.0.5",
        "https://10.0.0.5:*",
        "http://10.0.0.5:*",
    ]


def test_a_wildcard_bind_adds_no_host() -> None:
    security = transport_security(HttpOptions(transport="sse", host="0.0.0.0", token=TOKEN))
    assert security.allowed_hosts == list(LOOPBACK_HOSTS)


@pytest.mark.parametrize(
    ("argv", "transport", "stateless"),
    [
        ([], "stdio", False),
        (["--transport", "http"], "http", False),
        (["--transport", "streamable-http", "--stateless"], "streamable-http", True),
        (["--transport", "sse"], "sse", False),
    ],
)
def test_transport_flags(argv: list[str], transport: str, stateless: bool) -> None:
    flags = parse_server_flags(argv)
    assert (flags.transport, flags.stateless, flags.host, flags.port) == (transport, stateless, "127.0.0.1", 8000)


def test_allowed_host_flag_repeats_and_normalises() -> None:
    flags = parse_server_flags(["--transport", "http", "--allowed-host", "A.example", "--allowed-host", "b.example:1"])
    assert flags.allowed_hosts == ("a.example", "b.example:1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--transport", "sse", "--stateless"], "--stateless applies to --transport http only"),
        (["--transport", "http", "--allowed-host", "https://x.example"], "is not HOST or HOST:PORT"),
        (["--transport", "http", "--port", "70000"], "'--port': 70000 is not in the range 0<=x<=65535"),
        (["--transport", "websocket"], "'websocket' is not one of 'stdio', 'http', 'streamable-http', 'sse'"),
        (["--transport", "http", "--host", "0.0.0.0"], "TOKEN_COUNTER_HTTP_TOKEN"),
    ],
)
def test_usage_errors_exit_2_with_a_message(argv: list[str], message: str) -> None:
    """Refused before anything is served: the flags, then the combination (--stateless, a bind beyond loopback)."""
    done = CliRunner().invoke(cli, argv, env={"TOKEN_COUNTER_HTTP_TOKEN": ""})
    assert done.exit_code == 2
    assert message in done.stderr


def start(status: int = 200) -> Message:
    return {"type": "http.response.start", "status": status, "headers": []}


def body(data: bytes, *, more: bool) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


async def guarded(*sends: Message) -> list[Message]:
    """What reaches the server from an app that sends ``sends`` through ``WholeResponses``."""
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in sends:
            await send(message)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"type": "http", "path": "/sse", "method": "GET", "headers": []}
    await WholeResponses(app)(scope, receive, send)
    return sent


@pytest.mark.anyio
async def test_a_second_response_start_is_dropped_and_its_body_ends_the_stream() -> None:
    """The SDK's SSE endpoint at shutdown: event stream cut short, then an empty Response()."""
    sent = await guarded(start(), body(b"event: endpoint\n\n", more=True), start(), body(b"", more=False))
    assert sent == [start(), body(b"event: endpoint\n\n", more=True), body(b"", more=False)]


@pytest.mark.anyio
async def test_an_unfinished_stream_gets_its_last_chunk() -> None:
    sent = await guarded(start(), body(b"data", more=True))
    assert sent == [start(), body(b"data", more=True), body(b"", more=False)]


@pytest.mark.anyio
async def test_a_whole_response_passes_unchanged_and_nothing_follows_it() -> None:
    sent = await guarded(start(404), body(b"no", more=False), body(b"late", more=False))
    assert sent == [start(404), body(b"no", more=False)]


def test_the_server_keeps_idle_connections_longer_than_clients_do() -> None:
    """The client closes an idle connection first; the other way round, a call sent as the server closes it
    fails with a read error (the Python SDK's client is httpx2, 5 s; aiohttp keeps 15 s)."""
    config = uvicorn_config(_no_app, HttpOptions(transport="streamable-http", port=0))
    assert config.timeout_keep_alive > max(httpx2.Limits().keepalive_expiry or 0, 15)
    assert (config.host, config.port, config.log_config) == ("127.0.0.1", 0, None)


async def _no_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("not served")


async def _through_bearer_auth(scope: dict[str, Any]) -> tuple[bool, list[Message]]:
    """Whether the app behind ``BearerAuth`` was reached with ``scope``, and what was sent back."""
    reached = False
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal reached
        reached = True

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await BearerAuth(app, token=TOKEN, open_paths=frozenset({"/health"}))(scope, receive, send)
    return reached, sent


@pytest.mark.parametrize("path", ["/mcp", "/health"])
@pytest.mark.anyio
async def test_a_websocket_without_the_token_is_closed_before_it_reaches_the_app(path: str) -> None:
    """Only lifespan events pass unchecked; a websocket is not an HTTP request, and /health is open to HTTP only."""
    scope: dict[str, Any] = {"type": "websocket", "path": path, "headers": []}
    reached, sent = await _through_bearer_auth(scope)
    assert not reached
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


@pytest.mark.anyio
async def test_a_websocket_with_the_token_and_lifespan_events_pass() -> None:
    authorised = [(b"authorization", b"Bearer " + TOKEN.get_secret_value().encode())]
    assert (await _through_bearer_auth({"type": "websocket", "path": "/mcp", "headers": authorised}))[0]
    assert (await _through_bearer_auth({"type": "lifespan"}))[0]
