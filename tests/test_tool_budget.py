"""The context every client pays for our tools on every turn: the whole tools/list, pinned."""

import json

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped
import pytest

from tests.support import Mode, connected

BUDGET = 1_750  # ctok "3.0" tokens for names, titles, descriptions, schemas and annotations of all five tools


@pytest.mark.anyio
async def test_tools_list_stays_under_the_token_budget(mode: Mode) -> None:
    """Compact JSON of every tool, as a client would put it in context, costs under 1,750 tokens (issue 27:
    1,500 for four tools, 1,750 once check_prompt_cache is the fifth)."""
    async with connected({}, mode) as client:
        listed = await client.list_tools()
    tools = [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in listed.tools]
    text = json.dumps(tools, separators=(",", ":"), ensure_ascii=False)
    assert [tool["name"] for tool in tools] == [
        "count_tokens",
        "check_context_fit",
        "count_files",
        "count_tool_definitions",
        "check_prompt_cache",
    ]
    assert ctok.token_count(text, "3.0") < BUDGET
