"""Helpers to run the real server against the stand-in through the SDK's in-memory client."""

from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal

from mcp import Client
from mcp.types import CallToolResult

from mcp_token_counter.app import TokenCounterServer, build_server
from mcp_token_counter.config import load_settings
from tests.standin import DEFAULT_KEY, RecordedRequest, Standin

Mode = Literal["auto", "legacy"]
HELLO: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "messages": [{"role": "user", "content": "Hello, Claude"}],
}


def env_for(standin: Standin, **extra: str) -> dict[str, str]:
    """Environment pointing the server at ``standin`` with a key it accepts."""
    if standin.config.flavour == "acedata":
        env = {"ACEDATACLOUD_API_TOKEN": DEFAULT_KEY, "ACEDATACLOUD_API_BASE_URL": standin.base_url}
    else:
        env = {"ANTHROPIC_API_KEY": DEFAULT_KEY, "ANTHROPIC_BASE_URL": standin.base_url}
    return {**env, **extra}


def server_for(env: Mapping[str, str]) -> TokenCounterServer:
    """The server exactly as ``__main__`` builds it, from ``env``."""
    settings, config_error = load_settings(env)
    return build_server(settings, config_error=config_error)


@asynccontextmanager
async def connected(env: Mapping[str, str], mode: Mode = "auto") -> AsyncGenerator[Client]:
    """An in-memory client session with a server built from ``env``."""
    async with Client(server_for(env), mode=mode) as client:
        yield client


def error_text(result: CallToolResult) -> str:
    """The text of an isError result (asserting it is one)."""
    assert result.is_error, result
    text = getattr(result.content[0], "text", "")
    assert isinstance(text, str)
    return text


def sent(record: RecordedRequest) -> dict[str, Any]:
    """The JSON object a recorded request carried."""
    assert isinstance(record.json, dict), record
    return record.json


def answered(record: RecordedRequest) -> dict[str, Any]:
    """The JSON object the stand-in answered a recorded request with."""
    assert isinstance(record.response_json, dict), record
    return record.response_json
