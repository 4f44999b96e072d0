"""What real clients add to a call: ``null`` for every optional argument, and fields of their own.

Agent frameworks send every optional argument the model left out as ``null``; each tool takes that as absent.

mcp-use's LangChain tool wrapper (mcp-use 1.7.1) builds a pydantic model from the input schema and passes
every field, so an argument the model did not set arrives as ``null``. mcp-use itself cannot be installed
beside this project (it requires ``mcp<2`` and ``httpx``): here the SDK's client sends exactly those arguments to
every tool, and tests/test_mcp_use.py runs the real mcp-use from a venv of its own.
Gemini CLI adds ``wait_for_previous`` to every call: the stand-in records that it never reaches the API.
"""

from pathlib import Path
from typing import Any, cast

import pytest
from mcp import Client
from mcp.types import Tool

from tests.standin import COUNT_PATH, Standin
from tests.support import HELLO, connected, env_for, sent

REQUIRED: dict[str, dict[str, Any]] = {
    "count_tokens": HELLO,
    "check_context_fit": HELLO,
    "count_files": {"model": "claude-sonnet-4-6", "paths": ["notes.txt"]},
    "count_tool_definitions": {"model": "claude-sonnet-4-6", "tools": [{"name": "t", "input_schema": {}}]},
}


def as_mcp_use_sends(tool: Tool) -> dict[str, Any]:
    """The required arguments, and every other argument the schema lists as ``null``."""
    given = REQUIRED[tool.name]
    return {name: given.get(name) for name in tool.input_schema["properties"]}


async def listed(client: Client) -> dict[str, Tool]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(REQUIRED))
async def test_every_optional_argument_may_be_null(standin: Standin, tmp_path: Path, name: str) -> None:
    (tmp_path / "notes.txt").write_text("Hello, Claude", encoding="utf-8")
    async with connected(env_for(standin, TOKEN_COUNTER_ALLOWED_DIRS=str(tmp_path))) as client:
        tool = (await listed(client))[name]
        arguments = as_mcp_use_sends(tool)
        assert None in arguments.values()
        result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content


@pytest.mark.anyio
async def test_null_optional_fields_never_reach_the_api(standin: Standin) -> None:
    async with connected(env_for(standin)) as client:
        arguments = as_mcp_use_sends((await listed(client))["count_tokens"])
        result = await client.call_tool("count_tokens", arguments)
    assert result.structured_content is not None
    assert result.structured_content["ignored_fields"] == []
    (seen,) = standin.log.to(COUNT_PATH)
    assert sent(seen) == {"model": HELLO["model"], "messages": HELLO["messages"]}
    assert "anthropic-beta" not in seen.headers


@pytest.mark.anyio
async def test_a_null_required_argument_is_still_refused(standin: Standin) -> None:
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tokens", {**HELLO, "model": None})
    assert result.is_error
    assert "model" in str(result.content)


# Gemini CLI 0.61 adds this to every tool call; it is the client's bookkeeping, not a Messages API field.
GEMINI_EXTRA = {"wait_for_previous": False}


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["count_tokens", "check_context_fit"])
async def test_a_clients_bookkeeping_field_never_reaches_the_api(standin: Standin, name: str) -> None:
    async with connected(env_for(standin)) as client:
        result = await client.call_tool(name, {**HELLO, **GEMINI_EXTRA})
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert result.structured_content["ignored_fields"] == ["wait_for_previous"]
    (seen,) = standin.log.to(COUNT_PATH)
    assert sent(seen) == HELLO


@pytest.mark.anyio
async def test_extra_body_fields_are_forwarded_as_they_are(standin: Standin) -> None:
    """A field newer than the server's table reaches the API through extra_body (the stand-in refuses it)."""
    extra = {"future_field_2027": {"level": 2}}
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tokens", {**HELLO, "extra_body": extra, **GEMINI_EXTRA})
    (seen,) = standin.log.to(COUNT_PATH)
    assert sent(seen) == {**HELLO, **extra}
    assert "future_field_2027: Extra inputs are not permitted" in str(result.content)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("extra_body", "wanted"),
    [(["x"], "must be an object"), ({"model": "claude-opus-4-6"}, "model cannot be set here")],
)
async def test_a_bad_extra_body_is_refused_before_sending(standin: Standin, extra_body: object, wanted: str) -> None:
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tokens", {**HELLO, "extra_body": extra_body})
    assert result.is_error
    assert wanted in str(result.content)
    assert standin.log.to(COUNT_PATH) == ()


def unportable(node: object, where: str = "") -> list[str]:
    """What schema linters warn about and Gemini rewrites: type lists, empty schemas and null types."""
    if isinstance(node, list):
        items = cast(list[object], node)
        return [found for i, item in enumerate(items) for found in unportable(item, f"{where}[{i}]")]
    if not isinstance(node, dict):
        return []
    fields: dict[str, Any] = node  # pyright: ignore[reportUnknownVariableType]
    found = [f"{where}: empty schema"] if not fields else []
    if isinstance(fields.get("type"), list) or fields.get("type") == "null":
        found.append(f"{where}: type {fields['type']}")
    for key, value in fields.items():
        if key == "properties":
            found += [hit for name, prop in value.items() for hit in unportable(prop, f"{where}.{name}")]
        elif key != "enum":
            found += unportable(value, f"{where}/{key}")
    return found


@pytest.mark.anyio
async def test_input_schemas_are_portable_yet_null_is_taken(standin: Standin) -> None:
    """No type lists, empty schemas or null types in any input schema (the Inspector warned 22 times)."""
    async with connected(env_for(standin)) as client:
        tools = await listed(client)
    assert {name: unportable(tool.input_schema) for name, tool in tools.items()} == {name: [] for name in tools}
