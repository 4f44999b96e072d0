"""The key never leaks: every fault, through every credential style, with all logging at DEBUG.

A recognisable key goes through the whole fault suite; then no tool result (structured or text), no error
message, no log record and nothing written to stdout or stderr may contain it.
"""

import logging
import socket
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp.types import CallToolResult

from tests.reliability import FakeClock, call_all, connected_with, user_says
from tests.standin import (
    Drop,
    Fault,
    RandomFaults,
    Reply,
    Stall,
    Standin,
    StandinConfig,
    garbage,
    html_bad_gateway,
    overloaded,
    rate_limited,
    server_error,
)
from tests.standin.fixtures import StandinFactory
from tests.support import HELLO

SECRET = "sk-ant-api03-CANARY-7f3c9e1d-DO-NOT-LEAK-5b2a8c4f"
FAULTS: tuple[Fault, ...] = (
    rate_limited(retry_after="1"),
    rate_limited(),
    overloaded(),
    server_error(500),
    server_error(503),
    html_bad_gateway(),
    garbage(),
    garbage(status=500),
    Drop(),
    Reply(400),
    Reply(401),
    Reply(403),
    Reply(404),
    Reply(413),
    Reply(408),
)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, httpx2 and the SDK included, for the duration of the test."""
    loggers = [logging.getLogger(name) for name in ("", "httpx2", "httpcore2", "mcp", "mcp_token_counter")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield caplog
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def env_with_secret(standin: Standin, variable: str, **extra: str) -> dict[str, str]:
    base = "ACEDATACLOUD_API_BASE_URL" if variable == "ACEDATACLOUD_API_TOKEN" else "ANTHROPIC_BASE_URL"
    return {variable: SECRET, base: standin.base_url, **extra}


def texts_of(result: CallToolResult) -> list[str]:
    return [str(result.structured_content), *(getattr(block, "text", "") for block in result.content)]


async def run_fault_suite(standin: Standin, variable: str, fallback: str) -> list[str]:
    """Every scripted fault once, a stall past the timeout, then a burst under random faults."""
    seen: list[str] = []
    env = env_with_secret(standin, variable, TOKEN_COUNTER_FALLBACK=fallback, TOKEN_COUNTER_TIMEOUT="0.2")
    async with connected_with(env, clock=FakeClock()) as client:
        for index, fault in enumerate(FAULTS):
            standin.faults.push(fault, times=3)
            seen += texts_of(await client.call_tool("count_tokens", user_says(f"fault {index}")))
        standin.faults.push(Stall(), times=3)
        seen += texts_of(await client.call_tool("check_context_fit", user_says("stalled")))
        standin.faults.random_faults = RandomFaults(rate=0.3, seed=3)
        burst = await call_all(client, [user_says(f"burst {i}") for i in range(50)])
        seen += [text for result in burst for text in texts_of(result)]
    standin.faults.clear()
    return seen


@pytest.mark.anyio
@pytest.mark.parametrize("fallback", ["error", "estimate"])
@pytest.mark.parametrize("variable", ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ACEDATACLOUD_API_TOKEN"])
async def test_the_key_never_appears_in_results_errors_or_logs(
    standin_factory: StandinFactory,
    debug_logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    variable: str,
    fallback: str,
) -> None:
    flavour = "acedata" if variable == "ACEDATACLOUD_API_TOKEN" else "anthropic"
    standin = standin_factory(StandinConfig(flavour=flavour, keys=frozenset({SECRET})))
    with anyio.fail_after(30):
        seen = await run_fault_suite(standin, variable, fallback)
    assert any(SECRET in (r.headers.get("x-api-key", "") + r.headers.get("authorization", "")) for r in standin.log)
    assert any("Error" in text or "estimate" in text for text in seen), "the faults did reach the results"
    assert_no_secret(seen, debug_logs, capfd)


@pytest.mark.anyio
async def test_the_key_never_appears_when_it_is_refused_or_misconfigured(
    standin: Standin, debug_logs: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A wrong key (401 from the stand-in), a bad setting next to the key, and a base URL carrying it.

    httpx2 logs every request's URL at INFO, so a password in the base URL must not stay in the URL.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    envs: list[dict[str, Any]] = [
        env_with_secret(standin, "ANTHROPIC_API_KEY"),
        env_with_secret(standin, "ANTHROPIC_API_KEY", TOKEN_COUNTER_TIMEOUT="soon"),
        {"ANTHROPIC_API_KEY": SECRET, "ANTHROPIC_BASE_URL": f"http://user:{SECRET}@127.0.0.1:{closed_port}"},
        {"ANTHROPIC_API_KEY": SECRET, "ANTHROPIC_BASE_URL": f"http://user:{SECRET}@127.0.0.1:{standin.port}"},
    ]
    seen: list[str] = []
    for env in envs:
        async with connected_with({**env, "TOKEN_COUNTER_FALLBACK": "error"}) as client:
            seen += texts_of(await client.call_tool("count_tokens", HELLO))
            seen += texts_of(await client.call_tool("check_context_fit", HELLO))
    assert any("401" in text for text in seen)
    assert any("TOKEN_COUNTER_TIMEOUT" in text for text in seen)
    assert any("Could not reach" in text for text in seen)
    assert any("HTTP Request: POST http://127.0.0.1" in r.getMessage() for r in debug_logs.records)
    assert standin.log.last().headers["authorization"].startswith("Basic ")
    assert_no_secret(seen, debug_logs, capfd)


def assert_no_secret(
    seen: list[str], logs: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], secret: str = SECRET
) -> None:
    leaks = [text for text in seen if secret in text]
    leaks += [record.getMessage() for record in logs.records if secret in record.getMessage()]
    leaks += [line for line in logs.text.splitlines() if secret in line]
    out, err = capfd.readouterr()
    leaks += [line for line in (out + err).splitlines() if secret in line]
    assert logs.records, "logging was captured"
    assert leaks == []


@pytest.mark.anyio
async def test_a_malformed_key_is_named_on_each_call_and_never_logged(
    standin: Standin, debug_logs: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A key with a line break went raw into the -vv log and a non-ASCII one gave tracebacks."""
    seen: list[str] = []
    for key in (f"{SECRET}\nsecond-line", f"{SECRET}-ключ"):
        async with connected_with({"ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": standin.base_url}) as client:
            result = await client.call_tool("count_tokens", HELLO)
        assert result.is_error
        seen += texts_of(result)
    assert all("ANTHROPIC_API_KEY is not a valid key" in text for text in seen if text != "None")
    assert len(standin.log) == 0
    assert not any("Traceback" in line for line in debug_logs.text.splitlines())
    assert_no_secret(seen, debug_logs, capfd)


PATH_SECRET = "gw7Kq2ZP9xVb4LmN8sRt"  # a gateway key carried in the base URL's path


@pytest.mark.anyio
@pytest.mark.parametrize("fallback", ["error", "estimate"])
async def test_a_key_echoed_by_the_upstream_is_scrubbed_everywhere(
    standin: Standin, debug_logs: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], fallback: str
) -> None:
    """The key in an error message, in a request-id header and in a content type; relayed nowhere."""
    echoes: list[Fault] = [
        Reply(401, body={"type": "error", "error": {"type": "authentication_error", "message": f"bad key {SECRET}"}}),
        Reply(529, body={"type": "error", "error": {"type": "overloaded_error", "message": f"for {SECRET}"}}),
        Reply(500, body=f"upstream saw x-api-key: {SECRET}".encode(), headers={"content-type": "text/plain"}),
        Reply(200, body=b"<html>", headers={"content-type": f"text/html; key={SECRET}"}),
        Reply(400, body={"type": "error", "error": {"type": "x", "message": "no"}}, headers={"request-id": SECRET}),
    ]
    seen: list[str] = []
    env = env_with_secret(standin, "ANTHROPIC_API_KEY", TOKEN_COUNTER_FALLBACK=fallback, TOKEN_COUNTER_MAX_RETRIES="0")
    async with connected_with(env, clock=FakeClock()) as client:
        for index, fault in enumerate(echoes):
            standin.faults.push(fault)
            seen += texts_of(await client.call_tool("count_tokens", user_says(f"echo {index}")))
    assert any("***" in text for text in seen), seen
    assert_no_secret(seen, debug_logs, capfd)


@pytest.mark.anyio
async def test_a_secret_in_the_base_url_path_is_shown_masked(
    standin: Standin, debug_logs: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """httpx2 logs each request's URL and the connect error names the base URL; neither shows the path key."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    seen: list[str] = []
    for base in (f"{standin.base_url}/{PATH_SECRET}", f"http://127.0.0.1:{closed_port}/{PATH_SECRET}/"):
        env = {"ANTHROPIC_API_KEY": SECRET, "ANTHROPIC_BASE_URL": base, "TOKEN_COUNTER_MAX_RETRIES": "0"}
        async with connected_with(env, clock=FakeClock()) as client:
            seen += texts_of(await client.call_tool("count_tokens", HELLO))
    assert any(f"http://127.0.0.1:{closed_port}/***/" in text for text in seen), seen
    assert any(f"/{PATH_SECRET}/v1/messages/count_tokens" == r.path for r in standin.log)
    assert any("HTTP Request: POST" in r.getMessage() for r in debug_logs.records)
    assert_no_secret(seen, debug_logs, capfd, secret=PATH_SECRET)
    assert_no_secret(seen, debug_logs, capfd)
