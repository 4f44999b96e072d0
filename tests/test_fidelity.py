"""Every count_tokens field and header the official SDK types (anthropic-sdk-python 0.121.0) reaches the API."""

import json
from typing import Any

import pytest

from mcp_token_counter.core.request import COUNT_FIELDS, GENERATION_FIELDS, HEADER_FIELDS, BodyFields, build_request
from tests.standin import Standin, expected_count, expected_original_count
from tests.support import Mode, connected, env_for

TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather",
    "input_schema": {"type": "object", "properties": {}},
}
SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}
# Every body field of MessageCountTokensParams and BetaMessageCountTokensParams but mcp_servers (which the
# endpoint refuses, and which falls back to an estimate), in the order a client might send them.
EVERY_BODY_FIELD: dict[str, Any] = {
    "model": "claude-opus-4-6",
    "messages": [{"role": "user", "content": [{"type": "text", "text": "Weather in 東京? 🌧️", "cache_control": None}]}],
    "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
    "tools": [TOOL],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "thinking": {"type": "enabled", "budget_tokens": 2048},
    "output_config": {"effort": "high"},
    "cache_control": {"type": "ephemeral"},
    "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
    "output_format": SCHEMA,
    "speed": "fast",
}
HEADERS = {"betas": ["context-management-2025-06-27", "fast-mode-2026-02-01"], "user_profile_id": "prof_0123abc"}


@pytest.mark.anyio
async def test_every_field_and_header_arrives_byte_for_byte(standin: Standin, mode: Mode) -> None:
    """The body the stand-in receives is exactly the fields sent, compact, in order; the headers carry the rest."""
    arguments = {**EVERY_BODY_FIELD, **HEADERS, "temperature": 0.3, "max_tokens": 1024}
    async with connected(env_for(standin), mode) as client:
        result = await client.call_tool("count_tokens", arguments)
    assert result.structured_content is not None, result
    assert result.structured_content["ignored_fields"] == ["max_tokens", "temperature"]
    assert result.structured_content["input_tokens"] == expected_count(EVERY_BODY_FIELD)
    assert result.structured_content["original_input_tokens"] == expected_original_count(EVERY_BODY_FIELD)
    record = standin.log.last()
    assert json.loads(record.body) == EVERY_BODY_FIELD
    assert (
        record.body == json.dumps(_declared_order(EVERY_BODY_FIELD), ensure_ascii=False, separators=(",", ":")).encode()
    )
    assert record.headers["anthropic-beta"] == "context-management-2025-06-27,fast-mode-2026-02-01"
    assert record.headers["anthropic-user-profile-id"] == "prof_0123abc"


def _declared_order(body: dict[str, Any]) -> dict[str, Any]:
    """The tool's declared fields come first in its signature's order, then the passed-through ones as sent."""
    declared = ["model", "messages", *BodyFields.__dataclass_fields__]
    return {**{k: body[k] for k in declared if k in body}, **{k: v for k, v in body.items() if k not in declared}}


@pytest.mark.parametrize("field", sorted(COUNT_FIELDS - {"model", "messages"}))
def test_no_known_count_tokens_field_is_dropped(field: str) -> None:
    """Declared or not, every body field the SDK types reaches the body; none is reported as ignored."""
    value: Any = {"probe": field}
    declared = field in BodyFields.__dataclass_fields__
    request = build_request(
        model="claude-opus-4-6",
        messages=[],
        body_fields=BodyFields(**{field: value}) if declared else BodyFields(),
        betas=None,
        raw_arguments={"model": "m", "messages": [], field: value},
    )
    assert request.body[field] == value
    assert request.ignored_fields == ()


def test_the_field_tables_do_not_overlap() -> None:
    assert not COUNT_FIELDS & GENERATION_FIELDS
    assert not COUNT_FIELDS & set(HEADER_FIELDS)
    assert not GENERATION_FIELDS & set(HEADER_FIELDS)


@pytest.mark.anyio
async def test_a_user_profile_id_that_cannot_be_a_header_is_refused(standin: Standin) -> None:
    async with connected(env_for(standin)) as client:
        result = await client.call_tool(
            "count_tokens",
            {"model": "claude-opus-4-6", "messages": EVERY_BODY_FIELD["messages"], "user_profile_id": "a\nb"},
        )
    assert result.is_error
    assert len(standin.log) == 0


@pytest.mark.anyio
async def test_a_count_without_context_management_has_no_original_count(standin: Standin) -> None:
    async with connected(env_for(standin)) as client:
        result = await client.call_tool(
            "count_tokens", {"model": "claude-opus-4-6", "messages": EVERY_BODY_FIELD["messages"]}
        )
    assert result.structured_content is not None, result
    assert "original_input_tokens" not in result.structured_content
