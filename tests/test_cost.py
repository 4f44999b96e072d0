"""The input cost follows the request: the model, the prompt-size tier, speed, inference_geo and caching.

Prices here are the pricing page's, read independently of the table: Opus 5.5 $4/MTok input and fast mode
at twice that; Sonnet 4.6 $3; Haiku 5.5 $0.10 up to 100,000 prompt tokens and $0.50 above.
"""

from typing import Any

import pytest

from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.core.cost import Billing, billing_of, input_cost
from tests.standin import Standin, expected_count
from tests.support import Mode, connected, env_for


def _spec(model: str):
    spec = builtin_catalog().lookup(model)
    assert spec is not None
    return spec


@pytest.mark.parametrize(
    ("model", "tokens", "billing", "usd"),
    [
        ("claude-sonnet-4-6", 1_000_000, Billing(), 3.0),
        ("claude-haiku-5-5", 100_000, Billing(), 0.01),
        ("claude-haiku-5-5", 200_000, Billing(), 0.1),  # every token at the higher tier
        ("claude-opus-5-5", 1_000_000, Billing(fast=True), 8.0),
        ("claude-sonnet-4-6", 1_000_000, Billing(us_only=True), 3.3),
        ("claude-opus-5-5", 1_000_000, Billing(fast=True, us_only=True), 8.8),
        ("claude-sonnet-4-6", 1_000_000, Billing(fast=True), 3.0),  # no fast price: standard, with a note
        ("claude-haiku-4-5", 1_000_000, Billing(us_only=True), 1.0),  # US-only pricing starts with 4.6
    ],
)
def test_cost_follows_the_request(model: str, tokens: int, billing: Billing, usd: float) -> None:
    assert input_cost(_spec(model), tokens, billing).usd == pytest.approx(usd)


def test_each_adjustment_is_explained() -> None:
    assert input_cost(_spec("claude-sonnet-4-6"), 1000).notes == ()
    (tier,) = input_cost(_spec("claude-haiku-5-5"), 150_000).notes
    assert "over 100,000 tokens" in tier
    assert "$0.50/MTok input" in tier
    (fast,) = input_cost(_spec("claude-opus-5-5"), 10, Billing(fast=True)).notes
    assert "2x" in fast
    (no_fast,) = input_cost(_spec("claude-sonnet-4-6"), 10, Billing(fast=True)).notes
    assert "standard rates" in no_fast
    (cache,) = input_cost(_spec("claude-opus-5-5"), 10, Billing(caching=True)).notes
    assert "$5/MTok to write (5 min; $8 for 1 h) and $0.20/MTok to read" in cache  # Opus 5.5 page


def test_an_unknown_model_has_no_cost() -> None:
    assert input_cost(None, 1000, Billing(fast=True)).usd is None


CACHE_CASES: list[tuple[dict[str, Any], bool]] = [
    ({"messages": [{"role": "user", "content": "hi"}]}, False),
    ({"cache_control": {"type": "ephemeral"}, "messages": []}, True),
    ({"system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}], "messages": []}, True),
    ({"tools": [{"name": "t", "cache_control": {"type": "ephemeral"}}], "messages": []}, True),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": None}]}]}, False),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": {}}]}]}, False),
    ({"messages": [{"role": "user", "content": [{"type": "text", "cache_control": {"type": "ephemeral"}}]}]}, True),
]


@pytest.mark.parametrize(("body", "caching"), CACHE_CASES)
def test_cache_breakpoints_are_found_wherever_the_api_takes_them(body: dict[str, Any], caching: bool) -> None:
    assert billing_of(body, None).caching is caching


MESSAGES = [{"role": "user", "content": "Summarise the attached design in three bullet points."}]


@pytest.mark.anyio
async def test_a_fast_us_only_count_is_priced_as_sent(standin: Standin, mode: Mode) -> None:
    """speed is forwarded; inference_geo is dropped from the body but still prices the request."""
    arguments = {
        "model": "claude-opus-5-5",
        "messages": MESSAGES,
        "speed": "fast",
        "inference_geo": "us",
        "betas": ["fast-mode-2026-02-01"],
    }
    async with connected(env_for(standin), mode) as client:
        result = await client.call_tool("count_tokens", arguments)
    content = result.structured_content
    assert content is not None, result
    assert standin.log.last().json == {"model": "claude-opus-5-5", "messages": MESSAGES, "speed": "fast"}
    assert content["ignored_fields"] == ["inference_geo"]
    tokens = expected_count({"model": "claude-opus-5-5", "messages": MESSAGES, "speed": "fast"})
    assert content["input_tokens"] == tokens
    assert content["estimated_input_cost_usd"] == pytest.approx(round(tokens * 4 * 2 * 1.1 / 1e6, 6))
    assert any("fast-mode rates" in note for note in content["notes"])
    assert any("inference_geo 'us'" in note for note in content["notes"])


@pytest.mark.anyio
async def test_fit_reserves_what_default_thinking_may_use(standin: Standin, mode: Mode) -> None:
    """Sonnet 5 thinks unless told not to: without max_tokens its whole output limit (128K) is kept free."""
    async with connected(env_for(standin), mode) as client:
        thinking = await client.call_tool("check_context_fit", {"model": "claude-sonnet-5", "messages": MESSAGES})
        off = await client.call_tool(
            "check_context_fit",
            {"model": "claude-sonnet-5", "messages": MESSAGES, "thinking": {"type": "disabled"}},
        )
    assert thinking.structured_content is not None
    assert off.structured_content is not None
    assert thinking.structured_content["reserved_output_tokens"] == 128_000
    assert any("Pass max_tokens to reserve less" in note for note in thinking.structured_content["notes"])
    assert off.structured_content["reserved_output_tokens"] == 0
