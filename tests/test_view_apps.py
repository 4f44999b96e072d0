"""The view's MCP side: only clients that negotiate Apps see it; everyone else lists and gets what they did."""

import json
from pathlib import Path
from typing import Any, Final

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped
import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.types import CallToolResult

from mcp_token_counter.view.page import VIEW_URI
from tests.standin import Standin
from tests.support import HELLO, Mode, env_for, server_for
from tests.test_tool_budget import BUDGET

APPS: Final = advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})
TOOLS: Final = ("count_tokens", "check_context_fit", "count_files", "check_prompt_cache")


def _client(env: dict[str, str], mode: Mode, *, apps: bool) -> Client:
    return Client(server_for(env), mode=mode, extensions=[APPS] if apps else [])


@pytest.mark.anyio
async def test_a_client_with_apps_finds_the_view_on_each_counting_tool(mode: Mode) -> None:
    async with _client({}, mode, apps=True) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        resources = [str(r.uri) for r in (await client.list_resources()).resources]
        contents = (await client.read_resource(VIEW_URI)).contents[0]
    for name in TOOLS:
        assert tools[name].meta == {"ui": {"resourceUri": VIEW_URI}}
    assert VIEW_URI in resources
    assert contents.mime_type == "text/html;profile=mcp-app"
    assert contents.meta is None  # no CSP domains: the host's restrictive default, nothing loaded
    assert getattr(contents, "text", "").startswith("<!doctype html>")


@pytest.mark.anyio
async def test_a_client_without_apps_lists_what_it_listed_before(mode: Mode) -> None:
    async with _client({}, mode, apps=False) as client:
        tools = (await client.list_tools()).tools
        resources = [str(r.uri) for r in (await client.list_resources()).resources]
    assert all(tool.meta is None for tool in tools)
    assert resources == ["models://catalog"]


@pytest.mark.anyio
async def test_the_model_reads_no_more_with_apps(mode: Mode) -> None:
    """_meta is for the host and never reaches the model: with Apps the rest of tools/list is unchanged, so
    the budget pinned in test_tool_budget holds for both kinds of client."""
    listed: dict[bool, list[dict[str, Any]]] = {}
    for apps in (False, True):
        async with _client({}, mode, apps=apps) as client:
            tools = (await client.list_tools()).tools
        listed[apps] = [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]
    for_model = [{k: v for k, v in tool.items() if k != "_meta"} for tool in listed[True]]
    assert for_model == listed[False]
    assert ctok.token_count(json.dumps(for_model, separators=(",", ":"), ensure_ascii=False), "3.0") < BUDGET


def _comparable(result: CallToolResult) -> dict[str, Any]:
    """The result in wire form, less the stand-in's request ids (new for every call)."""
    wire = result.model_dump(by_alias=True, mode="json", exclude={"meta"})
    wire["structuredContent"].pop("request_id", None)
    for block in wire["content"]:
        text = json.loads(block["text"])
        text.pop("request_id", None)
        block["text"] = text
    return wire


async def _results(env: dict[str, str], mode: Mode, project: Path, *, apps: bool) -> list[dict[str, Any]]:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("count_tokens", {**HELLO, "breakdown": True}),
        ("check_context_fit", {**HELLO, "max_tokens": 1000}),
        ("count_files", {"paths": [str(project)], "model": "claude-sonnet-4-6"}),
    ]
    results: list[dict[str, Any]] = []
    async with _client(env, mode, apps=apps) as client:
        for name, arguments in calls:
            result = await client.call_tool(name, arguments)
            assert not result.is_error, result
            results.append(_comparable(result))
    return results


@pytest.mark.anyio
async def test_results_are_the_same_with_and_without_apps(mode: Mode, standin: Standin, tmp_path: Path) -> None:
    """Text and structured content of every counting tool are identical whether or not Apps was negotiated."""
    (tmp_path / "a.md").write_text("Hello, files. " * 20, encoding="utf-8")
    for env in ({}, env_for(standin)):
        env = {**env, "TOKEN_COUNTER_ALLOWED_DIRS": str(tmp_path)}
        without = await _results(env, mode, tmp_path, apps=False)
        with_apps = await _results(env, mode, tmp_path, apps=True)
        assert [r["structuredContent"]["input_tokens"] > 0 for r in without] == [True, True, True]
        assert with_apps == without
