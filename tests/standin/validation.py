"""Request checks with the real API's status codes and message style (counting-api.md §2-§5, §12).

Every check raises `ApiError`; messages follow the `<location>: <problem>` form of the real API's
`invalid_request_error`s so a client's error mapping sees realistic text.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Final

from pydantic import JsonValue
from starlette.datastructures import Headers

from tests.standin.config import ANTHROPIC_VERSION, ModelSpec, StandinConfig
from tests.standin.errors import ApiError

GA_FIELDS: Final = frozenset(
    {"model", "messages", "system", "tools", "tool_choice", "thinking", "output_config", "cache_control"}
)
BETA_FIELDS: Final = frozenset({"context_management", "mcp_servers", "speed", "output_format"})
ROLES: Final = ("user", "assistant", "system")
# Server tools the endpoint refuses; the advisor tool and client-side Anthropic tools are counted.
SERVER_TOOL_PREFIXES: Final = ("web_search_", "web_fetch_", "code_execution_", "tool_search_tool_")
_REMOTE_SOURCES: Final = frozenset({"url", "file"})

JsonObject = dict[str, JsonValue]


def check_auth(headers: Headers, config: StandinConfig) -> None:
    """Pass when any allowed auth style carries an accepted credential.

    Raises:
        ApiError: 401 for a wrong credential; a missing one is 401 (anthropic) or 400 `no_token`
            (acedata, as its gateway documents).
    """
    presented = _credentials(headers, config)
    if any(key in config.keys for key in presented):
        return
    if config.flavour == "acedata":
        if presented:
            raise ApiError(401, "The token is invalid.", code="invalid_token")
        raise ApiError(400, "A token is required: send Authorization: Bearer <token>.", code="no_token")
    if presented:
        raise ApiError(401, "invalid x-api-key")
    raise ApiError(401, "x-api-key header is required")


def _credentials(headers: Headers, config: StandinConfig) -> list[str]:
    found: list[str] = []
    if "x-api-key" in config.styles and (key := headers.get("x-api-key")) is not None:
        found.append(key)
    if "bearer" in config.styles and (auth := headers.get("authorization")) is not None:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer":
            found.append(token.strip())
    return found


def check_version(headers: Headers, config: StandinConfig) -> None:
    """Require the one known `anthropic-version` on the anthropic flavour.

    Raises:
        ApiError: 400 when the header is missing or names an unknown version.
    """
    if config.flavour != "anthropic":
        return
    version = headers.get("anthropic-version")
    if version is None:
        raise ApiError(400, "anthropic-version: header is required")
    if version != ANTHROPIC_VERSION:
        raise ApiError(400, f"anthropic-version: unknown version {version!r}")


def check_content_type(headers: Headers) -> None:
    """Require a JSON body.

    Raises:
        ApiError: 400 unless the media type is application/json.
    """
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(400, "content-type: must be application/json")


def parse_object(raw: bytes) -> JsonObject:
    """Parse the body as a JSON object.

    Raises:
        ApiError: 400 for invalid JSON or a non-object.
    """
    try:
        parsed: JsonValue = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"Request body is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return parsed


def check_model(body: JsonObject, config: StandinConfig) -> ModelSpec:
    """The spec of the body's model.

    Raises:
        ApiError: 404 `model: <id>` for an unknown model.
    """
    model_id = str(body["model"])
    spec = config.model(model_id)
    if spec is None:
        raise ApiError(404, f"model: {model_id}")
    return spec


def check_count_body(body: JsonObject, *, beta: bool) -> None:
    """Validate a count_tokens body; `beta` is whether an `anthropic-beta` header came with it.

    Raises:
        ApiError: 400 `invalid_request_error` for the first problem found.
    """
    _check_fields(body, beta=beta)
    model = body.get("model")
    if model is None:
        raise ApiError(400, "model: Field required")
    if not isinstance(model, str):
        raise ApiError(400, "model: Input should be a valid string")
    _check_messages(body.get("messages"))
    _check_system(body.get("system"))
    _check_tools(body.get("tools"))


def _check_fields(body: JsonObject, *, beta: bool) -> None:
    allowed = GA_FIELDS | BETA_FIELDS if beta else GA_FIELDS
    for name in body:
        if name not in allowed:
            raise ApiError(400, f"{name}: Extra inputs are not permitted")
    if "mcp_servers" in body:
        raise ApiError(400, "mcp_servers: the MCP connector is not supported by token counting")


def _check_messages(messages: JsonValue) -> None:
    if messages is None:
        raise ApiError(400, "messages: Field required")
    if not isinstance(messages, list):
        raise ApiError(400, "messages: Input should be a valid list")
    if not messages:
        raise ApiError(400, "messages: List should have at least 1 item after validation, not 0")
    for index, message in enumerate(messages):
        _check_message(message, f"messages.{index}")


def _check_message(message: JsonValue, where: str) -> None:
    if not isinstance(message, dict):
        raise ApiError(400, f"{where}: Input should be a valid dictionary")
    if message.get("role") not in ROLES:
        raise ApiError(400, f"{where}.role: Input should be 'user', 'assistant' or 'system'")
    content = message.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise ApiError(400, f"{where}.content: Input should be a valid string or list")
    _check_blocks(content, f"{where}.content")


def _check_blocks(blocks: Sequence[JsonValue], where: str) -> None:
    for index, block in enumerate(blocks):
        _check_block(block, f"{where}.{index}")


def _check_block(block: JsonValue, where: str) -> None:
    if not isinstance(block, dict):
        raise ApiError(400, f"{where}: Input should be a valid dictionary")
    kind = block.get("type")
    if not isinstance(kind, str):
        raise ApiError(400, f"{where}.type: Field required")
    if kind in ("image", "document"):
        _check_source(block.get("source"), f"{where}.source")
    nested = block.get("content")
    if kind == "tool_result" and isinstance(nested, list):
        _check_blocks(nested, f"{where}.content")


def _check_source(source: JsonValue, where: str) -> None:
    if isinstance(source, dict) and source.get("type") in _REMOTE_SOURCES:
        kind = source.get("type")
        raise ApiError(400, f"{where}: {kind} sources are not supported by token counting; send base64 data")


def _check_system(system: JsonValue) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise ApiError(400, "system: Input should be a valid string or list")
    _check_blocks(system, "system")


def _check_tools(tools: JsonValue) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise ApiError(400, "tools: Input should be a valid list")
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise ApiError(400, f"tools.{index}: Input should be a valid dictionary")
        _check_tool_type(tool, f"tools.{index}")


def _check_tool_type(tool: Mapping[str, JsonValue], where: str) -> None:
    kind = tool.get("type")
    if isinstance(kind, str) and kind.startswith(SERVER_TOOL_PREFIXES):
        raise ApiError(400, f"{where}: server tool {kind} is not supported by token counting")
