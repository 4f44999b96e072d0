"""breakdown=true through a real MCP client: parts sum exactly to the total, through the API and offline."""

import base64
import copy
import io
from typing import Any

import pytest
from PIL import Image

from mcp_token_counter.core.breakdown import MAX_MEDIA_PARTS, MAX_MESSAGE_PARTS, message_groups
from mcp_token_counter.core.counter import SYSTEM_TOKENS_NOTE
from tests.standin import Standin, expected_count, garbage
from tests.support import Mode, connected, env_for


def _png(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": _png(300, 200)}}
PAYLOAD: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "system": "You are a meteorologist. 你是气象学家。",
    "tools": [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }
    ],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "What is in this photo? 🌧️"}, IMAGE]},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "東京"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "雨"}]},
    ],
}
PARTS = {"overhead", "system", "tools", "messages[0]", "messages[0].content[1]", "messages[1]", "messages[2]"}


@pytest.mark.anyio
async def test_api_breakdown_sums_exactly_and_reports_its_calls(standin: Standin, mode: Mode) -> None:
    """Every part is named, the parts add up to the API's total, and the note counts the extra calls."""
    async with connected(env_for(standin), mode) as client:
        result = await client.call_tool("count_tokens", {**PAYLOAD, "breakdown": True})
    content = result.structured_content
    assert content is not None, result
    parts: dict[str, int] = content["breakdown"]
    assert set(parts) == PARTS
    assert sum(parts.values()) == content["input_tokens"] == expected_count(PAYLOAD)
    without_image = copy.deepcopy(PAYLOAD)
    del without_image["messages"][0]["content"][1]
    assert parts["messages[0].content[1]"] == expected_count(PAYLOAD) - expected_count(without_image)
    # seed, +system, +tools, prefixes [:1] and [:2], the image left out; plus the total itself.
    assert content["notes"] == [SYSTEM_TOKENS_NOTE, "breakdown: 6 extra count_tokens calls"]
    assert len(standin.log) == 7


@pytest.mark.anyio
async def test_breakdown_calls_answered_by_the_cache_are_not_reported_as_sent(standin: Standin) -> None:
    """A repeated breakdown is answered from the count cache: the same parts, and a note that says so."""
    async with connected(env_for(standin)) as client:
        first = await client.call_tool("count_tokens", {**PAYLOAD, "breakdown": True})
        again = await client.call_tool("count_tokens", {**PAYLOAD, "breakdown": True})
    assert first.structured_content is not None
    assert again.structured_content is not None
    assert again.structured_content["breakdown"] == first.structured_content["breakdown"]
    assert again.structured_content["cached"] is True
    note = "breakdown: 0 extra count_tokens calls, 6 more answered from the cache"
    assert again.structured_content["notes"] == [SYSTEM_TOKENS_NOTE, note]
    assert len(standin.log) == 7


@pytest.mark.anyio
async def test_offline_breakdown_sums_exactly_to_the_estimate(mode: Mode) -> None:
    """Without a key the estimator's parts are used, under the same names, and still sum exactly."""
    async with connected({}, mode) as client:
        result = await client.call_tool("count_tokens", {**PAYLOAD, "breakdown": True})
    content = result.structured_content
    assert content is not None, result
    parts: dict[str, int] = content["breakdown"]
    assert set(parts) == PARTS
    assert sum(parts.values()) == content["input_tokens"]
    assert content["source"] == "estimate"
    assert parts["messages[0].content[1]"] > 50  # 300x200 px is ~77 image tokens
    assert "breakdown: offline estimate, no extra calls" in content["notes"]


@pytest.mark.anyio
async def test_long_conversations_are_grouped_to_bound_the_calls(standin: Standin) -> None:
    """Forty messages become sixteen ranges, and the number of calls stays bounded."""
    turns = [{"role": ("user", "assistant")[i % 2], "content": f"turn {i} " * (i + 1)} for i in range(40)]
    async with connected(env_for(standin)) as client:
        result = await client.call_tool(
            "count_tokens", {"model": "claude-haiku-4-5", "messages": turns, "breakdown": True}
        )
    content = result.structured_content
    assert content is not None, result
    parts: dict[str, int] = content["breakdown"]
    assert sum(parts.values()) == content["input_tokens"]
    assert list(parts)[:3] == ["overhead", "messages[0-2]", "messages[3-5]"]
    assert len(parts) == 1 + len(message_groups(40)) == 1 + 14
    assert len(standin.log) == 1 + 1 + 13 <= 2 + MAX_MESSAGE_PARTS + MAX_MEDIA_PARTS


@pytest.mark.anyio
async def test_context_fit_names_the_biggest_parts_when_it_does_not_fit(standin: Standin, mode: Mode) -> None:
    """A request over its window says which parts to trim first."""
    async with connected(env_for(standin), mode) as client:
        result = await client.call_tool(
            "check_context_fit", {**PAYLOAD, "context_window": 100, "max_tokens": 10, "breakdown": True}
        )
    content = result.structured_content
    assert content is not None, result
    assert content["fits"] is False
    parts: dict[str, int] = content["breakdown"]
    top = sorted(parts.items(), key=lambda item: item[1], reverse=True)[:3]
    assert content["notes"][-1] == "Biggest parts: " + ", ".join(f"{n} {t}" for n, t in top) + "."


@pytest.mark.anyio
async def test_without_breakdown_no_extra_call_is_made(standin: Standin) -> None:
    """breakdown defaults to off: one request, no parts."""
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tokens", PAYLOAD)
    assert result.structured_content is not None
    assert "breakdown" not in result.structured_content
    assert len(standin.log) == 1


@pytest.mark.anyio
async def test_one_failed_partial_count_leaves_the_total_and_says_why(standin: Standin, mode: Mode) -> None:
    """A garbage answer to one differential count: the API's total stays, the parts come from the estimate
    with the difference in overhead, and the note names the cause (not the SDK's bare error)."""
    async with connected(env_for(standin), mode) as client:
        await client.call_tool("count_tokens", PAYLOAD)  # the total is now cached; the next request is a part
        standin.faults.push(garbage())
        result = await client.call_tool("count_tokens", {**PAYLOAD, "breakdown": True})
    content = result.structured_content
    assert content is not None, result
    assert content["source"] == "api"
    assert content["input_tokens"] == expected_count(PAYLOAD) == sum(content["breakdown"].values())
    assert any(
        note.startswith("breakdown: offline estimate, overhead holds the difference to the API total")
        and "fell back to an estimate (api_unavailable)" in note
        for note in content["notes"]
    ), content["notes"]


@pytest.mark.anyio
async def test_a_long_conversation_offline_is_itemised_in_bounded_parts(mode: Mode) -> None:
    """Thousands of messages and many images: messages grouped as the API breakdown groups them, at most
    MAX_MEDIA_PARTS images carved out, and the parts still sum exactly to the estimate."""
    turns: list[dict[str, Any]] = [
        {"role": ("user", "assistant")[i % 2], "content": f"turn {i} 🌧️ 雨"} for i in range(3000)
    ]
    for i in range(0, 3000, 200):
        turns[i] = {"role": "user", "content": [{"type": "text", "text": f"photo {i}"}, IMAGE]}
    async with connected({}, mode) as client:
        result = await client.call_tool(
            "count_tokens", {"model": "claude-sonnet-4-6", "messages": turns, "breakdown": True}
        )
    content = result.structured_content
    assert content is not None, result
    parts: dict[str, int] = content["breakdown"]
    assert sum(parts.values()) == content["input_tokens"]
    assert len(parts) == 1 + len(message_groups(3000)) + MAX_MEDIA_PARTS
    assert list(parts)[1] == "messages[0-187]"
    assert parts["messages[0].content[1]"] == parts["messages[1400].content[1]"] > 50
