"""The count_tokens request: what the tools accept, and the exact body and headers that get forwarded.

Only what the server relies on is validated (roles, the content shape, block ``type``). Everything else,
including block types the API adds later, passes through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from ..catalog import normalize_model_id
from ..errors import TokenCounterError

# Messages-API generation fields the count endpoint does not take: accepted, never forwarded.
SAMPLING_FIELDS: Final = frozenset(
    {
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "stream",
        "metadata",
        "service_tier",
        "container",
        "inference_geo",
    }
)
_MAX_MODEL_ID: Final = 200
MIN_THINKING_BUDGET: Final = 1024
_BETA_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class ContentBlock(BaseModel):
    """A content block; only ``type`` is checked, every other field passes through."""

    model_config = ConfigDict(extra="allow")
    type: str


class Message(BaseModel):
    """One Messages-API message. ``system`` is the mid-conversation system role."""

    model_config = ConfigDict(extra="allow")
    role: Literal["user", "assistant", "system"]
    # Advertised as plain objects: a model knows the block shapes, and tools/list costs context every turn.
    content: Annotated[
        str | list[ContentBlock],
        WithJsonSchema({"anyOf": [{"type": "string"}, {"items": {"type": "object"}, "type": "array"}]}),
    ]


@dataclass(frozen=True, slots=True)
class BodyFields:
    """The optional body fields, as the tools take them; None means absent."""

    system: str | list[dict[str, Any]] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: dict[str, Any] | None = None
    thinking: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = None
    cache_control: dict[str, Any] | None = None
    context_management: dict[str, Any] | None = None
    mcp_servers: list[dict[str, Any]] | None = None

    def present(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of each field that is set, in declaration order."""
        for name in BODY_FIELDS:
            value = getattr(self, name)
            if value is not None:
                yield name, value


BODY_FIELDS: Final = tuple(field.name for field in fields(BodyFields))


@dataclass(frozen=True, slots=True)
class CountRequest:
    """A validated request: ``body`` is exactly what is POSTed, ``betas`` go in ``anthropic-beta``."""

    model: str
    body: dict[str, Any]
    betas: tuple[str, ...]
    ignored_fields: tuple[str, ...]


def build_request(
    *,
    model: str,
    messages: list[Message],
    body_fields: BodyFields,
    betas: Iterable[str] | None,
    raw_arguments: Mapping[str, Any] | None,
    used_locally: Iterable[str] = (),
) -> CountRequest:
    """Assemble the forwarded body from validated tool arguments.

    ``body_fields`` are forwarded as they are. ``raw_arguments`` are the
    arguments as the client sent them; keys that are neither forwarded nor ``used_locally`` are reported
    as ignored, so an agent that pasted ``temperature`` learns it was dropped.
    """
    api_model = model_id(model)
    body: dict[str, Any] = {
        "model": api_model,
        "messages": [message.model_dump(exclude_unset=True) for message in messages],
    }
    _check_thinking(body_fields.thinking)
    body.update(body_fields.present())
    consumed = {"model", "messages", "betas", *BODY_FIELDS, *used_locally}
    ignored = sorted(key for key in (raw_arguments or {}) if key not in consumed)
    return CountRequest(
        model=api_model,
        body=body,
        betas=_betas(betas),
        ignored_fields=tuple(ignored),
    )


def model_id(model: str) -> str:
    """The normalised model id. It is echoed in every result, so it must be short, printable Unicode.

    Raises:
        TokenCounterError: an empty or over-long id, control characters, or lone surrogates.
    """
    api_model = normalize_model_id(model)
    if 0 < len(api_model) <= _MAX_MODEL_ID and api_model.isprintable():
        return api_model
    raise TokenCounterError(
        f"model: {api_model[:60]!r} is not a model id; pass one such as claude-sonnet-4-6 or claude-opus-4-8."
    )


def _betas(betas: Iterable[str] | None) -> tuple[str, ...]:
    """Distinct, trimmed beta names. They go into an HTTP header, so anything else is refused here.

    Raises:
        TokenCounterError: a name that is not a header-safe token (non-ASCII, spaces, commas, newlines).
    """
    names = tuple(dict.fromkeys(beta.strip() for beta in betas or () if beta.strip()))
    for name in names:
        if not _BETA_NAME.fullmatch(name):
            raise TokenCounterError(
                f"betas: {name[:60]!r} is not a beta name. Names are ASCII letters, digits, '.', '_' and '-', "
                "such as token-counting-2024-11-01; pass one name per list item."
            )
    return names


def _check_thinking(thinking: Mapping[str, Any] | None) -> None:
    """Refuse a thinking budget the Messages API refuses, in its own words.

    Raises:
        TokenCounterError: ``budget_tokens`` of enabled thinking is missing, not a whole number, or under 1024.
    """
    if not thinking or thinking.get("type") != "enabled":
        return
    budget = thinking.get("budget_tokens")
    if isinstance(budget, int) and not isinstance(budget, bool) and budget >= MIN_THINKING_BUDGET:
        return
    problem = (
        f"Input should be greater than or equal to {MIN_THINKING_BUDGET}"
        if isinstance(budget, int) and not isinstance(budget, bool)
        else "Field required"
        if budget is None
        else "Input should be a valid integer"
    )
    raise TokenCounterError(
        f"thinking.enabled.budget_tokens: {problem} (the Messages API refuses it the same way). Pass a whole "
        f"number of at least {MIN_THINKING_BUDGET}, below max_tokens, or leave thinking out."
    )
