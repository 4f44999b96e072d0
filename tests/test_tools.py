"""count_tokens and check_context_fit through the in-memory client, against the loopback stand-in."""

import json
import socket
from typing import Any

import anyio
import pytest
from mcp.types import TextContent

from mcp_token_counter.core.counter import SYSTEM_TOKENS_NOTE
from tests.standin import (
    DEFAULT_KEY,
    ModelSpec,
    Reply,
    Stall,
    Standin,
    StandinConfig,
    garbage,
    overloaded,
    rate_limited,
    server_error,
)
from tests.standin.fixtures import StandinFactory
from tests.support import HELLO, Mode, answered, connected, env_for, error_text, sent

RICH: dict[str, Any] = {
    "model": "claude-opus-4-6",
    "system": [{"type": "text", "text": "Tu es un assistant. 你是助手。", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {"role": "user", "content": "Résumé: 東京の天気は? 🌧️👩‍👩‍👧 مرحبا \\path\\to\\file"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "東京"}},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "雨"}]}],
        },
    ],
    "tools": [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }
    ],
    "tool_choice": {"type": "auto"},
    "thinking": {"type": "enabled", "budget_tokens": 2048},
    "output_config": {"effort": "high"},
    "cache_control": {"type": "ephemeral"},
}
SAMPLING = {"max_tokens": 1024, "temperature": 0.3, "top_p": 0.9, "top_k": 5, "stop_sequences": ["x"], "stream": True}


@pytest.mark.anyio
async def test_result_and_forwarded_body_match_what_the_api_saw(standin: Standin, mode: Mode) -> None:
    """The count is the stand-in's; the body is the arguments minus betas and sampling fields."""
    async with connected(env_for(standin), mode) as client:
        result = await client.call_tool("count_tokens", {**RICH, **SAMPLING, "metadata": {"user_id": "u"}})
    assert not result.is_error, result
    seen = standin.log.last()
    assert seen.path == "/v1/messages/count_tokens"
    assert seen.json == RICH
    assert result.structured_content == {
        "input_tokens": answered(seen)["input_tokens"],
        "model": "claude-opus-4-6",
        "source": "api",
        "provider": "anthropic",
        "ignored_fields": ["max_tokens", "metadata", "stop_sequences", "stream", "temperature", "top_k", "top_p"],
        "request_id": seen.request_id,
        "uncertainty_tokens": 0,
        "cached": False,
        # RICH marks a cache breakpoint, so the pricing page's Opus 4.6 cache rates are named.
        "notes": [
            SYSTEM_TOKENS_NOTE,
            "Cost assumes nothing is cached yet. A cached prefix costs $6.25/MTok to write (5 min; $10 for 1 h) "
            "and $0.50/MTok to read.",
        ],
        "estimated_input_cost_usd": round(answered(seen)["input_tokens"] * 5 / 1e6, 6),  # opus-4-6: $5/MTok
    }
    # Fields that do not apply are left out rather than sent as null; the text is the same JSON, compact.
    text = result.content[0]
    assert isinstance(text, TextContent)
    assert json.loads(text.text) == result.structured_content
    assert "null" not in text.text
    assert "\n" not in text.text
    assert ", " not in text.text


@pytest.mark.anyio
async def test_anthropic_api_key_headers(standin: Standin) -> None:
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tokens", HELLO)
    assert not result.is_error
    headers = standin.log.last().headers
    assert headers["x-api-key"] == DEFAULT_KEY
    assert "authorization" not in headers
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["content-type"] == "application/json"
    assert "anthropic-beta" not in headers


@pytest.mark.anyio
async def test_anthropic_auth_token_is_sent_as_bearer(standin: Standin) -> None:
    env = {"ANTHROPIC_AUTH_TOKEN": DEFAULT_KEY, "ANTHROPIC_BASE_URL": standin.base_url}
    async with connected(env) as client:
        result = await client.call_tool("count_tokens", HELLO)
    assert not result.is_error
    headers = standin.log.last().headers
    assert headers["authorization"] == f"Bearer {DEFAULT_KEY}"
    assert "x-api-key" not in headers


@pytest.mark.anyio
async def test_acedata_uses_bearer_and_labels_its_estimate(acedata_standin: Standin, mode: Mode) -> None:
    async with connected(env_for(acedata_standin), mode) as client:
        result = await client.call_tool("count_tokens", HELLO)
    assert not result.is_error, result
    seen = acedata_standin.log.last()
    assert seen.headers["authorization"] == f"Bearer {DEFAULT_KEY}"
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert result.structured_content is not None
    assert result.structured_content["provider"] == "acedatacloud"
    assert result.structured_content["input_tokens"] == answered(seen)["input_tokens"]
    assert "its own estimate" in result.structured_content["notes"][0]


@pytest.mark.anyio
async def test_betas_become_a_header_not_a_body_field(standin: Standin) -> None:
    arguments = {**HELLO, "betas": ["context-management-2025-06-27", "interleaved-thinking-2025-05-14"]}
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tokens", arguments)
    assert not result.is_error, result
    seen = standin.log.last()
    assert seen.headers["anthropic-beta"] == "context-management-2025-06-27,interleaved-thinking-2025-05-14"
    assert seen.json == HELLO


@pytest.mark.anyio
async def test_model_ids_are_normalised_before_sending(standin: Standin) -> None:
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tokens", {**HELLO, "model": "claude-opus-4.6[1m]"})
    assert not result.is_error, result
    assert sent(standin.log.last())["model"] == "claude-opus-4-6"


@pytest.mark.anyio
async def test_shape_validation_errors_name_the_field(standin: Standin, mode: Mode) -> None:
    async with connected(env_for(standin), mode) as client:
        empty = await client.call_tool("count_tokens", {**HELLO, "messages": []})
        bad_role = await client.call_tool("count_tokens", {**HELLO, "messages": [{"role": "bot", "content": "x"}]})
        no_type = await client.call_tool("count_tokens", {**HELLO, "messages": [{"role": "user", "content": [{}]}]})
        still_serving = await client.call_tool("count_tokens", HELLO)
    assert "messages" in error_text(empty)
    assert "role" in error_text(bad_role)
    assert "type" in error_text(no_type)
    assert not still_serving.is_error
    assert len(standin.log.requests) == 1


# --- check_context_fit ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_fit_uses_the_providers_window_and_reserves_max_tokens(standin: Standin, mode: Mode) -> None:
    async with connected(env_for(standin), mode) as client:
        result = await client.call_tool("check_context_fit", {**HELLO, "max_tokens": 4096, "temperature": 1})
    assert not result.is_error, result
    fit = result.structured_content
    assert fit is not None
    counted = answered(standin.log.to("/v1/messages/count_tokens")[-1])["input_tokens"]
    info = answered(standin.log.to("/v1/models/claude-sonnet-4-6")[-1])
    window = info["max_input_tokens"]
    assert fit["window_source"] == "provider"
    assert fit["context_window"] == window
    assert fit["max_output_tokens"] == info["max_tokens"]
    assert fit["input_tokens"] == counted
    assert fit["reserved_output_tokens"] == 4096
    assert fit["remaining_tokens"] == window - counted - 4096
    assert fit["utilization"] == round((counted + 4096) / window, 4)
    assert fit["fits"] is True
    assert fit["ignored_fields"] == ["temperature"]
    assert "max_tokens" not in sent(standin.log.last())


@pytest.mark.anyio
async def test_provider_window_is_asked_once_per_model(standin: Standin) -> None:
    async with connected(env_for(standin)) as client:
        for _ in range(3):
            assert not (await client.call_tool("check_context_fit", HELLO)).is_error
    assert len(standin.log.to("/v1/models/claude-sonnet-4-6")) == 1


@pytest.mark.anyio
async def test_table_window_when_the_provider_does_not_describe_the_model(standin_factory: StandinFactory) -> None:
    standin = standin_factory(
        StandinConfig(models=(ModelSpec(id="claude-haiku-4-5", display_name="Haiku 4.5", listed=False),))
    )
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("check_context_fit", {**HELLO, "model": "claude-haiku-4-5"})
    assert result.structured_content is not None
    assert result.structured_content["window_source"] == "table"
    assert result.structured_content["context_window"] == 200_000  # Haiku 4.5's documented window


@pytest.mark.anyio
async def test_over_window_prompt_does_not_fit_and_remaining_goes_negative(standin: Standin) -> None:
    arguments = {**HELLO, "context_window": 30, "max_tokens": 10}
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("check_context_fit", arguments)
    fit = result.structured_content
    assert fit is not None
    counted = answered(standin.log.last())["input_tokens"]
    assert fit["window_source"] == "argument"
    assert counted + 10 > 30
    assert fit["fits"] is False
    assert fit["remaining_tokens"] == 30 - counted - 10
    assert standin.log.to("/v1/models/claude-sonnet-4-6") == ()


@pytest.mark.anyio
async def test_thinking_budget_over_max_tokens_is_flagged(standin: Standin) -> None:
    arguments = {**HELLO, "max_tokens": 2000, "thinking": {"type": "enabled", "budget_tokens": 4000}}
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("check_context_fit", arguments)
    fit = result.structured_content
    assert fit is not None
    assert fit["reserved_output_tokens"] == 2000
    assert any("budget_tokens (4000)" in note for note in fit["notes"])
    assert sent(standin.log.last())["thinking"] == {"type": "enabled", "budget_tokens": 4000}


@pytest.mark.anyio
async def test_unknown_model_window_names_the_argument(standin_factory: StandinFactory, mode: Mode) -> None:
    standin = standin_factory(StandinConfig(models=(ModelSpec(id="claude-new-9", display_name="New", listed=False),)))
    arguments = {**HELLO, "model": "claude-new-9"}
    async with connected(env_for(standin), mode) as client:
        unknown = await client.call_tool("check_context_fit", arguments)
        overridden = await client.call_tool("check_context_fit", {**arguments, "context_window": 500_000})
    assert "context_window" in error_text(unknown)
    assert overridden.structured_content is not None
    assert overridden.structured_content["context_window"] == 500_000


# --- errors ----------------------------------------------------------------------------------------

NO_FALLBACK = {"TOKEN_COUNTER_FALLBACK": "error", "TOKEN_COUNTER_MAX_RETRIES": "0"}


async def call_error(
    standin: Standin, env_extra: dict[str, str] | None = None, *, recovers: bool = True, **arguments: Any
) -> str:
    """The error text of one call; then, unless the setting itself is broken, the server still counts."""
    async with connected(env_for(standin, **NO_FALLBACK, **(env_extra or {}))) as client:
        result = await client.call_tool("count_tokens", {**HELLO, **arguments})
        if recovers:
            assert not (await client.call_tool("count_tokens", HELLO)).is_error, "the server keeps serving"
    return error_text(result)


@pytest.mark.anyio
async def test_400_carries_the_apis_message_and_request_id(standin: Standin) -> None:
    standin.faults.push(
        Reply(400, body={"type": "error", "error": {"type": "invalid_request_error", "message": "tools.0: bad"}})
    )
    text = await call_error(standin)
    assert "400 invalid_request_error: tools.0: bad" in text
    assert standin.log.requests[0].request_id in text


@pytest.mark.anyio
async def test_401_names_the_variable_never_the_key(standin: Standin) -> None:
    text = await call_error(standin, {"ANTHROPIC_API_KEY": "sk-ant-wrong-secret-123"}, recovers=False)
    assert "401" in text
    assert "ANTHROPIC_API_KEY" in text
    assert "sk-ant-wrong-secret-123" not in text


@pytest.mark.anyio
async def test_acedata_used_up_is_not_an_auth_failure(acedata_standin: Standin) -> None:
    acedata_standin.faults.push(
        Reply(403, body={"error": {"code": "used_up", "message": "balance"}, "trace_id": "tr-1"})
    )
    text = await call_error(acedata_standin)
    assert "used_up" in text
    assert "top it up" in text
    assert "tr-1" in text
    assert "ACEDATACLOUD_API_TOKEN" not in text


@pytest.mark.anyio
async def test_404_for_an_unknown_model(standin: Standin) -> None:
    text = await call_error(standin, model="claude-imaginary-9")
    assert "404" in text
    assert "claude-imaginary-9" in text
    assert "model id" in text


@pytest.mark.anyio
async def test_413_from_the_api(standin_factory: StandinFactory) -> None:
    standin = standin_factory(StandinConfig(max_body_bytes=200))
    text = await call_error(standin, messages=[{"role": "user", "content": "x" * 500}])
    assert "413" in text
    assert "32 MB" in text


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fault", "fragments"),
    [
        (rate_limited(retry_after="3"), ["429", "Retry after 3 s"]),
        (rate_limited(), ["429", "spend cap"]),
        (overloaded(), ["529", "overloaded"]),
        (server_error(503), ["503", "try again"]),
        (garbage(), ["not a token count"]),
    ],
)
async def test_transient_and_garbage_answers(standin: Standin, fault: Reply, fragments: list[str]) -> None:
    standin.faults.push(fault)
    text = await call_error(standin)
    for fragment in fragments:
        assert fragment in text


@pytest.mark.anyio
async def test_timeout(standin: Standin) -> None:
    stall = Stall()
    standin.faults.push(stall)
    with anyio.fail_after(10):
        text = await call_error(standin, {"TOKEN_COUNTER_TIMEOUT": "0.3"})
    assert "did not answer in time" in text
    assert "TOKEN_COUNTER_TIMEOUT" in text


@pytest.mark.anyio
async def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}", **NO_FALLBACK}
    async with connected(env) as client:
        result = await client.call_tool("count_tokens", HELLO)
    assert "Could not reach the counting API" in error_text(result)


@pytest.mark.anyio
async def test_bad_configuration_is_reported_per_call_not_at_start(mode: Mode) -> None:
    async with connected({"TOKEN_COUNTER_TIMEOUT": "soon"}, mode) as client:
        tools = await client.list_tools()
        result = await client.call_tool("count_tokens", HELLO)
    assert len(tools.tools) == 5
    assert "TOKEN_COUNTER_TIMEOUT" in error_text(result)


# --- offline fallbacks -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_no_credentials_gives_a_labelled_estimate(mode: Mode) -> None:
    async with connected({}, mode) as client:
        counted = await client.call_tool("count_tokens", HELLO)
        fit = await client.call_tool("check_context_fit", {**HELLO, "max_tokens": 1000})
    assert counted.structured_content is not None
    assert counted.structured_content["source"] == "estimate"
    assert counted.structured_content["provider"] == "offline"
    assert counted.structured_content["fallback_reason"] == "no_credentials"
    assert counted.structured_content["input_tokens"] > 0
    assert fit.structured_content is not None
    assert fit.structured_content["source"] == "estimate"
    assert fit.structured_content["window_source"] == "table"


@pytest.mark.anyio
async def test_url_image_refused_by_the_api_falls_back_to_an_estimate(standin: Standin) -> None:
    image = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    arguments = {**HELLO, "messages": [{"role": "user", "content": [image, {"type": "text", "text": "What?"}]}]}
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tokens", arguments)
    assert standin.log.last().status == 400
    content = result.structured_content
    assert content is not None
    assert (content["source"], content["fallback_reason"]) == ("estimate", "api_refused_shape")
    assert any("Counted offline because the API said" in note for note in content["notes"])


@pytest.mark.anyio
async def test_a_transient_models_failure_is_not_remembered(standin: Standin) -> None:
    """While /v1/models fails the table answers; once it recovers the provider's window is used."""
    standin.faults.push(server_error(503), path="/v1/models/*", times=2)
    async with connected(env_for(standin, TOKEN_COUNTER_MAX_RETRIES="1")) as client:
        during = await client.call_tool("check_context_fit", HELLO)
        after = await client.call_tool("check_context_fit", HELLO)
    assert during.structured_content is not None
    assert after.structured_content is not None
    assert during.structured_content["window_source"] == "table"
    assert after.structured_content["window_source"] == "provider"
    assert len(standin.log.to("/v1/models/claude-sonnet-4-6")) == 3


@pytest.mark.parametrize(
    ("budget", "problem"),
    [
        (-100, "Input should be greater than or equal to 1024"),
        (1023, "Input should be greater than or equal to 1024"),
        ("2048", "Input should be a valid integer"),
        (None, "Field required"),
    ],
)
@pytest.mark.anyio
async def test_a_thinking_budget_the_api_refuses_is_refused_in_its_words(
    standin: Standin, mode: Mode, budget: Any, problem: str
) -> None:
    """-100 was once accepted and "reserved"; nothing is sent, and the message says what to pass."""
    thinking = {"type": "enabled", **({} if budget is None else {"budget_tokens": budget})}
    async with connected(env_for(standin), mode) as client:
        result = await client.call_tool("check_context_fit", {**HELLO, "thinking": thinking})
    assert f"thinking.enabled.budget_tokens: {problem}" in error_text(result)
    assert "at least 1024" in error_text(result)
    assert len(standin.log) == 0


NESTED_URL_IMAGE: dict[str, Any] = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
NESTED_FILE_DOCUMENT: dict[str, Any] = {"type": "document", "source": {"type": "file", "file_id": "file_011"}}


@pytest.mark.parametrize("nested", [NESTED_URL_IMAGE, NESTED_FILE_DOCUMENT], ids=["url image", "file document"])
@pytest.mark.anyio
async def test_a_refused_source_inside_a_tool_result_falls_back_to_an_estimate(
    standin: Standin, nested: dict[str, Any]
) -> None:
    """Only top-level blocks were looked at: a url or file source in a tool result gave the API's 400."""
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Fetch it"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "fetch", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [nested]}]},
    ]
    async with connected(env_for(standin)) as client:
        result = await client.call_tool("count_tokens", {**HELLO, "messages": messages})
    assert standin.log.last().status == 400
    content = result.structured_content
    assert content is not None, result
    assert (content["source"], content["fallback_reason"]) == ("estimate", "api_refused_shape")


@pytest.mark.anyio
async def test_an_output_beta_turns_the_output_limit_warning_into_a_mention(standin: Standin) -> None:
    """A beta that raises the output limit (an "output-…" beta) must not produce a false "would reject"."""
    arguments = {**HELLO, "model": "claude-haiku-4-5", "max_tokens": 100_000}
    async with connected(env_for(standin)) as client:
        plain = await client.call_tool("check_context_fit", arguments)
        raised = await client.call_tool("check_context_fit", {**arguments, "betas": ["output-300k-2026-03-24"]})
    assert plain.structured_content is not None, plain
    assert raised.structured_content is not None, raised
    assert any("would reject it" in note for note in plain.structured_content["notes"])
    assert not any("would reject it" in note for note in raised.structured_content["notes"])
    assert any("output-300k-2026-03-24 beta may allow it" in note for note in raised.structured_content["notes"])
