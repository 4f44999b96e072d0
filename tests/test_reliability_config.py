"""The reliability settings: defaults, parsing, and errors that name the variable."""

import pytest

from mcp_token_counter.config import Settings, load_settings
from mcp_token_counter.errors import ConfigError
from mcp_token_counter.redaction import display_url


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.deadline_s, settings.max_concurrency, settings.rpm) == (60.0, 16, None)
    assert (settings.cache, settings.cache_bytes, settings.cache_ttl_s) == (True, 8_000_000, 3600.0)


def test_values_are_read() -> None:
    settings = Settings.from_env(
        {
            "TOKEN_COUNTER_DEADLINE": "12.5",
            "TOKEN_COUNTER_MAX_CONCURRENCY": "4",
            "TOKEN_COUNTER_RPM": "50",
            "TOKEN_COUNTER_CACHE": "off",
            "TOKEN_COUNTER_CACHE_BYTES": "1000",
            "TOKEN_COUNTER_CACHE_TTL": "30",
        }
    )
    assert (settings.deadline_s, settings.max_concurrency, settings.rpm) == (12.5, 4, 50)
    assert (settings.cache, settings.cache_bytes, settings.cache_ttl_s) == (False, 1000, 30.0)


def test_the_default_deadline_is_never_shorter_than_the_timeout() -> None:
    assert Settings.from_env({"TOKEN_COUNTER_TIMEOUT": "90"}).deadline_s == 90.0


@pytest.mark.parametrize(("value", "rpm"), [("0", None), ("", None), ("1", 1)])
def test_rpm_zero_or_empty_means_no_limit(value: str, rpm: int | None) -> None:
    assert Settings.from_env({"TOKEN_COUNTER_RPM": value}).rpm == rpm


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TOKEN_COUNTER_DEADLINE", "0"),
        ("TOKEN_COUNTER_DEADLINE", "later"),
        ("TOKEN_COUNTER_MAX_CONCURRENCY", "0"),
        ("TOKEN_COUNTER_MAX_CONCURRENCY", "many"),
        ("TOKEN_COUNTER_RPM", "-1"),
        ("TOKEN_COUNTER_CACHE", "maybe"),
        ("TOKEN_COUNTER_CACHE_BYTES", "8MB"),
        ("TOKEN_COUNTER_CACHE_TTL", "-5"),
        ("TOKEN_COUNTER_MAX_SESSIONS", "0"),
        ("TOKEN_COUNTER_SESSION_IDLE_TIMEOUT", "never"),
        # Digits that str.isdigit() accepts and int() refuses.
        ("TOKEN_COUNTER_MAX_RETRIES", "²"),
        ("TOKEN_COUNTER_MAX_CONCURRENCY", "³"),
        ("TOKEN_COUNTER_RPM", "①"),
        ("TOKEN_COUNTER_CACHE_BYTES", "٣"),
    ],
)
def test_bad_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({variable: value})
    assert caught.value.variable == variable
    assert variable in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://api.anthropic.com", "https://api.anthropic.com"),
        ("http://user:secret@127.0.0.1:8080/x", "http://***@127.0.0.1:8080/x"),
        ("https://token@gateway.example", "https://***@gateway.example"),
        ("http://u:p@[::1]:9/", "http://***@[::1]:9/"),
    ],
)
def test_urls_are_shown_without_credentials(url: str, shown: str) -> None:
    assert display_url(url) == shown


def test_a_bad_whole_number_is_reported_and_the_server_still_starts() -> None:
    """The README's promise: a bad value never stops the server; it is named on each call instead."""
    settings, error = load_settings({"TOKEN_COUNTER_MAX_RETRIES": "²"})
    assert settings == Settings()
    assert error is not None
    assert error.variable == "TOKEN_COUNTER_MAX_RETRIES"
