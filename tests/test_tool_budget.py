"""The context every client pays for our tools on every turn: the whole tools/list, pinned."""

import json

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped
import pytest

from tests.support import Mode, connected

BUDGET = 1_500  # ctok "3.0" tokens for names, titles, descriptions, schemas and annotations of all tools


@pytest.mark.anyio
async def test_tools_list_stays_under_the_token_budget(mode: Mode) -> None:
    """Compact JSON of every tool, as a client would put it in context, costs under 1,500 tokens."""
    async with connected({}, mode) as client:
        listed = await client.list_tools()
    tools = [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in listed.tools]
    text = json.dumps(tools, separators=(",", ":"), ensure_ascii=False)
    assert [tool["name"] for tool in tools] == [
        "count_tokens",
        "check_context_fit",
        "count_files",
        "count_tool_definitions",
    ]
    assert ctok.token_count(text, "3.0") < BUDGET
