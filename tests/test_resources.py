"""The models resource and its per-model template, read through a real MCP client."""

import json

import pytest
from mcp import MCPError
from mcp.types import INVALID_PARAMS, TextResourceContents

from mcp_token_counter.catalog import builtin_catalog
from tests.support import Mode, connected


async def _read_json(uri: str, mode: Mode) -> dict[str, object]:
    async with connected({}, mode) as client:
        result = await client.read_resource(uri)
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "application/json"
    return json.loads(content.text)


@pytest.mark.anyio
async def test_resources_and_template_are_listed(mode: Mode) -> None:
    async with connected({}, mode) as client:
        resources = await client.list_resources()
        templates = await client.list_resource_templates()
    assert [str(r.uri) for r in resources.resources] == ["models://catalog"]
    assert [t.uri_template for t in templates.resource_templates] == ["models://{model_id}"]
    described = [r.description for r in resources.resources] + [t.description for t in templates.resource_templates]
    assert all(described), described


@pytest.mark.anyio
async def test_catalog_lists_every_model_with_prices_and_their_date(mode: Mode) -> None:
    document = await _read_json("models://catalog", mode)
    catalog = builtin_catalog()
    assert document["prices_as_of"] == catalog.prices_as_of
    assert document["price_multipliers"] == catalog.price_multipliers
    models = document["models"]
    assert isinstance(models, list)
    assert [m["id"] for m in models] == [spec.id for spec in catalog.models]  # pyright: ignore[reportUnknownVariableType]


@pytest.mark.anyio
async def test_one_model_by_template_with_a_user_typed_id(mode: Mode) -> None:
    """claude-sonnet-4.6 is normalised like tool arguments are."""
    assert await _read_json("models://claude-sonnet-4.6", mode) == {
        "prices_as_of": builtin_catalog().prices_as_of,
        "id": "claude-sonnet-4-6",
        "aliases": [],
        "context_window": 1_000_000,
        "max_output_tokens": 64_000,
        "input_usd_per_mtok": 3,
        "output_usd_per_mtok": 15,
        # The pricing page's Sonnet 4.6 row: cache writes 1.25x / 2x, reads 0.1x; US-only inference 1.1x.
        "prices": {
            "input": 3,
            "output": 15,
            "cache_write_5m": 3.75,
            "cache_write_1h": 6,
            "cache_read": 0.3,
            "inference_geo_us": True,
        },
        "tokenizer": "3.0",  # ctok family
        "thinking": "optional",
        "status": "active",
        "min_cacheable_tokens": 1024,  # the prompt-caching page's minimum cacheable prompt length
    }


@pytest.mark.anyio
async def test_an_unknown_model_is_an_error_pointing_at_the_catalog(mode: Mode) -> None:
    async with connected({}, mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.read_resource("models://claude-imaginary-9")
    assert "models://catalog" in caught.value.error.message
    # The spec's resource-not-found answer (invalid params since SEP-2164), not -32603 (internal error).
    assert caught.value.error.code == INVALID_PARAMS
