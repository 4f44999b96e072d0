"""The ``check_prompt_cache`` tool: will each cache breakpoint of a request be cached, and what does it save.

It takes the request whole (``request``, as it would be sent), so its schema costs a few tokens in every
tools/list instead of repeating ``count_tokens``' arguments.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import TypeAdapter, ValidationError

from ..core.cache_check import check_cache
from ..core.request import BODY_FIELDS, BodyFields, CountRequest, Message, build_request
from ..core.results import CacheCheck
from ..core.state import AppState
from ..errors import TokenCounterError
from ..validation import describe
from .result import tool_result

DESCRIPTION: Final = "Will each cache_control breakpoint of a Messages API request be cached? previous: last request."

_MESSAGES: Final = TypeAdapter(list[Message])
_BODY: Final = TypeAdapter(BodyFields)
_BETAS: Final = TypeAdapter(list[str] | None)


async def check_prompt_cache(
    request: dict[str, Any],
    ctx: Context[AppState, Any],
    previous: dict[str, Any] | None = None,
    repeats: int | None = None,
) -> Annotated[CallToolResult, CacheCheck]:
    state = ctx.request_context.lifespan_context
    result = await check_cache(state, request_from(request), previous=previous, repeats=repeats)
    return tool_result(result)


def request_from(fields: dict[str, Any]) -> CountRequest:
    """A Messages API body as a CountRequest, validated as ``count_tokens`` validates its arguments.

    Raises:
        TokenCounterError: no model or messages, or a field of the wrong shape; the message says what to send.
    """
    if not isinstance(fields.get("model"), str) or not fields.get("messages"):
        raise TokenCounterError("request: pass the Messages API body as it would be sent, with 'model' and 'messages'.")
    try:
        messages = _MESSAGES.validate_python(fields["messages"])
        body = _BODY.validate_python({name: fields.get(name) for name in BODY_FIELDS})
        betas = _BETAS.validate_python(fields.get("betas"))
    except ValidationError as exc:
        raise TokenCounterError(f"request: {describe(exc)}") from exc
    return build_request(model=fields["model"], messages=messages, body_fields=body, betas=betas, raw_arguments=fields)
