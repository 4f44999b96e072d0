"""Fit arithmetic and output-reservation rules."""

import pytest

from mcp_token_counter.core.fit import (
    ModelThinking,
    compute_fit,
    output_warnings,
    reserve_output,
    thinking_warnings,
)


def test_fit_counts_reserved_output_and_allows_negative_remaining() -> None:
    fit = compute_fit(190_000, 20_000, 200_000)
    assert (fit.fits, fit.remaining_tokens, fit.utilization) == (False, -10_000, 1.05)


def test_exactly_full_window_fits() -> None:
    fit = compute_fit(150_000, 50_000, 200_000)
    assert (fit.fits, fit.remaining_tokens, fit.utilization) == (True, 0, 1.0)


OPTIONAL = ModelThinking("claude-sonnet-4-6", "optional", 64_000)
DEFAULT_ON = ModelThinking("claude-sonnet-5", "default", 128_000)
ALWAYS_ON = ModelThinking("claude-opus-5-5", "always", 128_000)


@pytest.mark.parametrize(
    ("max_tokens", "thinking", "model", "reserved"),
    [
        (4096, None, OPTIONAL, 4096),
        (4096, {"type": "enabled", "budget_tokens": 2048}, OPTIONAL, 4096),
        (4096, None, ALWAYS_ON, 4096),  # max_tokens bounds thinking too
        (None, {"type": "enabled", "budget_tokens": 2048}, OPTIONAL, 2048),
        (None, None, OPTIONAL, 0),
        (None, {"type": "disabled"}, OPTIONAL, 0),
        # Adaptive thinking may use the whole output limit when max_tokens does not bound it.
        (None, {"type": "adaptive"}, OPTIONAL, 64_000),
        (None, None, DEFAULT_ON, 128_000),
        (None, {"type": "disabled"}, DEFAULT_ON, 0),
        (None, None, ALWAYS_ON, 128_000),
        (None, None, ModelThinking("claude-new", "default", None), 0),
    ],
)
def test_reserve_output(
    max_tokens: int | None, thinking: dict[str, object] | None, model: ModelThinking, reserved: int
) -> None:
    reserve = reserve_output(max_tokens, thinking, model)
    assert reserve.tokens == reserved
    # Whenever the server chose the amount, a note says what and how to change it.
    assert (reserve.note is not None) == (max_tokens is None and reserved > 0)


def test_the_default_thinking_reserve_is_explained() -> None:
    note = reserve_output(None, None, DEFAULT_ON).note
    assert note is not None
    assert "claude-sonnet-5" in note
    assert "128,000" in note
    assert "Pass max_tokens" in note


def test_manual_thinking_on_an_adaptive_only_model_is_flagged() -> None:
    enabled = {"type": "enabled", "budget_tokens": 2048}
    assert thinking_warnings(enabled, OPTIONAL) == []
    (warning,) = thinking_warnings(enabled, DEFAULT_ON)
    assert "adaptive" in warning
    assert "output_config.effort" in warning
    assert thinking_warnings({"type": "disabled"}, DEFAULT_ON) == []
    (refused,) = thinking_warnings({"type": "disabled"}, ALWAYS_ON)
    assert "claude-opus-5-5" in refused


def test_thinking_budget_must_be_below_max_tokens() -> None:
    warnings = output_warnings(2048, {"type": "enabled", "budget_tokens": 4096}, 64_000)
    assert len(warnings) == 1
    assert "budget_tokens (4096)" in warnings[0]
    assert "max_tokens (2048)" in warnings[0]


def test_max_tokens_over_the_model_cap_is_flagged() -> None:
    assert "output limit (64000)" in output_warnings(100_000, None, 64_000)[0]
    assert output_warnings(1000, {"type": "enabled", "budget_tokens": 500}, 64_000) == []
