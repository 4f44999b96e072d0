"""Settings precedence and validation, read from plain dicts."""

import pytest

from mcp_token_counter.config import ACEDATACLOUD_BASE_URL, ANTHROPIC_BASE_URL, Settings
from mcp_token_counter.errors import ConfigError


@pytest.mark.parametrize(
    ("env", "provider", "variable", "style", "base_url"),
    [
        ({"ANTHROPIC_API_KEY": "k"}, "anthropic", "ANTHROPIC_API_KEY", "x-api-key", ANTHROPIC_BASE_URL),
        ({"ANTHROPIC_AUTH_TOKEN": "t"}, "anthropic", "ANTHROPIC_AUTH_TOKEN", "bearer", ANTHROPIC_BASE_URL),
        ({"ACEDATACLOUD_API_TOKEN": "a"}, "acedatacloud", "ACEDATACLOUD_API_TOKEN", "bearer", ACEDATACLOUD_BASE_URL),
        (
            {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_AUTH_TOKEN": "t", "ACEDATACLOUD_API_TOKEN": "a"},
            "anthropic",
            "ANTHROPIC_API_KEY",
            "x-api-key",
            ANTHROPIC_BASE_URL,
        ),
        (
            {"ANTHROPIC_API_KEY": "k", "ACEDATACLOUD_API_TOKEN": "a", "TOKEN_COUNTER_PROVIDER": "acedatacloud"},
            "acedatacloud",
            "ACEDATACLOUD_API_TOKEN",
            "bearer",
            ACEDATACLOUD_BASE_URL,
        ),
        (
            {"ANTHROPIC_API_KEY": "", "ACEDATACLOUD_API_TOKEN": "a"},
            "acedatacloud",
            "ACEDATACLOUD_API_TOKEN",
            "bearer",
            ACEDATACLOUD_BASE_URL,
        ),
    ],
)
def test_credential_precedence(env: dict[str, str], provider: str, variable: str, style: str, base_url: str) -> None:
    """The documented order decides which credential and base URL are used; empty values are unset."""
    settings = Settings.from_env(env)
    assert settings.credential is not None
    assert (settings.credential.provider, settings.credential.variable) == (provider, variable)
    assert settings.credential.auth_style == style
    assert settings.base_url == base_url


def test_no_credentials_means_offline_provider() -> None:
    settings = Settings.from_env({})
    assert settings.credential is None
    assert settings.provider is None


def test_base_urls_are_read_per_provider_and_lose_a_trailing_v1() -> None:
    anthropic = Settings.from_env({"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/v1/"})
    acedata = Settings.from_env(
        {"ACEDATACLOUD_API_TOKEN": "a", "ACEDATACLOUD_API_BASE_URL": "http://x.test", "ANTHROPIC_BASE_URL": "http://y"}
    )
    assert anthropic.base_url == "http://127.0.0.1:9"
    assert acedata.base_url == "http://x.test"


def test_secret_is_hidden_in_repr() -> None:
    settings = Settings.from_env({"ANTHROPIC_API_KEY": "sk-ant-very-secret"})
    assert "sk-ant-very-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TOKEN_COUNTER_TIMEOUT": "soon"}, "TOKEN_COUNTER_TIMEOUT"),
        ({"TOKEN_COUNTER_TIMEOUT": "0"}, "TOKEN_COUNTER_TIMEOUT"),
        ({"TOKEN_COUNTER_MAX_RETRIES": "-1"}, "TOKEN_COUNTER_MAX_RETRIES"),
        ({"TOKEN_COUNTER_PROVIDER": "openai"}, "TOKEN_COUNTER_PROVIDER"),
        ({"TOKEN_COUNTER_FALLBACK": "maybe"}, "TOKEN_COUNTER_FALLBACK"),
        ({"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "api.anthropic.com"}, "ANTHROPIC_BASE_URL"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.variable == variable
    assert variable in str(caught.value)


def test_numeric_and_switch_settings() -> None:
    settings = Settings.from_env(
        {"TOKEN_COUNTER_TIMEOUT": "12.5", "TOKEN_COUNTER_MAX_RETRIES": "0", "TOKEN_COUNTER_OFFLINE": "1"}
    )
    assert (settings.timeout_s, settings.max_retries, settings.offline) == (12.5, 0, True)


@pytest.mark.parametrize(
    ("variable", "key"),
    [
        ("ANTHROPIC_API_KEY", "sk-ant-first-line\nsecond-line"),
        ("ANTHROPIC_AUTH_TOKEN", "sk-ant-with\tTAIL9"),
        ("ACEDATACLOUD_API_TOKEN", "token-with-ключ"),
        ("ANTHROPIC_API_KEY", "sk-ant-\u200bzero-width"),
    ],
)
def test_a_key_that_cannot_be_a_header_is_refused_without_showing_it(variable: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({variable: key})
    assert caught.value.variable == variable
    assert "one line of printable ASCII" in str(caught.value)
    assert key not in str(caught.value)
    assert all(part not in str(caught.value) for part in key.split())
