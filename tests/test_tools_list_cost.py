"""The whole tools/list stays under 1,500 tokens: every client pays for it on every turn."""

import json

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped; its public functions are annotated
import pytest

from tests.reliability import connected_with

BUDGET = 1500


@pytest.mark.anyio
async def test_tools_list_costs_under_1500_tokens() -> None:
    async with connected_with({}) as client:
        listed = await client.list_tools()
    wire = json.dumps(
        [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in listed.tools],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    tokens: int = ctok.token_count(wire)  # the Claude 4-era tokenizer (ctok 3.0)
    assert tokens < BUDGET
