"""The models resource: the built-in table, whole (``models://catalog``) or one model (``models://{model_id}``)."""

from __future__ import annotations

from typing import Any, Final

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from ..catalog import CATALOG_URI, builtin_catalog, catalog_document, model_row

MODEL_URI: Final = "models://{model_id}"
CATALOG_DESCRIPTION: Final = (
    "Every model the server knows: context window, max output, list prices per million tokens, price "
    "multipliers, tokenizer family and status, with the date the prices were taken."
)
MODEL_DESCRIPTION: Final = (
    "One model's window, max output, prices, tokenizer family and status; ids are normalised "
    "(models://claude-sonnet-4.6 works). An unknown id is a resource-not-found error."
)


def register_resources(server: MCPServer[Any]) -> None:
    """Add the models resource and its per-model template."""

    @server.resource(
        CATALOG_URI,
        name="models",
        title="Known Claude models",
        description=CATALOG_DESCRIPTION,
        mime_type="application/json",
    )
    def models() -> dict[str, Any]:
        return catalog_document(builtin_catalog())

    @server.resource(
        MODEL_URI, name="model", title="One Claude model", description=MODEL_DESCRIPTION, mime_type="application/json"
    )
    def model(model_id: str) -> dict[str, Any]:
        catalog = builtin_catalog()
        spec = catalog.lookup(model_id)
        if spec is None:
            # The spec's not-found answer (-32602 since SEP-2164), not an internal error.
            raise ResourceNotFoundError(
                f"{model_id!r} is not in the model table; read {CATALOG_URI} for the known ids."
            )
        return {"prices_as_of": catalog.prices_as_of, **model_row(spec)}
