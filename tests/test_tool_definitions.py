"""count_tool_definitions through the in-memory client: per tool, the tool-use prompt once, sums exact."""

from typing import Any

import pytest
from mcp.types import Tool, ToolAnnotations

from mcp_token_counter.core.tool_shape import messages_tool
from mcp_token_counter.core.tooldefs import MAX_PARTS, split
from tests.standin import COUNT_PATH, Standin, expected_count
from tests.support import Mode, connected, env_for, error_text

MODEL = "claude-sonnet-4-6"
SEED = {"role": "user", "content": "."}
WEATHER = Tool(
    name="get_weather",
    title="Weather",
    description="Get the weather for a city.",
    input_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    output_schema={"type": "object", "properties": {"celsius": {"type": "number"}}},
    annotations=ToolAnnotations(read_only_hint=True),
)
TIME = Tool(name="get_time", input_schema={"type": "object", "properties": {"zone": {"type": "string"}}})


def wire(tool: Tool) -> dict[str, Any]:
    """An MCP Tool as a server lists it on the wire."""
    return tool.model_dump(by_alias=True, exclude_none=True, mode="json")


def body(tools: list[dict[str, Any]]) -> dict[str, Any]:
    base: dict[str, Any] = {"model": MODEL, "messages": [SEED]}
    return {**base, "tools": tools} if tools else base


def test_an_mcp_tool_becomes_the_documented_custom_tool_shape() -> None:
    """name, description, input_schema; what the host keeps (title, outputSchema, annotations) is dropped."""
    assert messages_tool(wire(WEATHER)) == {
        "name": "get_weather",
        "description": "Get the weather for a city.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    assert messages_tool(wire(TIME)) == {
        "name": "get_time",
        "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}},
    }


def test_names_the_api_refuses_are_rewritten_and_messages_tools_pass_through() -> None:
    assert messages_tool({"name": "files/read.v2", "inputSchema": {"type": "object"}})["name"] == "files_read_v2"
    assert messages_tool({"name": "x" * 80})["name"] == "x" * 64
    assert messages_tool({"name": "t"}) == {"name": "t", "input_schema": {"type": "object"}}
    bash = {"type": "bash_20250124", "name": "bash"}
    custom = {"name": "t", "description": "d", "input_schema": {"type": "object"}, "cache_control": {"type": "x"}}
    assert (messages_tool(bash), messages_tool(custom)) == (bash, custom)


@pytest.mark.anyio
async def test_through_the_api_each_tool_is_a_leave_one_out_and_the_overhead_is_counted_once(
    standin: Standin, mode: Mode
) -> None:
    noop: dict[str, Any] = {"name": "noop", "description": "Does nothing.", "input_schema": {"type": "object"}}
    tools = [wire(WEATHER), wire(TIME), noop]
    converted = [messages_tool(tool) for tool in tools]
    async with connected(env_for(standin), mode) as client:
        result = await client.call_tool("count_tool_definitions", {"model": MODEL, "tools": tools, "server": "s"})
        sent = len(standin.log.to(COUNT_PATH))
        again = await client.call_tool("count_tool_definitions", {"model": MODEL, "tools": tools})
    content = result.structured_content
    assert content is not None
    full = expected_count(body(converted))
    expected = {
        tool["name"]: full - expected_count(body([t for t in converted if t is not tool])) for tool in converted
    }
    assert content["tools"] == expected
    assert list(content["tools"].values()) == sorted(expected.values(), reverse=True)
    assert content["total"] == full - expected_count(body([]))
    assert content["overhead"] + sum(content["tools"].values()) == content["total"]
    assert (content["source"], content["server"], content["context_window"]) == ("api", "s", 1_000_000)
    assert content["share"] == pytest.approx(content["total"] / 1_000_000)
    assert sent == len(tools) + 2  # the whole set, the set without tools, one leave-one-out per tool
    assert len(standin.log.to(COUNT_PATH)) == sent  # the repeat was answered by the cache
    assert again.structured_content is not None
    assert again.structured_content["tools"] == expected


@pytest.mark.anyio
async def test_a_single_tool_is_measured_against_a_probe_so_the_prompt_stays_out_of_it(standin: Standin) -> None:
    tool = messages_tool(wire(WEATHER))
    probe = {"name": "token_counter_probe", "input_schema": {"type": "object"}}
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tool_definitions", {"model": MODEL, "tools": [wire(WEATHER)]})
    content = result.structured_content
    assert content is not None
    assert content["tools"] == {"get_weather": expected_count(body([tool, probe])) - expected_count(body([probe]))}
    assert content["total"] == expected_count(body([tool])) - expected_count(body([]))
    assert content["overhead"] == content["total"] - content["tools"]["get_weather"]


@pytest.mark.anyio
async def test_many_tools_are_left_out_in_groups_and_the_calls_stay_bounded(standin: Standin) -> None:
    tools = [
        {"name": f"tool_{i}", "description": "word " * (i + 1), "inputSchema": {"type": "object"}} for i in range(100)
    ]
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tool_definitions", {"model": MODEL, "tools": tools})
    content = result.structured_content
    assert content is not None
    assert len(standin.log.to(COUNT_PATH)) <= MAX_PARTS + 2
    assert len(content["tools"]) == 100
    assert content["overhead"] + sum(content["tools"].values()) == content["total"]
    assert content["total"] == expected_count(body([messages_tool(t) for t in tools])) - expected_count(body([]))
    assert any("groups" in note for note in content["notes"])


@pytest.mark.anyio
async def test_offline_the_prompt_is_the_documented_346_once(mode: Mode) -> None:
    """counting-api.md §15.4: 346 tokens for tool_choice auto on Claude 4-era models, once per request."""
    tools = [wire(WEATHER), wire(TIME)]
    async with connected({}, mode) as client:
        result = await client.call_tool("count_tool_definitions", {"model": MODEL, "tools": tools})
        alone = await client.call_tool("count_tool_definitions", {"model": MODEL, "tools": [wire(TIME)]})
    content, single = result.structured_content, alone.structured_content
    assert content is not None
    assert single is not None
    assert (content["source"], content["overhead"], single["overhead"]) == ("estimate", 346, 346)
    assert content["overhead"] + sum(content["tools"].values()) == content["total"]
    assert content["tools"]["get_time"] == single["tools"]["get_time"]
    assert content["uncertainty_tokens"] > 0


@pytest.mark.parametrize(
    ("tools", "problem"),
    list[tuple[list[Any], str]](
        [([], "pass between 1 and"), (["get_weather"], "tools[0]: a tool definition is an object"), ([{}], "no name")]
    ),
)
@pytest.mark.anyio
async def test_bad_definitions_are_refused_in_our_words(tools: list[Any], problem: str) -> None:
    async with connected({}) as client:
        result = await client.call_tool("count_tool_definitions", {"model": MODEL, "tools": tools})
        still = await client.call_tool("count_tool_definitions", {"model": MODEL, "tools": [wire(TIME)]})
    assert problem in error_text(result)
    assert not still.is_error


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [(10, [1, 1, 1], [4, 3, 3]), (7, [0, 0], [4, 3]), (100, [30, 10], [75, 25]), (5, [2, 2, 1], [2, 2, 1])],
)
def test_a_group_figure_is_split_in_whole_tokens_that_sum_to_it(
    total: int, weights: list[int], parts: list[int]
) -> None:
    assert split(total, weights) == parts


@pytest.mark.anyio
async def test_a_model_without_a_known_window_still_gets_its_counts() -> None:
    async with connected({}) as client:
        result = await client.call_tool("count_tool_definitions", {"model": "claude-new-9", "tools": [wire(TIME)]})
    content = result.structured_content
    assert content is not None
    assert "context_window" not in content
    assert "share" not in content
    assert content["total"] > 0
    assert any("No window is known for claude-new-9" in note for note in content["notes"])
