"""The console script on streamable HTTP (stateful and ``--stateless``) and SSE, in a child process.

Each server is started once per module with a bearer token and ``--allowed-host mcp.example.com``, and counts
through a loopback stand-in of the counting API, so the tests see both what clients get and what reached
the API. Tests that stop or refuse to start a server run their own.
"""

import base64
import contextlib
import signal
import subprocess
import time
from collections.abc import AsyncGenerator, Iterator
from contextlib import asynccontextmanager
from typing import Any, Final, Literal

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from mcp_token_counter import __version__
from mcp_token_counter.serving.web import TOKEN_VARIABLE
from tests.served import SCRIPT, Served, Transport, base_env, interrupt, serve_cli
from tests.standin import COUNT_PATH, DEFAULT_KEY, Stall, Standin, run_standin
from tests.support import HELLO, Mode, answered, env_for

Kind = Literal["http", "http-stateless", "sse"]

CLIENT_TOKEN: Final = "client-secret-for-the-mcp-endpoint"  # never the stand-in's DEFAULT_KEY
ALLOWED_HOST: Final = "mcp.example.com"
ARGS: Final[dict[Kind, tuple[str, ...]]] = {"http": (), "http-stateless": ("--stateless",), "sse": ()}
PROTOCOL: Final[dict[Mode, str]] = {"auto": "2026-07-28", "legacy": "2025-11-25"}
INITIALIZE: Final = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "0"}},
}
INITIALIZED: Final = {"jsonrpc": "2.0", "method": "notifications/initialized"}
ACCEPT: Final = {"accept": "application/json, text/event-stream"}
TIMEOUT_S: Final = 30


@pytest.fixture(scope="module")
def upstream() -> Iterator[Standin]:
    """One counting-API stand-in for every server of the module."""
    with run_standin() as standin:
        yield standin


@pytest.fixture
def api(upstream: Standin) -> Standin:
    """The stand-in with an empty log."""
    upstream.reset()
    return upstream


@pytest.fixture(scope="module", params=["http", "http-stateless", "sse"])
def served(request: pytest.FixtureRequest, upstream: Standin) -> Iterator[Served]:
    """The server with a bearer token, on each HTTP transport."""
    kind: Kind = request.param
    # The process serves the whole module and tests count the requests their calls make: no count cache.
    env = base_env(**env_for(upstream, TOKEN_COUNTER_CACHE="0"), **{TOKEN_VARIABLE: CLIENT_TOKEN})
    transport = "sse" if kind == "sse" else "http"
    with serve_cli(transport, *ARGS[kind], "--allowed-host", ALLOWED_HOST, env=env) as served:
        yield served


def bearer(token: str = CLIENT_TOKEN) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@asynccontextmanager
async def client_for(served: Served, mode: Mode) -> AsyncGenerator[Client]:
    """The SDK client on the server's transport, sending the bearer token."""
    if served.transport == "sse":
        async with Client(sse_client(served.url, headers=bearer()), mode=mode) as client:
            yield client
        return
    async with (
        httpx2.AsyncClient(headers=bearer(), timeout=TIMEOUT_S) as http,
        Client(streamable_http_client(served.url, http_client=http), mode=mode) as client,
    ):
        yield client


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured content of a successful result."""
    assert not result.is_error, result
    assert result.structured_content is not None
    return result.structured_content


def probe(served: Served, headers: dict[str, str], path: str | None = None) -> httpx2.Response:
    """Open the MCP endpoint as a client's first request would (SSE: the event stream) and stop at the status."""
    if served.transport == "sse":
        request = httpx2.Request("GET", path or served.url, headers=headers)
    else:
        request = httpx2.Request("POST", path or served.url, headers={**ACCEPT, **headers}, json=INITIALIZE)
    with httpx2.Client(timeout=TIMEOUT_S) as http:
        response = http.send(request, stream=True)
        response.close()  # an SSE stream never ends by itself; the status and headers are all we need
    return response


@pytest.mark.anyio
async def test_each_transport_serves_both_tools_in_both_protocol_eras(served: Served, api: Standin, mode: Mode) -> None:
    """auto negotiates 2026-07-28, legacy 2025-11-25; both list and call the tools through the counting API."""
    with anyio.fail_after(TIMEOUT_S):
        async with client_for(served, mode) as client:
            listed = await client.list_tools()
            counted = await client.call_tool("count_tokens", HELLO)
            fit = await client.call_tool("check_context_fit", {**HELLO, "max_tokens": 1024})
            version = client.protocol_version
    assert version == PROTOCOL[mode]
    assert [tool.name for tool in listed.tools] == [
        "count_tokens",
        "check_context_fit",
        "count_files",
        "count_tool_definitions",
        "check_prompt_cache",
    ]
    first, second = api.log.to(COUNT_PATH)
    assert structured(counted)["input_tokens"] == answered(first)["input_tokens"]
    assert structured(counted)["source"] == "api"
    assert structured(fit)["input_tokens"] == answered(second)["input_tokens"]


@pytest.mark.anyio
async def test_the_clients_bearer_token_never_reaches_the_counting_api(served: Served, api: Standin) -> None:
    """The API sees the server's own key; the MCP client's token appears in no header or body upstream."""
    with anyio.fail_after(TIMEOUT_S):
        async with client_for(served, "auto") as client:
            result = await client.call_tool("count_tokens", HELLO)
    assert not result.is_error, result
    (seen,) = api.log.to(COUNT_PATH)
    assert seen.headers["x-api-key"] == DEFAULT_KEY
    assert "authorization" not in seen.headers
    assert all(CLIENT_TOKEN not in value for value in seen.headers.values())
    assert CLIENT_TOKEN.encode() not in seen.body


@pytest.mark.parametrize(
    ("headers", "challenge"),
    [
        ({}, 'Bearer realm="mcp-token-counter"'),
        (bearer("wrong-token"), 'Bearer realm="mcp-token-counter", error="invalid_token"'),
        (bearer(CLIENT_TOKEN + "x"), 'Bearer realm="mcp-token-counter", error="invalid_token"'),
        ({"authorization": f"Basic {CLIENT_TOKEN}"}, 'Bearer realm="mcp-token-counter"'),
        ({"authorization": CLIENT_TOKEN}, 'Bearer realm="mcp-token-counter"'),
    ],
    ids=["missing", "wrong", "longer", "basic-scheme", "no-scheme"],
)
def test_requests_without_the_right_token_get_401(served: Served, headers: dict[str, str], challenge: str) -> None:
    response = probe(served, headers)
    assert (response.status_code, response.headers["www-authenticate"]) == (401, challenge)


def test_every_path_but_health_needs_the_token(served: Served) -> None:
    """The SSE message path and unknown paths are refused too, before the app can say anything about them."""
    with httpx2.Client(base_url=served.base_url, timeout=TIMEOUT_S) as http:
        posted = http.post("/messages/?session_id=0", json=INITIALIZE)
        unknown = http.get("/.well-known/oauth-protected-resource")
        authorised_unknown = http.get("/no-such-path", headers=bearer())
    assert (posted.status_code, unknown.status_code, authorised_unknown.status_code) == (401, 401, 404)


def test_the_right_token_gets_200(served: Served) -> None:
    response = probe(served, bearer())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(("text/event-stream", "application/json"))


def test_health_is_open_and_tells_no_secrets(served: Served) -> None:
    response = httpx2.get(f"{served.base_url}/health", timeout=TIMEOUT_S)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "name": "mcp-token-counter",
        "version": __version__,
        "transport": "sse" if served.transport == "sse" else "streamable-http",
        "provider": "anthropic",
    }
    assert DEFAULT_KEY not in response.text
    assert CLIENT_TOKEN not in response.text


@pytest.mark.parametrize(
    ("host", "origin", "status"),
    [
        (ALLOWED_HOST, None, 200),
        (f"{ALLOWED_HOST}:8443", f"https://{ALLOWED_HOST}", 200),
        ("evil.example", None, 421),
        (f"{ALLOWED_HOST}.evil.example", None, 421),
        (ALLOWED_HOST, "https://evil.example", 403),
    ],
    ids=["allowed", "allowed-with-port-and-origin", "foreign", "suffix", "foreign-origin"],
)
def test_allowed_host_is_served_and_foreign_hosts_are_refused(
    served: Served, host: str, origin: str | None, status: int
) -> None:
    """DNS-rebinding protection stays on for a named host: 421 for a foreign Host, 403 for a foreign Origin."""
    headers = {**bearer(), "host": host, **({"origin": origin} if origin else {})}
    assert probe(served, headers).status_code == status


@pytest.mark.anyio
async def test_a_body_over_4_mib_reaches_the_counting_api(served: Served, api: Standin) -> None:
    """The SDK's default 4 MiB limit would refuse this base64 image with 413."""
    data = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024)).decode("ascii")
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    arguments: dict[str, Any] = {**HELLO, "messages": [{"role": "user", "content": [image]}]}
    with anyio.fail_after(TIMEOUT_S):
        async with client_for(served, "auto") as client:
            result = await client.call_tool("count_tokens", arguments)
    assert structured(result)["source"] == "api"
    (seen,) = api.log.to(COUNT_PATH)
    assert seen.body_size > 6 * 1024 * 1024


@pytest.mark.parametrize(
    ("transport", "host"), [("http", "0.0.0.0"), ("sse", "::"), ("http", "192.0.2.10"), ("sse", "mcp.example.com")]
)
def test_binding_beyond_loopback_without_a_token_refuses_to_start(transport: str, host: str) -> None:
    """Exit code 2 and a message naming the variable, before anything listens (more cases in test_web)."""
    done = subprocess.run([SCRIPT, "--transport", transport, "--host", host], env=base_env(), capture_output=True,
                          text=True, timeout=TIMEOUT_S, check=False)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"refusing to serve on {host}" in done.stderr
    assert TOKEN_VARIABLE in done.stderr
    assert done.stdout == ""


def test_ctrl_c_with_an_open_sse_stream_stops_cleanly(upstream: Standin) -> None:
    """SIGINT while a client holds the event stream: exit 0 promptly, no traceback on stderr."""
    with serve_cli("sse", env=base_env(**env_for(upstream))) as served:
        with httpx2.stream("GET", served.url, timeout=TIMEOUT_S) as stream:
            assert next(stream.iter_lines()) == "event: endpoint"
            assert interrupt(served.process) == 0
        served.stderr.wait_closed(TIMEOUT_S)
        assert served.stderr.text.splitlines()[1:] == []  # the start-up line, then not a word


def test_ctrl_c_with_an_open_session_stream_stops_cleanly(upstream: Standin) -> None:
    """SIGINT while a 2025-era session holds its GET stream on streamable HTTP: exit 0, no traceback."""
    with serve_cli("http", env=base_env(**env_for(upstream))) as served, httpx2.Client(timeout=TIMEOUT_S) as http:
        initialized = http.post(served.url, headers=ACCEPT, json=INITIALIZE)
        session = {"mcp-session-id": initialized.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
        http.post(served.url, headers={**ACCEPT, **session}, json=INITIALIZED)
        with http.stream("GET", served.url, headers={"accept": "text/event-stream", **session}) as stream:
            assert stream.status_code == 200
            assert interrupt(served.process) == 0
        served.stderr.wait_closed(TIMEOUT_S)
        assert served.stderr.text.splitlines()[1:] == []  # the start-up line, then not a word


@pytest.mark.anyio
async def test_sse_connections_share_one_cache_and_client(api: Standin) -> None:
    """The SDK runs the lifespan per SSE connection; the server still keeps one state for the process."""
    with serve_cli("sse", env=base_env(**env_for(api))) as served:
        results: list[dict[str, Any]] = []
        with anyio.fail_after(TIMEOUT_S):
            for _ in range(2):
                async with Client(sse_client(served.url)) as client:
                    results.append(structured(await client.call_tool("count_tokens", HELLO)))
    assert [result["cached"] for result in results] == [False, True]
    assert len(api.log.to(COUNT_PATH)) == 1


def _open_session(http: httpx2.Client, served: Served) -> httpx2.Response:
    return http.post(served.url, headers=ACCEPT, json=INITIALIZE)


def test_sessions_are_capped_and_idle_ones_expire(upstream: Standin) -> None:
    """Past TOKEN_COUNTER_MAX_SESSIONS a new session gets a clear 503 and the open ones keep working; a session
    idle past TOKEN_COUNTER_SESSION_IDLE_TIMEOUT is closed, which makes room again."""
    env = base_env(**env_for(upstream), TOKEN_COUNTER_MAX_SESSIONS="2", TOKEN_COUNTER_SESSION_IDLE_TIMEOUT="1")
    with serve_cli("http", env=env) as served, httpx2.Client(timeout=TIMEOUT_S) as http:
        first, second = _open_session(http, served), _open_session(http, served)
        refused = _open_session(http, served)
        in_use = http.post(
            served.url,
            headers={**ACCEPT, "mcp-session-id": first.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"},
            json={"jsonrpc": "2.0", "id": 2, "method": "ping"},
        )
        assert (first.status_code, second.status_code, in_use.status_code) == (200, 200, 200)
        assert refused.status_code == 503
        assert "Too many open sessions" in refused.text
        assert _wait_for_room(http, served).status_code == 200


def _wait_for_room(http: httpx2.Client, served: Served) -> httpx2.Response:
    """A new session, tried until the idle ones have expired or the test's time is up."""
    deadline = time.monotonic() + TIMEOUT_S
    while (response := _open_session(http, served)).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)  # an expiry sends no signal that a client could await
    return response


@pytest.mark.parametrize(("transport", "mode"), [("http", "legacy"), ("http", "auto"), ("sse", "legacy")])
@pytest.mark.anyio
async def test_sigterm_answers_the_calls_in_flight_then_exits_0(
    upstream: Standin, transport: Transport, mode: Mode
) -> None:
    """SIGTERM while five calls wait on the API: each is answered, then the server exits 0 without a traceback
    (sse-starlette used to end every stream at the signal, and uvicorn to exit by the signal again)."""
    stall = Stall()
    upstream.faults.push(stall, times=5)
    answered: list[dict[str, Any]] = []
    with serve_cli(transport, env=base_env(**env_for(upstream))) as served:

        async def call(index: int) -> None:
            target = sse_client(served.url) if transport == "sse" else served.url
            with contextlib.suppress(Exception):  # the client's own goodbye fails once the server has gone
                async with Client(target, mode=mode) as client:
                    await client.list_tools()
                    message = {"role": "user", "content": f"in flight {index}"}
                    answered.append(
                        structured(await client.call_tool("count_tokens", {**HELLO, "messages": [message]}))
                    )

        with anyio.fail_after(TIMEOUT_S):
            async with anyio.create_task_group() as group:
                for index in range(5):
                    group.start_soon(call, index)
                await stall.wait_arrived(5)
                served.process.send_signal(signal.SIGTERM)
                stall.release()
        assert served.process.wait(TIMEOUT_S) == 0
        served.stderr.wait_closed(TIMEOUT_S)
        assert [result["source"] for result in answered] == ["api"] * 5
        assert served.stderr.text.splitlines()[1:] == []  # the start-up line, then not a word
