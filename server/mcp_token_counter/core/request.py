"""The count_tokens request: what the tools accept, and the exact body and headers that get forwarded.

Only what the server relies on is validated (roles, the content shape, block ``type``). Everything else,
including block types the API adds later, passes through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Annotated, Any, Final, Literal, cast

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from ..catalog import normalize_model_id
from ..errors import TokenCounterError

# What count_tokens takes, as anthropic-sdk-python 0.121.0 (2026-08-07) types it: the body fields of
# types/message_count_tokens_params.py and types/beta/message_count_tokens_params.py. Only these are forwarded
# from the top level: a client's own bookkeeping (Gemini CLI adds ``wait_for_previous`` to every call) must never
# reach the API, which refuses fields it does not know. A field newer than this table goes in ``extra_body``.
COUNT_FIELDS: Final = frozenset(
    {
        "model",
        "messages",
        "cache_control",
        "context_management",
        "mcp_servers",
        "output_config",
        "output_format",
        "speed",
        "system",
        "thinking",
        "tool_choice",
        "tools",
    }
)
# The same params' header fields: sent as these headers, never in the body.
HEADER_FIELDS: Final = {"betas": "anthropic-beta", "user_profile_id": "anthropic-user-profile-id"}
# Messages-create fields count_tokens lacks (the same SDK's message_create_params, GA and beta): accepted,
# listed in ignored_fields, never forwarded.
GENERATION_FIELDS: Final = frozenset(
    {
        "max_tokens",
        "container",
        "diagnostics",
        "fallback_credit_token",
        "fallbacks",
        "inference_geo",
        "metadata",
        "service_tier",
        "stop_sequences",
        "stream",
        "temperature",
        "top_k",
        "top_p",
    }
)
# Fields newer than COUNT_FIELDS, merged into the body as they are (the name Anthropic's SDKs give it).
EXTRA_BODY: Final = "extra_body"
# Set from the validated arguments only, so that extra_body cannot slip past their checks and normalisation.
_NOT_EXTRA: Final = frozenset({"model", "messages", *HEADER_FIELDS})
# How much of a client's field name an ignored_fields entry echoes.
_MAX_FIELD_NAME: Final = 64
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
# Raw arguments forwarded from the top level as they are: the table's fields the tools do not declare.
_PASSED: Final = COUNT_FIELDS - {"model", "messages", *BODY_FIELDS}
# Raw arguments that are neither forwarded from the top level nor reported as ignored.
_TAKEN: Final = frozenset({"model", "messages", EXTRA_BODY, *HEADER_FIELDS, *BODY_FIELDS})


@dataclass(frozen=True, slots=True)
class CountRequest:
    """A validated request: ``body`` is exactly what is POSTed, ``betas`` go in ``anthropic-beta`` and
    ``user_profile_id`` in ``anthropic-user-profile-id``."""

    model: str
    body: dict[str, Any]
    betas: tuple[str, ...]
    ignored_fields: tuple[str, ...]
    user_profile_id: str | None = None
    # Dropped from the body (count_tokens lacks it) but it changes the price: kept for the cost estimate.
    inference_geo: str | None = None


def build_request(
    *,
    model: str,
    messages: list[Message],
    body_fields: BodyFields,
    betas: Iterable[str] | None,
    raw_arguments: Mapping[str, Any] | None,
    used_locally: Iterable[str] = (),
) -> CountRequest:
    """Assemble the forwarded body and headers from validated tool arguments.

    ``body_fields`` are forwarded as they are. ``raw_arguments`` are the arguments as the client sent them:
    the count_tokens fields the tool does not declare (``speed``, ``output_format``) are forwarded,
    ``user_profile_id`` becomes its header, ``extra_body``'s fields are merged into the body, and every other
    field (``temperature``, a client's ``wait_for_previous``) is dropped and reported in ``ignored_fields``,
    so an agent that sent it learns it was not counted. A ``null`` is the same as leaving a field out.

    Raises:
        TokenCounterError: a bad model id, thinking budget, beta name, user profile id or ``extra_body``.
    """
    raw = {key: value for key, value in (raw_arguments or {}).items() if value is not None}
    api_model = model_id(model)
    body: dict[str, Any] = {
        "model": api_model,
        "messages": [message.model_dump(exclude_unset=True) for message in messages],
    }
    _check_thinking(body_fields.thinking)
    body.update(body_fields.present())
    body.update((key, value) for key, value in raw.items() if key in _PASSED)
    body.update(_extra_body(raw.get(EXTRA_BODY)))
    local = frozenset(used_locally)
    ignored = (key for key in raw if key not in _TAKEN and key not in _PASSED and key not in local)
    return CountRequest(
        model=api_model,
        body=body,
        betas=_betas(betas),
        ignored_fields=tuple(sorted({_field_name(key) for key in ignored})),
        user_profile_id=_user_profile_id(raw.get("user_profile_id")),
        inference_geo=geo if isinstance(geo := raw.get("inference_geo"), str) else None,
    )


def _extra_body(value: object) -> dict[str, Any]:
    """The fields of ``extra_body``, to merge into the body.

    Raises:
        TokenCounterError: not an object, or it sets a field that has its own argument.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TokenCounterError(
            f"{EXTRA_BODY}: it must be an object of body fields to forward as they are, such as "
            '{"new_field": "value"}; leave it out if there are none.'
        )
    extra = {str(key): item for key, item in cast(Mapping[object, Any], value).items()}
    if clash := sorted(_NOT_EXTRA.intersection(extra)):
        raise TokenCounterError(
            f"{EXTRA_BODY}: {', '.join(clash)} cannot be set here; pass it as its own argument at the top level."
        )
    return extra


def _field_name(name: str) -> str:
    """A client's field name as ignored_fields echoes it: bounded and printable."""
    printable = "".join(char if char.isprintable() else "?" for char in name[:_MAX_FIELD_NAME])
    return printable + ("…" if len(name) > _MAX_FIELD_NAME else "")


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


def _user_profile_id(value: object) -> str | None:
    """The user profile id for its header, or None.

    Raises:
        TokenCounterError: not a string, or not something a header can carry.
    """
    if value is None:
        return None
    if isinstance(value, str) and value.strip() and value.isascii() and value.isprintable():
        return value.strip()
    raise TokenCounterError(
        "user_profile_id: it is sent as the anthropic-user-profile-id header, so it must be a non-empty line "
        "of printable ASCII, such as the profile id the Anthropic console shows."
    )


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
