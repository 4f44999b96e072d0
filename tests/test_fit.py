"""Fit arithmetic and output-reservation rules."""

import pytest

from mcp_token_counter.core.fit import compute_fit, output_warnings, reserve_output


def test_fit_counts_reserved_output_and_allows_negative_remaining() -> None:
    fit = compute_fit(190_000, 20_000, 200_000)
    assert (fit.fits, fit.remaining_tokens, fit.utilization) == (False, -10_000, 1.05)


def test_exactly_full_window_fits() -> None:
    fit = compute_fit(150_000, 50_000, 200_000)
    assert (fit.fits, fit.remaining_tokens, fit.utilization) == (True, 0, 1.0)


@pytest.mark.parametrize(
    ("max_tokens", "thinking", "reserved"),
    [
        (4096, None, 4096),
        (4096, {"type": "enabled", "budget_tokens": 2048}, 4096),
        (None, {"type": "enabled", "budget_tokens": 2048}, 2048),
        (None, {"type": "adaptive"}, 0),
        (None, None, 0),
    ],
)
def test_reserve_output(max_tokens: int | None, thinking: dict[str, object] | None, reserved: int) -> None:
    assert reserve_output(max_tokens, thinking) == reserved


def test_thinking_budget_must_be_below_max_tokens() -> None:
    warnings = output_warnings(2048, {"type": "enabled", "budget_tokens": 4096}, 64_000)
    assert len(warnings) == 1
    assert "budget_tokens (4096)" in warnings[0]
    assert "max_tokens (2048)" in warnings[0]


def test_max_tokens_over_the_model_cap_is_flagged() -> None:
    assert "output limit (64000)" in output_warnings(100_000, None, 64_000)[0]
    assert output_warnings(1000, {"type": "enabled", "budget_tokens": 500}, 64_000) == []
