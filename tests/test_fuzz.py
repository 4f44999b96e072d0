"""Fuzzing the tool arguments: whatever arrives, the server answers with a result or a validation error.

Arguments are drawn with hypothesis: wrong types everywhere, huge strings, deep nesting, lone surrogates,
unknown and malformed content blocks, stray keys. They go through one in-memory MCP client (held open in a
blocking portal, since hypothesis drives sync tests) to a server counting through the stand-in, and to
one counting offline, where the estimator sees every block. A crash would be an ``isError`` result that
says only "Error executing tool <name>": the SDK's text when it hides an unexpected exception.
"""

import string
from collections.abc import Iterator
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult

from mcp_token_counter.errors import TokenCounterError
from mcp_token_counter.upstream.body import encode_body
from tests.reliability import connected_with
from tests.standin import Standin
from tests.support import HELLO, env_for

MAX_EXAMPLES = 100  # per mode; about 2 s each. Hunting bugs, 1,500 ran clean after the fixes below.
SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")
BLOCK_TYPES = ("text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking", "search_result")
FIELDS = ("system", "tools", "tool_choice", "thinking", "output_config", "cache_control", "context_management")


def nested(depth: int, leaf: Any, as_dict: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


keys = st.text(max_size=12)  # the SDK's client cannot send lone surrogates in keys; values carry them
texts = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(SURROGATES)), max_size=40)
# Past the sizes the server treats apart: a text's own cache key (1,024 characters), a memo's longest key
# (4,096), the large estimates' lane (10,000), httpx2's longest URL (65,536, a model id in the path) and, but
# for the letters, the compiled memo's first key store (131,072). The letters were a megabyte, which crossed
# no further limit and took a second to count offline, in many examples.
huge_texts = st.sampled_from(["x" * 200_000, "é漢🙂" * 50_000, string.ascii_letters * 2_000, "\ud800" * 1000])
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts, st.integers(-(2**80), 2**80))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=12
)
deep_values = st.builds(nested, st.integers(20, 260), scalars, st.booleans())
junk = st.one_of(json_values, huge_texts, deep_values)
objects = st.dictionaries(keys, junk, max_size=4)


Strategy = st.SearchStrategy[Any]
BLOCK_FIELDS: dict[str, Strategy] = {
    name: junk for name in ("text", "source", "input", "content", "data", "thinking", "name", "id")
}
blocks: Strategy = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(BLOCK_TYPES) | texts},
        optional=BLOCK_FIELDS,
    ),
    st.fixed_dictionaries({"type": st.just("text"), "text": texts | huge_texts}),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["image", "document"]),
            "source": st.fixed_dictionaries(
                {"type": st.sampled_from(["base64", "url", "file", "text"]) | texts},
                optional={"media_type": texts, "data": texts | huge_texts, "url": texts},
            ),
        }
    ),
)
messages: Strategy = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "assistant", "system"]),
            "content": texts | huge_texts | st.lists(blocks, min_size=1, max_size=4),
        },
        optional={"cache_control": junk},
    ),
    min_size=1,
    max_size=4,
)


def with_stray_keys(fixed: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(keys, junk, max_size=2).map(lambda extra: {**extra, **fixed})


# Right types at the top, anything inside: gets past validation into counting, estimating and forwarding.
shaped: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {
        "model": st.sampled_from(["claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4.6[1m]", "claude-x"]) | texts,
        "messages": messages,
    },
    optional={
        "system": texts | st.lists(blocks, max_size=3),
        "tools": st.lists(objects, max_size=3),
        "betas": st.lists(st.sampled_from(["token-counting-2024-11-01", "context-1m-2025-08-07"]) | texts, max_size=3),
        "max_tokens": st.integers(1, 10**7),
        "context_window": st.integers(1, 10**7),
        "temperature": junk,
        "breakdown": st.booleans(),
        "mcp_servers": st.lists(objects, max_size=2),
        **{field: objects for field in FIELDS if field not in ("system", "tools")},
    },
).flatmap(with_stray_keys)
# Anything anywhere: mostly validation errors, which must name the field.
anything: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {},
    optional={
        name: junk
        for name in ("model", "messages", "betas", "max_tokens", "context_window", "breakdown", "mcp_servers", *FIELDS)
    },
).flatmap(with_stray_keys)
arguments = shaped | anything
calls = st.tuples(st.sampled_from(["count_tokens", "check_context_fit"]), arguments)


@pytest.fixture(scope="module", params=["api", "offline"])
def fuzz_client(
    request: pytest.FixtureRequest, _anthropic_standin_server: Standin
) -> Iterator[tuple[BlockingPortal, Client]]:
    """One client for every example: through the stand-in, or offline."""
    standin = _anthropic_standin_server
    standin.reset()
    env = env_for(standin) if request.param == "api" else {}
    with start_blocking_portal("asyncio") as portal, portal.wrap_async_context_manager(connected_with(env)) as client:
        yield portal, client
        after: CallToolResult = portal.call(client.call_tool, "count_tokens", HELLO)
        assert not after.is_error, "the server still serves after the fuzzing"
    standin.reset()


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(call=calls)
def test_any_arguments_get_a_result_or_a_validation_error(
    fuzz_client: tuple[BlockingPortal, Client], call: tuple[str, dict[str, Any]]
) -> None:
    portal, client = fuzz_client
    tool, args = call
    try:
        result: CallToolResult = portal.call(client.call_tool, tool, args)
    except ValueError as exc:
        # Arguments the SDK's client refuses to serialise never reach the server: nesting past pydantic's
        # depth limit (~250; the server's own limit is checked below) and lone surrogates in keys.
        # pydantic 2.12.0 says "Circular reference detected (depth exceeded)", later ones "Maximum serialization
        # depth exceeded" (found by the lowest-direct job).
        if isinstance(exc, UnicodeEncodeError) or "depth exceeded" in str(exc):
            reject()
        raise
    if result.is_error:
        text = getattr(result.content[0], "text", "")
        assert text.startswith(f"Error executing tool {tool}: "), f"crashed on {args!r:.500}: {text!r}"
        event("invalid arguments" if "invalid arguments" in text else "tool error")
        assert "pydantic" not in text, text
    else:
        event("counted")
        assert result.structured_content is not None
        assert result.structured_content["input_tokens"] >= 0


@pytest.mark.parametrize("as_dict", [False, True])
def test_nesting_past_json_limits_is_a_clear_error(as_dict: bool) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": nested(5000, "x", as_dict)}]}
    with pytest.raises(TokenCounterError, match="nested too deeply"):
        encode_body(body)


HELLO_MESSAGES = HELLO["messages"]
FOUND_BY_FUZZING = [
    ("count_tokens", {"model": "claude-sonnet-4-6", "messages": HELLO_MESSAGES, "betas": ["é-beta"]}, "betas"),
    ("count_tokens", {"model": "claude-sonnet-4-6", "messages": HELLO_MESSAGES, "betas": ["a\nb"]}, "betas"),
    ("count_tokens", {"model": "\ud800" * 3, "messages": HELLO_MESSAGES}, "model"),
    ("check_context_fit", {"model": "x" * 100_000, "messages": HELLO_MESSAGES}, "model"),
    ("check_context_fit", {"model": "a/b?c#d", "messages": HELLO_MESSAGES}, "context_window"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("tool", "args", "named"), FOUND_BY_FUZZING)
async def test_inputs_that_once_crashed_get_a_clear_error(
    standin: Standin, tool: str, args: dict[str, Any], named: str
) -> None:
    """Non-ASCII or multi-line betas (header), surrogate or huge model ids (URL path, result echo)."""
    async with connected_with(env_for(standin)) as client:
        result = await client.call_tool(tool, args)
    text = getattr(result.content[0], "text", "")
    assert result.is_error
    assert text.startswith(f"Error executing tool {tool}: ")
    assert named in text
    assert len(text) < 1000


@pytest.mark.anyio
async def test_non_ascii_base64_is_estimated_as_an_unreadable_image() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "\x80é"}}
    async with connected_with({}) as client:
        result = await client.call_tool("count_tokens", {**HELLO, "messages": [{"role": "user", "content": [image]}]})
    assert not result.is_error, result
    assert result.structured_content is not None
    assert any("unreadable image" in note for note in result.structured_content["notes"])


cache_calls = st.fixed_dictionaries(
    {"request": shaped | anything},
    optional={"previous": shaped | anything | junk, "repeats": st.integers(-5, 10**7) | junk},
)


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(args=cache_calls)
def test_check_prompt_cache_gets_a_result_or_a_clear_error(
    fuzz_client: tuple[BlockingPortal, Client], args: dict[str, Any]
) -> None:
    """The same junk as a whole request, a previous request and repeats: no crash, no pydantic wording."""
    portal, client = fuzz_client
    try:
        result: CallToolResult = portal.call(client.call_tool, "check_prompt_cache", args)
    except ValueError as exc:
        if isinstance(exc, UnicodeEncodeError) or "depth exceeded" in str(exc):
            reject()
        raise
    if result.is_error:
        text = getattr(result.content[0], "text", "")
        assert text.startswith("Error executing tool check_prompt_cache: "), f"crashed on {args!r:.500}: {text!r}"
        assert "pydantic" not in text, text
    else:
        assert result.structured_content is not None
        points = result.structured_content["breakpoints"]
        assert all(p["prefix_tokens"] >= 0 for p in points)
