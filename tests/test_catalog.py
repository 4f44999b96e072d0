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


def test_every_model_is_complete_and_settled() -> None:
    """Each row has a window, an output limit, a tokenizer family, a thinking mode and a full price list."""
    catalog = builtin_catalog()
    assert len({spec.id for spec in catalog.models}) == len(catalog.models)
    for spec in catalog.models:
        assert spec.status in {"active", "legacy", "deprecated", "invitation-only"}, spec.id
        assert spec.thinking in {"always", "default", "optional"}, spec.id
        for rates in (spec.prices.base, *(tier.rates for tier in spec.prices.tiers)):
            assert 0 < rates.cache_read < rates.input < rates.cache_write_5m < rates.cache_write_1h, spec.id
            assert rates.input < rates.output, spec.id
        thresholds = [tier.above_prompt_tokens for tier in spec.prices.tiers]
        assert thresholds == sorted(thresholds), spec.id
        assert all(0 < t < spec.context_window for t in thresholds), spec.id
        assert spec.prices.fast is None or spec.prices.fast > 1, spec.id


def test_a_tier_applies_above_its_threshold_only() -> None:
    """Haiku 5.5 bills prompts over 100,000 tokens at its higher rates (the model page's 'From $0.10')."""
    haiku = builtin_catalog().lookup("claude-haiku-5-5")
    assert haiku is not None
    assert haiku.prices.rates_for(100_000) == (haiku.prices.base, None)
    rates, threshold = haiku.prices.rates_for(100_001)
    assert (rates.input, rates.output, threshold) == (0.5, 2.5, 100_000)


def test_every_model_has_a_minimum_cacheable_length_and_the_page_is_dated() -> None:
    """The prompt-caching page's minimum per model, with the page and the day it was read."""
    catalog = builtin_catalog()
    assert catalog.caching.source.startswith("https://platform.claude.com/")
    assert catalog.caching.checked == "2026-12-07"
    assert (catalog.caching.max_breakpoints, catalog.caching.lookback_blocks) == (4, 20)
    for spec in catalog.models:
        assert spec.min_cacheable_tokens in {512, 1024, 2048, 4096}, spec.id
    opus_5 = catalog.lookup("claude-opus-5")
    haiku_5_5 = catalog.lookup("claude-haiku-5-5")
    assert opus_5 is not None
    assert haiku_5_5 is not None
    assert (opus_5.min_cacheable_tokens, opus_5.min_cacheable_inferred) == (512, False)
    assert haiku_5_5.min_cacheable_inferred
