"""Framing, tools, thinking, unknown models and blocks, caching, and text that bites."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import ctok  # pyright: ignore[reportMissingTypeStubs]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcp_token_counter.catalog import ModelSpec, builtin_catalog
from mcp_token_counter.offline.request.errors import MalformedRequest
from mcp_token_counter.offline.request.estimate import estimate_request
from mcp_token_counter.offline.request.result import Estimate
from mcp_token_counter.offline.text.count import clear_text_cache, text_cache_info

WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Get the current weather in a given location",
    "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
}
TIME: dict[str, Any] = {
    "name": "get_time",
    "description": "Get the current time in a given time zone",
    "input_schema": {"type": "object", "properties": {"timezone": {"type": "string"}}},
}
THOUGHT = "The user asks about primes congruent to 3 mod 4; recall Euclid's argument and adapt it."


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def assistant(content: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


def parts(estimate: Estimate) -> dict[str, int]:
    return {part.name: part.tokens for part in estimate.parts}


def with_tools(tools: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"tools": tools, "messages": [user("What's the weather?")], **extra}


# ---- text and framing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "東京の天気はどうですか？今日は晴れです。",  # noqa: RUF001  (full-width punctuation is the point)
        "你好，世界！这是一个测试。",  # noqa: RUF001
        "Hello 👋🏽 world 🎉🇯🇵 family 👨‍👩‍👧‍👦",
        "مرحبا بالعالم، كيف حالك؟",
        "C:\\temp\\new folder\\n \\t escapes \\\\ stay literal",
        "word " * 5000,
    ],
)
@pytest.mark.parametrize("model", ["claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8"])
def test_a_single_user_message_is_exactly_ctoks_count(
    lookup: Callable[[str], ModelSpec], text: str, model: str
) -> None:
    spec = lookup(model)
    estimate = estimate_request({"messages": [user(text)]}, spec)
    assert estimate.input_tokens == ctok.token_count(text, spec.ctok_version)


def test_system_blocks_cost_their_text(fragment: Callable[[str, str], int], opus_4_6: ModelSpec) -> None:
    system = [{"type": "text", "text": "You are a scientist"}, {"type": "text", "text": "Be brief."}]
    estimate = estimate_request({"system": system, "messages": [user("Hi")]}, opus_4_6)
    assert parts(estimate)["system"] == fragment("You are a scientist", "3.0") + fragment("Be brief.", "3.0")


def test_a_prefilled_assistant_turn_uses_the_frames_header(opus_4_6: ModelSpec) -> None:
    alone = estimate_request({"messages": [user("Hi")]}, opus_4_6)
    prefilled = estimate_request({"messages": [user("Hi"), assistant("Hello")]}, opus_4_6)
    follow_up = estimate_request({"messages": [user("Hi"), assistant("Hello"), user("Hi")]}, opus_4_6)
    prefill_text = parts(prefilled)["messages[1]"]
    assert prefilled.input_tokens == alone.input_tokens + prefill_text
    # A further user turn pays a header for the assistant turn that is no longer last, and one for itself.
    assert follow_up.input_tokens > prefilled.input_tokens + parts(alone)["messages[0]"]


def test_consecutive_messages_of_one_role_share_a_turn(opus_4_6: ModelSpec) -> None:
    split = estimate_request({"messages": [user("Hi"), user("there")]}, opus_4_6)
    assert (
        parts(split)["messages[1]"] == parts(estimate_request({"messages": [user("there")]}, opus_4_6))["messages[0]"]
    )


# ---- tools ----------------------------------------------------------------------------------------


def test_the_tool_prompt_is_counted_once_not_per_tool(opus_4_6: ModelSpec) -> None:
    both = estimate_request(with_tools([WEATHER, TIME]), opus_4_6)
    weather = estimate_request(with_tools([WEATHER]), opus_4_6)
    clock = estimate_request(with_tools([TIME]), opus_4_6)
    none = estimate_request(with_tools([]), opus_4_6)
    # Counting the tools one request at a time pays the documented 346-token prompt one extra time.
    assert weather.input_tokens + clock.input_tokens - both.input_tokens - none.input_tokens == 346


@pytest.mark.parametrize(("choice", "documented"), [("auto", 346), ("none", 346), ("any", 313), ("tool", 313)])
def test_tool_prompt_by_tool_choice(opus_4_6: ModelSpec, choice: str, documented: int) -> None:
    estimate = estimate_request(with_tools([WEATHER], tool_choice={"type": choice, "name": "get_weather"}), opus_4_6)
    assert parts(estimate)["tool_use_system_prompt"] == documented


def test_no_tools_cost_nothing_even_with_tool_choice_none(opus_4_6: ModelSpec) -> None:
    plain = estimate_request({"messages": [user("What's the weather?")]}, opus_4_6)
    estimate = estimate_request(with_tools([], tool_choice={"type": "none"}), opus_4_6)
    assert estimate.input_tokens == plain.input_tokens
    assert "tool_use_system_prompt" not in parts(estimate)


@pytest.mark.parametrize(
    ("model", "tool", "documented"),
    [
        ("claude-opus-4-6", {"type": "bash_20250124", "name": "bash"}, 244),
        ("claude-sonnet-4-6", {"type": "bash_20250124", "name": "bash"}, 244),
        ("claude-opus-4-7", {"type": "bash_20250124", "name": "bash"}, 325),
        ("claude-opus-4-8", {"type": "bash_20250124", "name": "bash"}, 325),
        ("claude-opus-4-6", {"type": "text_editor_20250429", "name": "str_replace_based_edit_tool"}, 700),
        ("claude-opus-5", {"type": "computer_toolset_20260801", "name": "computer"}, 4520),
        ("claude-sonnet-5", {"type": "computer_toolset_20260801", "name": "computer"}, 4590),
        ("claude-opus-5", {"type": "computer_toolset_20260801", "name": "computer", "enable_zoom": False}, 4110),
    ],
)
def test_anthropic_schema_tools_use_documented_costs(
    lookup: Callable[[str], ModelSpec], model: str, tool: dict[str, Any], documented: int
) -> None:
    assert parts(estimate_request(with_tools([tool]), lookup(model)))["tools"] == documented


def test_an_undocumented_anthropic_tool_is_counted_from_json_with_a_note(opus_4_6: ModelSpec) -> None:
    estimate = estimate_request(with_tools([{"type": "web_search_20250305", "name": "web_search"}]), opus_4_6)
    assert parts(estimate)["tools"] > 0
    assert any("web_search_20250305" in note for note in estimate.notes)
    assert estimate.uncertainty_tokens >= 700


def test_a_deferred_tool_is_left_to_the_margin(opus_4_6: ModelSpec) -> None:
    loaded = estimate_request(with_tools([WEATHER]), opus_4_6)
    deferred = estimate_request(with_tools([WEATHER, TIME | {"defer_loading": True}]), opus_4_6)
    assert deferred.input_tokens == loaded.input_tokens
    assert deferred.uncertainty_tokens > loaded.uncertainty_tokens
    assert any("defer_loading" in note for note in deferred.notes)


def test_tool_use_and_results_cost_their_content(fragment: Callable[[str, str], int], opus_4_6: ModelSpec) -> None:
    call = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"location": "Paris"}}
    result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "Sunny, 21 °C"}
    estimate = estimate_request({"messages": [user("Weather?"), assistant([call]), user([result])]}, opus_4_6)
    assert parts(estimate)["messages[1]"] >= fragment("get_weather", "3.0") + fragment('{"location":"Paris"}', "3.0")
    assert parts(estimate)["messages[2]"] >= fragment("Sunny, 21 °C", "3.0")


# ---- thinking -------------------------------------------------------------------------------------


def thinking_conversation(*, tool_loop: bool) -> dict[str, Any]:
    thinking = {"type": "thinking", "thinking": THOUGHT, "signature": "c2ln"}
    if tool_loop:
        call = {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "primes"}}
        result = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}
        messages = [user("Prove it."), assistant([thinking, call]), user([result])]
    else:
        messages = [user("Prove it."), assistant([thinking, {"type": "text", "text": "Yes."}]), user("Formally?")]
    return {"thinking": {"type": "enabled", "budget_tokens": 2048}, "messages": messages}


def without_thinking_blocks(body: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(body)
    for message in stripped["messages"]:
        if isinstance(message["content"], list):
            message["content"] = [b for b in message["content"] if b.get("type") != "thinking"]
    return stripped


def thinking_share(body: dict[str, Any], spec: ModelSpec) -> int:
    return (
        estimate_request(body, spec).input_tokens - estimate_request(without_thinking_blocks(body), spec).input_tokens
    )


def test_previous_turn_thinking_counts_where_the_model_keeps_it(
    fragment: Callable[[str, str], int], sonnet_4_6: ModelSpec, haiku_4_5: ModelSpec
) -> None:
    body = thinking_conversation(tool_loop=False)
    assert thinking_share(body, sonnet_4_6) >= fragment(THOUGHT, "3.0")
    assert thinking_share(body, haiku_4_5) == 0
    assert any("strips" in note for note in estimate_request(body, haiku_4_5).notes)


def test_current_turn_thinking_counts_even_where_prior_thinking_is_stripped(
    fragment: Callable[[str, str], int], haiku_4_5: ModelSpec
) -> None:
    assert thinking_share(thinking_conversation(tool_loop=True), haiku_4_5) >= fragment(THOUGHT, "3.0")


def test_redacted_thinking_is_estimated_from_its_length(sonnet_4_6: ModelSpec) -> None:
    redacted = {"type": "redacted_thinking", "data": "QUJD" * 400}
    estimate = estimate_request({"messages": [user("Hi"), assistant([redacted]), user("Go on")]}, sonnet_4_6)
    assert parts(estimate)["messages[1]"] > 0
    assert any("Redacted thinking" in note for note in estimate.notes)


# ---- unknown models and blocks --------------------------------------------------------------------


def test_an_unknown_model_counts_with_the_newest_family_and_a_wider_margin(
    lookup: Callable[[str], ModelSpec],
) -> None:
    body = thinking_conversation(tool_loop=False) | {"system": "You are a careful mathematician."}
    unknown = estimate_request(body, None)
    newest = estimate_request(body, lookup("claude-opus-4-8"))
    assert unknown.method == "ctok-4.8"
    assert unknown.input_tokens >= newest.input_tokens
    assert unknown.uncertainty_tokens > newest.uncertainty_tokens
    assert any("not in the table" in note for note in unknown.notes)


def test_an_unconfirmed_tokenizer_is_noted(lookup: Callable[[str], ModelSpec]) -> None:
    estimate = estimate_request({"messages": [user("Hello")]}, lookup("claude-sonnet-5-5"))
    assert any("unconfirmed" in note for note in estimate.notes)


def test_an_unknown_block_type_is_counted_from_its_json(opus_4_6: ModelSpec) -> None:
    block = {"type": "hologram", "payload": {"shape": "cube", "colour": "teal"}}
    estimate = estimate_request({"messages": [user([block])]}, opus_4_6)
    assert parts(estimate)["messages[0]"] > 0
    assert any("'hologram'" in note for note in estimate.notes)


def test_server_tool_results_price_opaque_content_by_length(opus_4_6: ModelSpec) -> None:
    page = {"type": "web_search_result", "url": "https://e.com", "title": "E", "encrypted_content": "QUJD" * 2000}
    result = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [page]}
    estimate = estimate_request({"messages": [user("Search"), assistant([result]), user("Thanks")]}, opus_4_6)
    # 8,000 base64 characters are 6,000 bytes: far fewer tokens than tokenising the base64 text would give.
    assert 1000 <= parts(estimate)["messages[1]"] <= 2000
    assert any("Server-tool results" in note for note in estimate.notes)


@pytest.mark.parametrize(
    "body",
    [{}, {"messages": "Hello"}, {"messages": [{"content": "no role"}]}, {"messages": ["Hello"]}],
)
def test_a_body_without_walkable_messages_is_refused(opus_4_6: ModelSpec, body: dict[str, Any]) -> None:
    with pytest.raises(MalformedRequest):
        estimate_request(body, opus_4_6)


# ---- caching and invariants -----------------------------------------------------------------------


def test_a_repeated_system_prompt_is_tokenised_once(opus_4_6: ModelSpec) -> None:
    system = "You are a meticulous reviewer. " * 200
    clear_text_cache()
    estimate_request({"system": system, "tools": [WEATHER], "messages": [user("One")]}, opus_4_6)
    first = text_cache_info()
    estimate_request({"system": system, "tools": [WEATHER], "messages": [user("Two")]}, opus_4_6)
    second = text_cache_info()
    # Only the new user text is a miss; the system prompt and the tool's three pieces are hits.
    assert second.misses - first.misses == 1
    assert second.hits - first.hits >= 4


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def thinking_block(text: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": text, "signature": "s"}


def message(role: str, content: object) -> dict[str, Any]:
    return {"role": role, "content": content}


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
_BLOCK: st.SearchStrategy[object] = st.one_of(_TEXT, st.builds(text_block, _TEXT), st.builds(thinking_block, _TEXT))
_CONTENT: st.SearchStrategy[object] = st.one_of(_TEXT, st.lists(_BLOCK, min_size=1, max_size=3))
_MESSAGE = st.builds(message, st.sampled_from(["user", "assistant"]), _CONTENT)


@settings(max_examples=40, deadline=None)
@given(messages=st.lists(_MESSAGE, min_size=1, max_size=5), system=st.one_of(st.none(), _TEXT))
def test_parts_always_sum_to_the_totals(messages: list[dict[str, Any]], system: str | None) -> None:
    body: dict[str, Any] = {"messages": messages} | ({"system": system} if system is not None else {})
    for spec in (builtin_catalog().lookup("claude-haiku-4-5"), None):
        estimate = estimate_request(body, spec)
        assert sum(part.tokens for part in estimate.parts) == estimate.input_tokens
        assert sum(part.uncertainty_tokens for part in estimate.parts) == estimate.uncertainty_tokens
        assert all(part.tokens >= 0 and part.uncertainty_tokens >= 0 for part in estimate.parts)


_JSON_LEAF: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=20),
    st.sampled_from(["image", "document", "text", "thinking", "tool_result", "base64", "application/pdf", "url"]),
)
_JSON_KEY = st.sampled_from(["type", "text", "source", "data", "content", "media_type", "name", "input", "thinking"])


def _json_children(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(_JSON_KEY, children, max_size=5))


_JSON: st.SearchStrategy[object] = st.recursive(_JSON_LEAF, _json_children, max_leaves=25)


@settings(max_examples=100, deadline=None)
@given(content=_JSON, system=_JSON, tools=_JSON, tool_choice=_JSON, thinking=_JSON)
def test_any_json_in_the_optional_fields_is_estimated_without_error(
    content: object, system: object, tools: object, tool_choice: object, thinking: object
) -> None:
    body = {
        "messages": [{"role": "user", "content": content}],
        "system": system,
        "tools": tools,
        "tool_choice": tool_choice,
        "thinking": thinking,
    }
    estimate = estimate_request(body, builtin_catalog().lookup("claude-opus-4-6"))
    assert sum(part.tokens for part in estimate.parts) == estimate.input_tokens
