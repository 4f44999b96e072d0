"""The token-counting page's worked examples (seed 002), sent exactly as the page sends them."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_token_counter.catalog import ModelSpec
from mcp_token_counter.offline.request.estimate import estimate_request
from mcp_token_counter.offline.request.result import Estimate

GET_WEATHER: dict[str, Any] = {
    "name": "get_weather",
    "description": "Get the current weather in a given location",
    "input_schema": {
        "type": "object",
        "properties": {
            "location": {
                "type": "string",
                "description": "The city and state, e.g. San Francisco, CA",
            }
        },
        "required": ["location"],
    },
}

THINKING_EXAMPLE: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "thinking": {"type": "enabled", "budget_tokens": 16000},
    "messages": [
        {"role": "user", "content": "Are there an infinite number of prime numbers such that n mod 4 == 3?"},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "thinking",
                    "thinking": "This is a nice number theory question. Lets think about it step by step...",
                    "signature": "EuYBCkQYAiJAgCs1le6/Pol5Z4/JMomVOouGrWdhYNsH3ukzUECbB6iWrSQtsQuRHJID6lWV...",
                },
                {"type": "text", "text": "Yes, there are infinitely many prime numbers p such that p mod 4 = 3..."},
            ],
        },
        {"role": "user", "content": "Can you write a formal proof?"},
    ],
}


def assert_consistent(estimate: Estimate) -> None:
    assert sum(part.tokens for part in estimate.parts) == estimate.input_tokens
    assert sum(part.uncertainty_tokens for part in estimate.parts) == estimate.uncertainty_tokens


def test_system_prompt_example_is_exact(opus_4_6: ModelSpec) -> None:
    body = {
        "model": "claude-opus-4-6",
        "system": "You are a scientist",
        "messages": [{"role": "user", "content": "Hello, Claude"}],
    }
    estimate = estimate_request(body, opus_4_6)
    assert estimate.input_tokens == 14
    assert estimate.method == "ctok-3.0"
    assert [part.name for part in estimate.parts] == ["framing", "system", "messages[0]"]
    assert_consistent(estimate)


def test_tool_example_within_two_percent(opus_4_6: ModelSpec) -> None:
    body = {
        "model": "claude-opus-4-6",
        "tools": [GET_WEATHER],
        "messages": [{"role": "user", "content": "What's the weather like in San Francisco?"}],
    }
    estimate = estimate_request(body, opus_4_6)
    assert estimate.input_tokens == pytest.approx(403, rel=0.02)
    assert_consistent(estimate)


def test_tool_use_system_prompt_is_the_documented_auto_size(opus_4_6: ModelSpec) -> None:
    body = {"tools": [GET_WEATHER], "messages": [{"role": "user", "content": "What's the weather like?"}]}
    estimate = estimate_request(body, opus_4_6)
    assert {part.name: part.tokens for part in estimate.parts}["tool_use_system_prompt"] == 346


def test_extended_thinking_example_within_two_percent(sonnet_4_6: ModelSpec) -> None:
    estimate = estimate_request(THINKING_EXAMPLE, sonnet_4_6)
    assert estimate.input_tokens == pytest.approx(88, rel=0.02)
    assert_consistent(estimate)
