"""The models resource: the built-in table, whole (``models://catalog``) or one model (``models://{model_id}``)."""

from __future__ import annotations

from typing import Any, Final

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from .catalog import Catalog, ModelSpec, builtin_catalog

CATALOG_URI: Final = "models://catalog"
MODEL_URI: Final = "models://{model_id}"
PRICE_NOTE: Final = (
    "estimated_input_cost_usd uses the base input price. Multiply by a price_multipliers entry for batch "
    "(0.5), cache writes (1.25 for 5 minutes, 2 for 1 hour), cache reads (0.1) or US-only inference (1.1)."
)


def model_row(spec: ModelSpec) -> dict[str, Any]:
    """What a client needs to plan a request for one model."""
    return {
        "id": spec.id,
        "aliases": list(spec.aliases),
        "context_window": spec.context_window,
        "max_output_tokens": spec.max_output_tokens,
        "input_usd_per_mtok": spec.input_usd_per_mtok,
        "output_usd_per_mtok": spec.output_usd_per_mtok,
        "tokenizer": spec.ctok_version,
        "status": spec.status,
    }


def catalog_document(catalog: Catalog) -> dict[str, Any]:
    """The whole table, with the date its prices were taken and the billing multipliers."""
    return {
        "prices_as_of": catalog.prices_as_of,
        "price_multipliers": catalog.price_multipliers,
        "price_note": PRICE_NOTE,
        "models": [model_row(spec) for spec in catalog.models],
    }


def register_resources(server: MCPServer[Any]) -> None:
    """Add the models resource and its per-model template."""

    @server.resource(CATALOG_URI, name="models", title="Known Claude models", mime_type="application/json")
    def models() -> dict[str, Any]:
        return catalog_document(builtin_catalog())

    @server.resource(MODEL_URI, name="model", title="One Claude model", mime_type="application/json")
    def model(model_id: str) -> dict[str, Any]:
        catalog = builtin_catalog()
        spec = catalog.lookup(model_id)
        if spec is None:
            raise ResourceError(f"{model_id!r} is not in the model table; read {CATALOG_URI} for the known ids.")
        return {"prices_as_of": catalog.prices_as_of, **model_row(spec)}
