"""The model table: lookups, normalisation, and the windows the issue pins."""

import pytest

from mcp_token_counter.catalog import builtin_catalog, normalize_model_id


@pytest.mark.parametrize(
    ("typed", "api_id"),
    [
        ("claude-opus-4-8[1m]", "claude-opus-4-8"),
        ("claude-opus-4.6", "claude-opus-4-6"),
        (" claude-sonnet-4-6 ", "claude-sonnet-4-6"),
        ("claude-3.5-haiku", "claude-3-5-haiku"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5-20251001"),
    ],
)
def test_normalize_model_id(typed: str, api_id: str) -> None:
    assert normalize_model_id(typed) == api_id


@pytest.mark.parametrize(
    ("model", "window"),
    [
        ("claude-opus-4-6", 1_000_000),
        ("claude-opus-4-8", 1_000_000),
        ("claude-sonnet-4-6", 1_000_000),
        ("claude-haiku-5-5", 1_000_000),
        ("claude-fable-5-1", 1_000_000),
        ("claude-mythos-5-1", 1_000_000),
        ("claude-sonnet-4-5", 200_000),
        ("claude-opus-4-5", 200_000),
        ("claude-haiku-4-5", 200_000),
        ("claude-haiku-4-5-20251001", 200_000),
        ("Claude-Sonnet-4.6[1m]", 1_000_000),
    ],
)
def test_windows_from_the_table(model: str, window: int) -> None:
    spec = builtin_catalog().lookup(model)
    assert spec is not None
    assert spec.context_window == window


def test_unknown_and_retired_models() -> None:
    catalog = builtin_catalog()
    assert catalog.lookup("claude-imaginary-9") is None
    assert catalog.retired_on("claude-3-opus-20240229") == "2026-01-05"


def test_every_row_has_consistent_limits() -> None:
    for spec in builtin_catalog().models:
        assert 0 < spec.max_output_tokens < spec.context_window, spec.id
        assert spec.ctok_version in {"3.0", "4.7", "4.8"}, spec.id
