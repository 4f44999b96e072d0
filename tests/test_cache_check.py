"""check_prompt_cache through a real MCP client: every rule of the prompt-caching page, against the stand-in
(whose log shows each prefix count) and offline.

A breakpoint's prefix is the request cut off after its block, with a one-character user message when the cut
leaves none (docs/cost-and-caching.md, "Will this prompt be cached?"); the tests build those cuts by hand and
price them with the stand-in's own formula, so no expected number comes from the code under test.
"""

import copy
from typing import Any

import pytest

from tests.standin import Standin, expected_count
from tests.support import Mode, connected, env_for, error_text, sent

MODEL = "claude-sonnet-4-6"  # minimum cacheable length 1,024 (prompt-caching page, read 2026-12-07)
MINIMUM = 1024
CC: dict[str, Any] = {"type": "ephemeral"}
SEED: dict[str, Any] = {"role": "user", "content": "."}
TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather for a city. " * 300,  # over the minimum on its own: the tools entry is cached
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def system_text(target: int) -> str:
    """A system text whose system-only cut counts exactly ``target`` tokens on the stand-in."""
    for size in range(4 * target - 800, 4 * target):
        text = "w" * size
        if expected_count(system_cut(text)) == target:
            return text
    raise AssertionError(f"no text length gives {target}")


def system_cut(text: str) -> dict[str, Any]:
    """The request cut after its one system block: what the stand-in must be asked to count."""
    block = {"type": "text", "text": text, "cache_control": CC}
    return {"model": MODEL, "system": [block], "messages": [SEED]}


def with_system(text: str, messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    block = {"type": "text", "text": text, "cache_control": CC}
    return {"model": MODEL, "system": [block], "messages": messages or [{"role": "user", "content": "Hi"}]}


async def check(env: dict[str, str], mode: Mode = "auto", **arguments: Any) -> dict[str, Any]:
    async with connected(env, mode) as client:
        result = await client.call_tool("check_prompt_cache", arguments)
    assert not result.is_error, result
    assert result.structured_content is not None
    return result.structured_content


@pytest.mark.anyio
@pytest.mark.parametrize(("prefix", "cached"), [(MINIMUM - 1, False), (MINIMUM, True)])
async def test_a_system_prompt_just_under_and_at_the_minimum(
    standin: Standin, mode: Mode, prefix: int, cached: bool
) -> None:
    """The prefix is counted by the API on the cut request; one token short of 1,024 and it is not cached."""
    text = system_text(prefix)
    request = with_system(text)
    content = await check(env_for(standin), mode, request=request)
    [point] = content["breakpoints"]
    assert point == {"place": "system[0]", "ttl": "5m", "prefix_tokens": prefix, "cached": cached}
    assert [sent(record) for record in standin.log] == [request, system_cut(text)]
    assert content["input_tokens"] == expected_count(request)
    if cached:
        assert content["findings"] == []
    else:
        [finding] = content["findings"]
        assert finding.startswith(f"system[0] breakpoint: 1,023 tokens, below the 1,024 minimum for {MODEL}")
        assert f"the whole request is {expected_count(request):,} tokens" in finding
    assert "cache check: 1 extra count_tokens calls" in content["notes"]


def five_breakpoints() -> dict[str, Any]:
    blocks = [{"type": "text", "text": f"part {i} " * 600, "cache_control": CC} for i in range(5)]
    return {"model": MODEL, "messages": [{"role": "user", "content": blocks}]}


def message_cut(request: dict[str, Any], i: int, j: int) -> dict[str, Any]:
    messages = request["messages"]
    last = {**messages[i], "content": messages[i]["content"][: j + 1]}
    kept = {k: v for k, v in request.items() if k not in {"messages", "cache_control"}}
    return {**kept, "messages": [*messages[:i], last]}


@pytest.mark.anyio
async def test_five_breakpoints_the_fifth_is_not_cached(standin: Standin) -> None:
    """At most 4 per request; each prefix is one recorded count (the last is the request itself)."""
    request = five_breakpoints()
    content = await check(env_for(standin), request=request)
    points = content["breakpoints"]
    assert [p["cached"] for p in points] == [True, True, True, True, False]
    assert [p["prefix_tokens"] for p in points] == [expected_count(message_cut(request, 0, j)) for j in range(5)]
    assert points[4]["prefix_tokens"] == content["input_tokens"] == expected_count(request)
    [finding] = content["findings"]
    assert finding.startswith("messages[0].content[4] breakpoint: breakpoint 5 of the request")
    assert "at most 4" in finding
    bodies = [sent(record) for record in standin.log]
    assert bodies[0] == request
    assert sorted(bodies[1:], key=expected_count) == [message_cut(request, 0, j) for j in range(4)]


@pytest.mark.anyio
async def test_a_1h_breakpoint_after_a_5m_one_is_refused(standin: Standin) -> None:
    request = five_breakpoints()
    blocks = request["messages"][0]["content"][:2]
    blocks[1]["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    request["messages"][0]["content"] = blocks
    content = await check(env_for(standin), request=request)
    assert [(p["ttl"], p["cached"]) for p in content["breakpoints"]] == [("5m", True), ("1h", False)]
    [finding] = content["findings"]
    assert finding == (
        "messages[0].content[1] breakpoint: 1h after the 5m breakpoint at messages[0].content[0]; the page requires "
        "1-hour entries to come before 5-minute ones: make messages[0].content[0] 1h or this one 5m."
    )


@pytest.mark.anyio
async def test_a_breakpoint_past_the_lookback_window_is_warned_about() -> None:
    """Offline: 25 blocks after the system breakpoint is past the 20-block lookback; it is still written."""
    turns: list[dict[str, Any]] = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"} for i in range(24)
    ]
    turns.append({"role": "user", "content": [{"type": "text", "text": "last", "cache_control": CC}]})
    request = with_system("Rules of the house. " * 300, turns)
    content = await check({}, request=request)
    assert content["source"] == "estimate"
    assert [p["place"] for p in content["breakpoints"]] == ["system[0]", "messages[24].content[0]"]
    assert all(p["cached"] for p in content["breakpoints"])
    [finding] = content["findings"]
    assert finding.startswith("messages[24].content[0] breakpoint: 25 blocks after the breakpoint at system[0]")
    assert "looks back only 20 blocks" in finding


def agent_request(tool_choice: dict[str, Any]) -> dict[str, Any]:
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Tokyo? " * 40, "cache_control": CC}]},
        {"role": "assistant", "content": "Let me look."},
        {"role": "user", "content": "Thanks."},
    ]
    request = with_system("You are a meteorologist. " * 200, messages)
    return {**request, "tools": [{**TOOL, "cache_control": CC}], "tool_choice": tool_choice}


@pytest.mark.anyio
async def test_a_previous_request_differing_only_in_tool_choice(standin: Standin, mode: Mode) -> None:
    """tools and system entries stay readable; the message entry is broken by tool_choice, as the page says."""
    previous = agent_request({"type": "auto"})
    request = agent_request({"type": "any"})
    content = await check(env_for(standin), mode, request=request, previous=previous)
    reads = {p["place"]: p["reads"] for p in content["breakpoints"]}
    assert reads == {"tools[0]": True, "system[0]": True, "messages[0].content[0]": False}
    system_only = {"model": MODEL, "tools": request["tools"], "system": request["system"], "messages": [SEED]}
    assert content["shared_prefix_tokens"] == expected_count(system_only)
    [finding] = content["findings"]
    assert finding == (
        "messages[0].content[0] breakpoint: the previous request's entry at messages[0].content[0] is broken by the "
        "first difference, tool_choice changed (the page: that invalidates message blocks); it reads only the "
        "entry at system[0]."
    )
    assert system_only in [sent(record) for record in standin.log]


@pytest.mark.anyio
async def test_a_growing_conversation_reads_the_previous_entry(standin: Standin) -> None:
    """The next turn, with its breakpoint moved to the new last block, reads the previous turn's entry."""
    previous = agent_request({"type": "auto"})
    request = copy.deepcopy(previous)
    del request["messages"][0]["content"][0]["cache_control"]
    request["messages"].append({"role": "assistant", "content": "Sunny."})
    request["messages"].append(
        {"role": "user", "content": [{"type": "text", "text": "And Osaka?", "cache_control": CC}]}
    )
    content = await check(env_for(standin), request=request, previous=previous)
    assert [p["reads"] for p in content["breakpoints"]] == [True, True, True]
    assert content["findings"] == []
    # Shared: everything the previous request held; the marker moved off messages[0] is no change to the key.
    shared = {k: v for k, v in request.items()} | {"messages": request["messages"][:3]}
    assert content["shared_prefix_tokens"] == expected_count(shared)


@pytest.mark.anyio
async def test_breakdown_fit_and_cache_check_agree(standin: Standin) -> None:
    """One request, three tools, one total; a breakpoint's prefix is the breakdown's parts up to its message."""
    request = agent_request({"type": "auto"})
    async with connected(env_for(standin)) as client:
        counted = await client.call_tool("count_tokens", {**request, "breakdown": True})
        fitted = await client.call_tool("check_context_fit", {**request, "max_tokens": 1000})
        cached = await client.call_tool("check_prompt_cache", {"request": request})
    assert counted.structured_content
    assert fitted.structured_content
    assert cached.structured_content
    parts: dict[str, int] = counted.structured_content["breakdown"]
    total = counted.structured_content["input_tokens"]
    assert total == fitted.structured_content["input_tokens"] == cached.structured_content["input_tokens"]
    points = cached.structured_content["breakpoints"]
    up_to_first_message = sum(parts[name] for name in ("overhead", "system", "tools", "messages[0]"))
    assert points[-1]["prefix_tokens"] == up_to_first_message
    assert points[-1]["prefix_tokens"] + parts["messages[1]"] + parts["messages[2]"] == total == sum(parts.values())
    prefixes = [p["prefix_tokens"] for p in points]
    assert prefixes == sorted(prefixes)
    assert prefixes[-1] <= total


@pytest.mark.anyio
async def test_savings_at_the_models_list_prices(standin: Standin) -> None:
    """Sonnet 4.6: $3 input, $3.75 5m write, $6 1h write, $0.30 read per MTok (pricing page)."""
    request = with_system(system_text(2000), [{"role": "user", "content": "Hi"}])
    content = await check(env_for(standin), request=request, repeats=10)
    prefix, total = content["breakpoints"][0]["prefix_tokens"], content["input_tokens"]
    assert prefix == 2000
    fresh = total - prefix
    savings = content["savings"]
    assert savings["without_cache_usd"] == pytest.approx(11 * total * 3 / 1e6, abs=1e-6)
    with_cache = prefix * 3.75 + fresh * 3 + 10 * (prefix * 0.3 + fresh * 3)
    assert savings["with_cache_usd"] == pytest.approx(with_cache / 1e6, abs=1e-6)
    # A 5m write costs 0.75 more than a send; each read saves 2.70: 1 read repays it, 2 for a 1h write (3.00).
    assert (savings["break_even_reads_5m"], savings["break_even_reads_1h"]) == (1, 2)


@pytest.mark.anyio
async def test_savings_follow_fast_mode() -> None:
    """Opus 4.8 in fast mode is billed at 2x every rate (fast-mode page), the cache rates too."""
    request = {**with_system("Fast rules. " * 800), "model": "claude-opus-4-8"}
    standard = (await check({}, request=request, repeats=3))["savings"]
    fast = await check({}, request={**request, "speed": "fast"}, repeats=3)
    assert fast["savings"]["with_cache_usd"] == pytest.approx(2 * standard["with_cache_usd"], abs=2e-6)
    assert fast["savings"]["without_cache_usd"] == pytest.approx(2 * standard["without_cache_usd"], abs=2e-6)
    assert any("fast" in note for note in fast["notes"])


@pytest.mark.anyio
async def test_offline_prefixes_are_the_estimates_of_the_cut_requests() -> None:
    """Offline, a breakpoint's prefix is what count_tokens estimates for the request cut after its block."""
    request = agent_request({"type": "auto"})
    async with connected({}) as client:
        cached = await client.call_tool("check_prompt_cache", {"request": request})
        cut = await client.call_tool("count_tokens", message_cut(request, 0, 0))
        whole = await client.call_tool("count_tokens", request)
    assert cached.structured_content
    assert cut.structured_content
    assert whole.structured_content
    assert cached.structured_content["breakpoints"][-1]["prefix_tokens"] == cut.structured_content["input_tokens"]
    assert cached.structured_content["input_tokens"] == whole.structured_content["input_tokens"]
    assert "cache check: prefixes estimated offline, no extra calls" in cached.structured_content["notes"]


@pytest.mark.anyio
async def test_automatic_caching_and_blocks_that_cannot_carry_cache_control() -> None:
    """Top-level cache_control lands on the last block that can carry it; a thinking block cannot."""
    thinking = {"type": "thinking", "thinking": "Let me think.", "signature": "sig", "cache_control": CC}
    request = {
        **with_system("Rules. " * 1500),
        "cache_control": CC,
        "messages": [
            {"role": "user", "content": "Question?"},
            {"role": "assistant", "content": [{"type": "text", "text": "Answer."}, thinking]},
        ],
    }
    content = await check({}, request=request)
    places = [(p["place"], p["cached"]) for p in content["breakpoints"]]
    assert places == [
        ("system[0]", True),
        ("automatic (messages[1].content[0])", True),
        ("messages[1].content[1]", False),
    ]
    assert any(f.startswith("messages[1].content[1] breakpoint: thinking blocks cannot") for f in content["findings"])


@pytest.mark.anyio
async def test_no_breakpoint_says_so() -> None:
    content = await check({}, request={"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]})
    assert content["breakpoints"] == []
    assert content["findings"][0].startswith("no breakpoint: nothing will be cached")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"request": {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]}, "repeats": 0}, "repeats: 0"),
        ({"request": {"messages": [{"role": "user", "content": "Hi"}]}}, "with 'model' and 'messages'"),
        ({"request": {"model": MODEL, "messages": [{"role": "robot", "content": "Hi"}]}}, "role"),
        (
            {
                "request": {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]},
                "previous": {"model": MODEL},
            },
            "previous: pass the last request sent",
        ),
    ],
)
async def test_bad_input_is_a_tool_error_and_the_server_keeps_serving(arguments: dict[str, Any], words: str) -> None:
    async with connected({}) as client:
        refused = await client.call_tool("check_prompt_cache", arguments)
        again = await client.call_tool("check_prompt_cache", {"request": with_system("x")})
    assert words in error_text(refused)
    assert not again.is_error


def _png_block() -> dict[str, Any]:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def _edited_tool(request: dict[str, Any]) -> None:
    request["tools"][0]["description"] += " Now with humidity."


def _thinking(request: dict[str, Any]) -> None:
    request["thinking"] = {"type": "enabled", "budget_tokens": 2048}


def _image(request: dict[str, Any]) -> None:
    request["messages"][2]["content"] = [{"type": "text", "text": "Thanks."}, _png_block()]


def _edited_message(request: dict[str, Any]) -> None:
    request["messages"][0]["content"][0]["text"] = "Weather in Osaka? " * 40


def _edited_system(request: dict[str, Any]) -> None:
    request["system"][0]["text"] += " Be brief."


def _other_model(request: dict[str, Any]) -> None:
    request["model"] = "claude-sonnet-4-5"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("change", "reads", "reason"),
    [
        (_edited_tool, [False, False, False], "tool definitions changed"),
        (_thinking, [True, True, False], "thinking settings changed"),
        (_image, [True, True, False], "images were added or removed"),
        (_edited_message, [True, True, False], "messages[0].content[0] differs"),
        (_edited_system, [True, False, False], "system[0] differs"),
        (_other_model, [False, False, False], "the model changed from claude-sonnet-4-6"),
    ],
)
async def test_each_invalidation_rule_names_the_first_difference(change: Any, reads: list[bool], reason: str) -> None:
    """The page's invalidation table, offline: what each change leaves readable, and the change named."""
    previous = agent_request({"type": "auto"})
    request = copy.deepcopy(previous)
    change(request)
    content = await check({}, request=request, previous=previous)
    assert [p["reads"] for p in content["breakpoints"]] == reads
    broken = [f for f in content["findings"] if "previous request's" in f or "cannot read" in f]
    assert broken
    assert all(reason in finding for finding in broken), broken


@pytest.mark.anyio
async def test_a_turn_adding_more_than_the_lookback_misses_the_previous_entry() -> None:
    """The previous entry is 27 blocks before the new last breakpoint: past the 20-block lookback."""
    previous = agent_request({"type": "auto"})
    request = copy.deepcopy(previous)
    del request["messages"][0]["content"][0]["cache_control"]
    for i in range(12):
        request["messages"].append({"role": "assistant", "content": f"step {i}"})
        request["messages"].append({"role": "user", "content": f"ok {i}"})
    request["messages"].append(
        {"role": "assistant", "content": [{"type": "text", "text": "done", "cache_control": CC}]}
    )
    content = await check({}, request=request, previous=previous)
    assert [p["reads"] for p in content["breakpoints"]] == [True, True, False]
    [finding] = [f for f in content["findings"] if "lookback" in f and "previous request's" in f]
    assert finding.startswith(
        "messages[27].content[0] breakpoint: the previous request's entry at messages[0].content[0]"
    )
    assert "past the 20-block lookback window" in finding


@pytest.mark.anyio
async def test_a_previous_breakpoint_that_was_never_written_is_not_called_broken(standin: Standin) -> None:
    """The previous request's message breakpoint was 1h after a 5m one, so it wrote nothing: the new one reads
    the system entry, the last one written, and no finding blames the changed tool_choice. Its prefix was
    counted on the previous request itself."""
    previous = agent_request({"type": "auto"})
    previous["messages"][0]["content"][0]["cache_control"] = {"type": "ephemeral", "ttl": "1h"}
    request = agent_request({"type": "any"})
    content = await check(env_for(standin), request=request, previous=previous)
    assert [p["reads"] for p in content["breakpoints"]] == [True, True, True]
    assert content["findings"] == []
    old_cut = message_cut(previous, 0, 0)
    assert old_cut in [sent(record) for record in standin.log]
