"""Where a context window comes from, and that the provider's answers are held in bounded memory."""

import pytest

from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.config import Settings
from mcp_token_counter.core.windows import WindowResolver
from mcp_token_counter.errors import UnknownWindow
from mcp_token_counter.upstream.client import CountingClient
from mcp_token_counter.upstream.http import make_http_client
from tests.standin import Standin
from tests.support import env_for


def _model_lookups(standin: Standin) -> list[str]:
    return [r.path.removeprefix("/v1/models/") for r in standin.log.requests if r.path.startswith("/v1/models/")]


@pytest.mark.anyio
async def test_live_answers_are_remembered_per_model_within_a_bound(standin: Standin) -> None:
    """A shared server is asked about any model string; past the bound the oldest is asked about again."""
    settings = Settings.from_env(env_for(standin))
    assert settings.credential is not None
    async with make_http_client(settings) as http:
        client = CountingClient.from_settings(settings, settings.credential, http)
        windows = WindowResolver(builtin_catalog(), client, max_models=2)
        for model in ("claude-sonnet-4-6", "claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-6"):
            await windows.resolve(model, None)
        await windows.resolve("claude-sonnet-4-6", None)
    assert _model_lookups(standin) == [
        "claude-sonnet-4-6",
        "claude-haiku-4-5",
        "claude-opus-4-6",
        "claude-sonnet-4-6",
    ]


@pytest.mark.anyio
async def test_an_unknown_window_names_the_argument_the_caller_has() -> None:
    windows = WindowResolver(builtin_catalog(), None)
    with pytest.raises(UnknownWindow) as caught:
        await windows.resolve("claude-future-9", None, argument="--context-window")
    assert "Pass the window as --context-window" in str(caught.value)
    assert (await windows.resolve("claude-future-9", 5000)).context_window == 5000
