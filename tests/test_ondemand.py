"""The shared HTTP client is made by the first request that needs it, not at start-up."""

import httpx2
import pytest

from mcp_token_counter.config import Settings
from mcp_token_counter.core.request import BodyFields, Message, build_request
from mcp_token_counter.core.state import build_state
from mcp_token_counter.upstream.http import make_http_client, make_on_demand_client


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.anthropic.com",
        "https://api.anthropic.com/",
        "https://gateway.example.test/anthropic",
        "https://user:secret@gateway.example.test/anthropic/",
        "http://127.0.0.1:8765",
    ],
)
def test_the_base_url_is_known_before_the_client_and_is_the_clients(base_url: str) -> None:
    settings = Settings.from_env({"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": base_url})
    on_demand = make_on_demand_client(settings)
    assert on_demand.base_url == make_http_client(settings).base_url
    assert "secret" not in str(on_demand.base_url)
    assert not on_demand.made


@pytest.mark.anyio
async def test_the_client_is_made_by_the_first_count_and_closed_with_the_state() -> None:
    requests: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        return httpx2.Response(200, json={"input_tokens": 9})

    settings = Settings.from_env({"ANTHROPIC_API_KEY": "sk-test", "TOKEN_COUNTER_CACHE": "0"})
    http = make_on_demand_client(settings, httpx2.MockTransport(answer))
    state = build_state(settings, http)
    assert not http.made  # building the state, as the server's lifespan does at start, makes nothing

    request = build_request(
        model="claude-sonnet-4-6",
        messages=[Message.model_validate({"role": "user", "content": "hi"})],
        body_fields=BodyFields(),
        betas=None,
        raw_arguments=None,
    )
    assert (await state.counter.measure(request)).input_tokens == 9
    assert http.made
    client = http.client()
    assert (await state.counter.measure(request)).input_tokens == 9
    assert http.client() is client  # one client for the process, not one per call
    assert len(requests) == 2
    await http.aclose()
    assert client.is_closed


@pytest.mark.anyio
async def test_closing_a_client_never_made_makes_none() -> None:
    http = make_on_demand_client(Settings.from_env({"ANTHROPIC_API_KEY": "sk-test"}))
    await http.aclose()
    assert not http.made
