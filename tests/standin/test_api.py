"""The stand-in answers like the counting API: auth, headers, validation, models, counts."""

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import JsonValue

from tests.standin import (
    COUNT_PATH,
    DEFAULT_KEY,
    ModelSpec,
    Standin,
    StandinConfig,
    expected_count,
)
from tests.standin.fixtures import StandinFactory

pytestmark = pytest.mark.anyio

HELLO: dict[str, JsonValue] = {
    "model": "claude-sonnet-4-6",
    "system": "You are a scientist",
    "messages": [{"role": "user", "content": "Hello, Claude"}],
}


@pytest.fixture
async def client(standin: Standin) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=standin.base_url, headers=standin.auth_headers()) as http:
        yield http


@pytest.fixture
async def acedata_client(acedata_standin: Standin) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=acedata_standin.base_url, headers=acedata_standin.auth_headers()) as http:
        yield http


def with_body(**changes: JsonValue) -> dict[str, JsonValue]:
    return {**HELLO, **changes}


def anthropic_error(response: httpx2.Response) -> tuple[int, str, str]:
    body: dict[str, Any] = response.json()
    assert body["request_id"] == response.headers["request-id"]
    return response.status_code, body["error"]["type"], body["error"]["message"]


async def test_count_answers_the_documented_formula_with_a_request_id(
    client: httpx2.AsyncClient, standin: Standin
) -> None:
    response = await client.post(COUNT_PATH, json=HELLO)

    assert response.status_code == 200
    assert response.json() == {"input_tokens": expected_count(HELLO)}
    assert response.headers["request-id"] == standin.log.last().request_id
    assert response.headers["request-id"].startswith("req_")


async def test_beta_query_is_accepted_and_recorded(client: httpx2.AsyncClient, standin: Standin) -> None:
    response = await client.post(COUNT_PATH, params={"beta": "true"}, json=HELLO)

    assert response.status_code == 200
    assert standin.log.last().query == "beta=true"
    assert standin.log.last().params["beta"] == "true"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-api-key": DEFAULT_KEY}, (200, "", "")),
        ({"authorization": f"Bearer {DEFAULT_KEY}"}, (200, "", "")),
        ({}, (401, "authentication_error", "x-api-key header is required")),
        ({"x-api-key": "wrong"}, (401, "authentication_error", "invalid x-api-key")),
        ({"authorization": "Bearer wrong"}, (401, "authentication_error", "invalid x-api-key")),
        (
            {"authorization": f"Basic {DEFAULT_KEY}"},
            (401, "authentication_error", "x-api-key header is required"),
        ),
    ],
)
async def test_anthropic_auth_accepts_either_style(
    standin: Standin, headers: dict[str, str], expected: tuple[int, str, str]
) -> None:
    async with httpx2.AsyncClient(base_url=standin.base_url) as http:
        response = await http.post(COUNT_PATH, json=HELLO, headers={"anthropic-version": "2023-06-01", **headers})

    outcome = (200, "", "") if response.status_code == 200 else anthropic_error(response)
    assert outcome == expected


async def test_auth_styles_can_be_restricted(standin_factory: StandinFactory) -> None:
    standin = standin_factory(StandinConfig(auth_styles=frozenset({"x-api-key"})))
    async with httpx2.AsyncClient(base_url=standin.base_url) as http:
        bearer = await http.post(
            COUNT_PATH,
            json=HELLO,
            headers={"authorization": f"Bearer {DEFAULT_KEY}", "anthropic-version": "2023-06-01"},
        )
        key = await http.post(COUNT_PATH, json=HELLO, headers=standin.auth_headers())

    assert (bearer.status_code, key.status_code) == (401, 200)


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"authorization": f"Bearer {DEFAULT_KEY}"}, 200, None),
        ({"x-api-key": DEFAULT_KEY}, 400, "no_token"),
        ({}, 400, "no_token"),
        ({"authorization": "Bearer wrong"}, 401, "invalid_token"),
    ],
)
async def test_acedata_auth_is_bearer_only(
    acedata_standin: Standin, headers: dict[str, str], status: int, code: str | None
) -> None:
    async with httpx2.AsyncClient(base_url=acedata_standin.base_url) as http:
        response = await http.post(COUNT_PATH, json=HELLO, headers=headers)

    assert response.status_code == status
    if code is not None:
        body = response.json()
        assert body["error"]["code"] == code
        assert body["trace_id"] == acedata_standin.log.last().request_id
        assert "request-id" not in response.headers


@pytest.mark.parametrize(
    ("version", "message"),
    [(None, "anthropic-version: header is required"), ("2024-01-01", "anthropic-version: unknown version")],
)
async def test_anthropic_version_is_required(standin: Standin, version: str | None, message: str) -> None:
    headers = {"x-api-key": DEFAULT_KEY} | ({"anthropic-version": version} if version else {})
    async with httpx2.AsyncClient(base_url=standin.base_url) as http:
        response = await http.post(COUNT_PATH, json=HELLO, headers=headers)

    status, error_type, text = anthropic_error(response)
    assert (status, error_type) == (400, "invalid_request_error")
    assert text.startswith(message)


async def test_acedata_needs_no_anthropic_version(acedata_client: httpx2.AsyncClient) -> None:
    response = await acedata_client.post(COUNT_PATH, json=HELLO)

    assert response.json() == {"input_tokens": expected_count(HELLO)}


@pytest.mark.parametrize(
    ("content_type", "status"),
    [("application/json", 200), ("application/json; charset=utf-8", 200), ("text/plain", 400), (None, 400)],
)
async def test_content_type_must_be_json(client: httpx2.AsyncClient, content_type: str | None, status: int) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post(COUNT_PATH, content=httpx2.Request("POST", "/", json=HELLO).content, headers=headers)

    assert response.status_code == status


async def post_raw(client: httpx2.AsyncClient, raw: bytes) -> httpx2.Response:
    return await client.post(COUNT_PATH, content=raw, headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "Request body is not valid JSON"),
        (b"\xff\xfe", "Request body is not valid JSON"),
        (b'["model"]', "Request body must be a JSON object"),
    ],
)
async def test_body_must_be_a_json_object(client: httpx2.AsyncClient, raw: bytes, message: str) -> None:
    status, error_type, text = anthropic_error(await post_raw(client, raw))

    assert (status, error_type) == (400, "invalid_request_error")
    assert text.startswith(message)


IMAGE_URL: dict[str, JsonValue] = {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}
PDF_FILE: dict[str, JsonValue] = {"type": "document", "source": {"type": "file", "file_id": "file_1"}}


def user(content: JsonValue) -> dict[str, JsonValue]:
    return {"messages": [{"role": "user", "content": content}]}


INVALID_BODIES: list[tuple[str, dict[str, JsonValue], str]] = [
    ("missing model", {"messages": HELLO["messages"]}, "model: Field required"),
    ("model not a string", with_body(model=4), "model: Input should be a valid string"),
    ("missing messages", {"model": "claude-sonnet-4-6"}, "messages: Field required"),
    ("messages not a list", with_body(messages="hi"), "messages: Input should be a valid list"),
    ("empty messages", with_body(messages=[]), "messages: List should have at least 1 item"),
    ("message not an object", with_body(messages=["hi"]), "messages.0: Input should be a valid dictionary"),
    ("bad role", with_body(messages=[{"role": "tool", "content": "x"}]), "messages.0.role: Input should be"),
    ("content a number", with_body(**user(3)), "messages.0.content: Input should be a valid string or list"),
    ("block without type", with_body(**user([{"text": "x"}])), "messages.0.content.0.type: Field required"),
    (
        "block not an object",
        with_body(**user(["x"])),
        "messages.0.content.0: Input should be a valid dictionary",
    ),
    ("max_tokens", with_body(max_tokens=1024), "max_tokens: Extra inputs are not permitted"),
    ("temperature", with_body(temperature=0.5), "temperature: Extra inputs are not permitted"),
    ("stream", with_body(stream=False), "stream: Extra inputs are not permitted"),
    ("metadata", with_body(metadata={}), "metadata: Extra inputs are not permitted"),
    ("betas in body", with_body(betas=["x"]), "betas: Extra inputs are not permitted"),
    ("beta field on GA", with_body(speed="fast"), "speed: Extra inputs are not permitted"),
    ("mcp_servers on GA", with_body(mcp_servers=[]), "mcp_servers: Extra inputs are not permitted"),
    (
        "image url",
        with_body(**user([IMAGE_URL])),
        "messages.0.content.0.source: url sources are not supported",
    ),
    (
        "document file",
        with_body(**user([PDF_FILE])),
        "messages.0.content.0.source: file sources are not supported",
    ),
    (
        "url image in a tool result",
        with_body(**user([{"type": "tool_result", "tool_use_id": "t", "content": [IMAGE_URL]}])),
        "messages.0.content.0.content.0.source: url sources",
    ),
    ("system a number", with_body(system=1), "system: Input should be a valid string or list"),
    ("system block without type", with_body(system=[{"text": "x"}]), "system.0.type: Field required"),
    ("tools not a list", with_body(tools={}), "tools: Input should be a valid list"),
    ("tool not an object", with_body(tools=["x"]), "tools.0: Input should be a valid dictionary"),
    *[
        (
            kind,
            with_body(tools=[{"type": kind, "name": "t"}]),
            f"tools.0: server tool {kind} is not supported",
        )
        for kind in (
            "web_search_20250305",
            "web_fetch_20250910",
            "code_execution_20250825",
            "tool_search_tool_regex_20251119",
        )
    ],
]


@pytest.mark.parametrize(("body", "message"), [c[1:] for c in INVALID_BODIES], ids=[c[0] for c in INVALID_BODIES])
async def test_invalid_bodies_get_the_real_error_shape(
    client: httpx2.AsyncClient, body: dict[str, JsonValue], message: str
) -> None:
    status, error_type, text = anthropic_error(await client.post(COUNT_PATH, json=body))

    assert (status, error_type) == (400, "invalid_request_error")
    assert text.startswith(message)


async def test_mcp_servers_are_refused_even_with_a_beta_header(client: httpx2.AsyncClient) -> None:
    response = await client.post(
        COUNT_PATH, json=with_body(mcp_servers=[]), headers={"anthropic-beta": "mcp-client-2025-11-20"}
    )

    assert anthropic_error(response) == (
        400,
        "invalid_request_error",
        "mcp_servers: the MCP connector is not supported by token counting",
    )


VALID_BODIES: list[tuple[str, dict[str, JsonValue]]] = [
    ("string system", HELLO),
    (
        "block system",
        with_body(system=[{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]),
    ),
    (
        "system role",
        with_body(messages=[{"role": "user", "content": "a"}, {"role": "system", "content": "b"}]),
    ),
    ("base64 image", with_body(**user([{"type": "image", "source": {"type": "base64", "data": "AAAA"}}]))),
    ("unknown block type", with_body(**user([{"type": "future_block_2027", "x": 1}]))),
    (
        "client tools",
        with_body(
            tools=[
                {"name": "get_weather", "description": "d", "input_schema": {"type": "object"}},
                {"type": "bash_20250124", "name": "bash"},
                {"type": "advisor_20260301", "name": "advisor"},
            ],
            tool_choice={"type": "auto"},
        ),
    ),
    (
        "GA extras",
        with_body(thinking={"type": "adaptive"}, output_config={"effort": "low"}, cache_control={}),
    ),
]


@pytest.mark.parametrize("body", [c[1] for c in VALID_BODIES], ids=[c[0] for c in VALID_BODIES])
async def test_valid_bodies_are_counted(client: httpx2.AsyncClient, body: dict[str, JsonValue]) -> None:
    response = await client.post(COUNT_PATH, json=body)

    assert response.json() == {"input_tokens": expected_count(body)}


async def test_beta_fields_pass_with_a_beta_header(client: httpx2.AsyncClient) -> None:
    body = with_body(speed="fast", context_management={"edits": []}, output_format={"type": "json_schema"})

    response = await client.post(
        COUNT_PATH, params={"beta": "true"}, json=body, headers={"anthropic-beta": "fast-mode-2026-02-01"}
    )

    # No edits listed: nothing cleared, so the original count is the count.
    original = {"original_input_tokens": expected_count(body)}
    assert response.json() == {"input_tokens": expected_count(body), "context_management": original}


@pytest.mark.parametrize("model", ["claude-3-opus-20240229", "claude-opus-4-8[1m]", "claude-opus-4.6"])
async def test_unknown_models_are_not_found(client: httpx2.AsyncClient, model: str) -> None:
    response = await client.post(COUNT_PATH, json=with_body(model=model))

    assert anthropic_error(response) == (404, "not_found_error", f"model: {model}")


async def test_acedata_errors_use_its_shape(acedata_client: httpx2.AsyncClient, acedata_standin: Standin) -> None:
    missing = await acedata_client.post(COUNT_PATH, json=with_body(model="claude-x"))
    invalid = await acedata_client.post(COUNT_PATH, json=with_body(max_tokens=5))

    trace_ids = [r.request_id for r in acedata_standin.log]
    assert missing.json() == {
        "error": {"code": "no_api", "message": "model: claude-x"},
        "trace_id": trace_ids[0],
    }
    assert invalid.status_code == 400
    assert invalid.json()["error"] == {
        "code": "bad_request",
        "message": "max_tokens: Extra inputs are not permitted",
    }


@pytest.mark.parametrize(
    "model",
    [
        "claude-sonnet-4-6",
        "claude-opus-4-6",
        "claude-haiku-4-5",
        "claude-haiku-4-5-20251001",
        "claude-opus-4-8",
        "claude-sonnet-5-5",
        "claude-opus-5-5",
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
        "claude-fable-5-1",
    ],
)
async def test_default_models_are_known(client: httpx2.AsyncClient, model: str) -> None:
    response = await client.post(COUNT_PATH, json=with_body(model=model))

    assert response.status_code == 200


async def test_models_endpoint_returns_model_info(client: httpx2.AsyncClient) -> None:
    response = await client.get("/v1/models/claude-haiku-4-5-20251001")

    assert response.status_code == 200
    assert response.json() == {
        "type": "model",
        "id": "claude-haiku-4-5-20251001",
        "display_name": "Claude Haiku 4.5",
        "created_at": "2026-01-01T00:00:00Z",
        "max_input_tokens": 200_000,
        "max_tokens": 64_000,
    }
    assert "request-id" in response.headers


async def test_models_endpoint_checks_auth_and_unknown_ids(standin: Standin, client: httpx2.AsyncClient) -> None:
    unknown = await client.get("/v1/models/claude-2.1")
    async with httpx2.AsyncClient(base_url=standin.base_url) as anonymous:
        no_key = await anonymous.get("/v1/models/claude-sonnet-4-6", headers={"anthropic-version": "2023-06-01"})

    assert anthropic_error(unknown) == (404, "not_found_error", "model: claude-2.1")
    assert anthropic_error(no_key)[:2] == (401, "authentication_error")


async def test_unlisted_model_is_countable_but_absent_from_models(standin_factory: StandinFactory) -> None:
    hidden = ModelSpec(id="claude-hidden-1", display_name="Hidden", max_input_tokens=5000, listed=False)
    shown = ModelSpec(id="claude-shown-1", display_name="Shown", max_input_tokens=7000, max_tokens=100)
    standin = standin_factory(StandinConfig(models=(hidden, shown)))
    async with httpx2.AsyncClient(base_url=standin.base_url, headers=standin.auth_headers()) as http:
        counted = await http.post(COUNT_PATH, json=with_body(model="claude-hidden-1"))
        lookup = await http.get("/v1/models/claude-hidden-1")
        shown_info = await http.get("/v1/models/claude-shown-1")
        default_model = await http.post(COUNT_PATH, json=HELLO)

    assert counted.status_code == 200
    assert lookup.status_code == 404
    assert shown_info.json()["max_input_tokens"] == 7000
    assert default_model.status_code == 404


async def test_unknown_paths_and_methods_use_the_error_shape(client: httpx2.AsyncClient) -> None:
    wrong_path = await client.post("/v1/messages/count", json=HELLO)
    wrong_method = await client.get(COUNT_PATH)

    assert anthropic_error(wrong_path)[:2] == (404, "not_found_error")
    assert anthropic_error(wrong_method)[0] == 405


async def test_bodies_over_the_limit_are_drained_and_refused(standin_factory: StandinFactory) -> None:
    standin = standin_factory(StandinConfig(max_body_bytes=1000))
    body = with_body(messages=[{"role": "user", "content": "x" * 5000}])
    async with httpx2.AsyncClient(base_url=standin.base_url, headers=standin.auth_headers()) as http:
        response = await http.post(COUNT_PATH, json=body)

    assert anthropic_error(response)[:2] == (413, "request_too_large")
    assert (standin.log.last().body, standin.log.last().body_size) == (b"", len(response.request.content))


async def test_default_limit_is_32_mb(client: httpx2.AsyncClient) -> None:
    padding = "x" * (32_000_000 - len(httpx2.Request("POST", "/", json=with_body(**user(""))).content))
    at_limit = with_body(**user(padding))
    over_limit = with_body(**user(padding + "x"))

    assert (await client.post(COUNT_PATH, json=at_limit)).status_code == 200
    assert (await client.post(COUNT_PATH, json=over_limit)).status_code == 413


async def test_text_that_bites_is_counted_byte_exactly(client: httpx2.AsyncClient) -> None:
    body = with_body(**user("日本語 😀 שלום \\ \u0000 \ud800"))
    # httpx2's json= cannot encode a lone surrogate (it uses ensure_ascii=False); escaped JSON can.
    raw = json.dumps(body).encode()

    response = await post_raw(client, raw)

    assert response.json() == {"input_tokens": expected_count(body)}


JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.text()
JSON_VALUES = st.recursive(
    JSON_LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3)
)


@given(st.dictionaries(st.text(), JSON_VALUES, max_size=5))
def test_expected_count_ignores_key_order(body: dict[str, Any]) -> None:
    reordered: Mapping[str, Any] = dict(reversed(list(body.items())))

    assert expected_count(reordered) == expected_count(body)


def test_expected_count_follows_the_documented_formula() -> None:
    # canonical JSON: 115 bytes; with one tool: 128; with the text as a one-block list: 140.
    assert expected_count(HELLO) == 3 + 29 + 4
    assert expected_count(with_body(tools=[{}])) == 3 + 32 + 4 + 29
    assert expected_count(with_body(**user([{"type": "text", "text": "Hello, Claude"}]))) == 3 + 35 + 4 + 7
