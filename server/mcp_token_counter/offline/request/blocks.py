"""Content blocks: what each type costs.

Text goes through ctok. Images and PDFs follow their own rules. ``tool_use`` is its name plus its input as
compact JSON; ``tool_result`` is its content. Thinking follows the model's rule, decided by the caller
(``BlockContext.count_thinking``). Server-tool results and unknown types are priced from their JSON, with
opaque strings (encrypted content, signatures, long base64) estimated from their length instead of being
tokenised as if they were text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from ..text.count import json_text, text_tokens
from .images import image_source_cost
from .jsonish import as_list, as_mapping, clipped, get_str
from .pdf import fallback_pages_cost, pdf_cost
from .profile import Profile
from .result import Cost, percent, text_cost, total

# How a tool call or result is wrapped in the prompt is not documented; a margin per block covers it.
TOOL_BLOCK_MARGIN: Final = 10
# JSON-priced blocks: the rendering the model sees is unknown, only its content is estimated.
JSON_MARGIN_PCT: Final = 25.0
# Opaque strings stand for content the API decrypts or decodes: bytes = 3/4 of the base64 characters,
# about four bytes a token, and the same again as margin.
_OPAQUE_KEYS: Final = frozenset({"encrypted_content", "encrypted_index", "signature", "encrypted_stdout"})
_OPAQUE_MIN_CHARS: Final = 256
_BASE64ISH: Final = re.compile(r"[A-Za-z0-9+/=_-]+")
_SERVER_RESULT: Final = re.compile(r"^[a-z_]+_tool_result$")
_STRIPPED_NOTE: Final = "Previous-turn thinking blocks are not counted: this model strips them."


@dataclass(frozen=True, slots=True)
class BlockContext:
    """What pricing a block depends on besides the block."""

    profile: Profile
    count_thinking: bool


type _Handler = Callable[[Mapping[str, object], BlockContext], Cost]


def content_cost(content: object, ctx: BlockContext) -> Cost:
    """A message's (or tool result's) ``content``: a string or a list of blocks."""
    if isinstance(content, str):
        return _text(content, ctx)
    blocks = as_list(content)
    if blocks is None:
        return json_cost(content, ctx) if content is not None else Cost()
    # How consecutive blocks are joined is unknown: one token of margin per join.
    return total(block_cost(block, ctx) for block in blocks) + Cost(margin=max(0, len(blocks) - 1))


def block_cost(block: object, ctx: BlockContext) -> Cost:
    """One content block."""
    obj = as_mapping(block)
    if obj is None:
        return _text(block, ctx) if isinstance(block, str) else json_cost(block, ctx)
    kind = get_str(obj, "type") or ""
    handler = _HANDLERS.get(kind)
    if handler is not None:
        return handler(obj, ctx)
    if _SERVER_RESULT.match(kind):
        return json_cost(obj, ctx) + Cost(notes=("Server-tool results estimated from their JSON.",))
    return json_cost(obj, ctx) + Cost(
        notes=(f"Unknown block type {clipped(kind or '(none)')!r} counted from its JSON.",)
    )


def _text(text: str, ctx: BlockContext) -> Cost:
    return text_cost(text_tokens(text, ctx.profile.version))


def _text_block(block: Mapping[str, object], ctx: BlockContext) -> Cost:
    return _text(get_str(block, "text") or "", ctx)


def _image_block(block: Mapping[str, object], ctx: BlockContext) -> Cost:
    return image_source_cost(as_mapping(block.get("source")), ctx.profile.image_caps)


def _document_block(block: Mapping[str, object], ctx: BlockContext) -> Cost:
    extras = [_text(value, ctx) for key in ("title", "context") if (value := get_str(block, key))]
    return _document_source(as_mapping(block.get("source")), ctx) + total(extras)


def _document_source(source: Mapping[str, object] | None, ctx: BlockContext) -> Cost:
    kind = None if source is None else get_str(source, "type")
    if source is None or kind is None:
        return fallback_pages_cost(1, ctx.profile.image_caps, "Document without a source; priced as one page.")
    data = get_str(source, "data")
    if kind == "base64" and data is not None and get_str(source, "media_type") == "application/pdf":
        return pdf_cost(data, ctx.profile.version, ctx.profile.image_caps)
    if kind == "text" and data is not None:
        return _text(data, ctx)
    if kind == "content":
        return content_cost(source.get("content"), ctx)
    note = f"Document from a {clipped(kind)} source: its content is unknown offline; priced as one PDF page."
    return fallback_pages_cost(1, ctx.profile.image_caps, note)


def _tool_use_block(block: Mapping[str, object], ctx: BlockContext) -> Cost:
    name = get_str(block, "name") or ""
    arguments = text_tokens(json_text(block.get("input", {})), ctx.profile.version)
    return _text(name, ctx) + text_cost(arguments) + Cost(margin=TOOL_BLOCK_MARGIN)


def _tool_result_block(block: Mapping[str, object], ctx: BlockContext) -> Cost:
    return content_cost(block.get("content"), ctx) + Cost(margin=TOOL_BLOCK_MARGIN)


def _thinking_block(block: Mapping[str, object], ctx: BlockContext) -> Cost:
    if not ctx.count_thinking:
        return Cost(notes=(_STRIPPED_NOTE,))
    wrapper = ctx.profile.thinking_overhead.get("per_block", 0)
    # The signature is not counted: it is verification data, not text the model reads.
    return _text(get_str(block, "thinking") or "", ctx) + Cost(tokens=wrapper, margin=wrapper)


def _redacted_thinking_block(block: Mapping[str, object], ctx: BlockContext) -> Cost:
    if not ctx.count_thinking:
        return Cost(notes=(_STRIPPED_NOTE,))
    wrapper = ctx.profile.thinking_overhead.get("per_block", 0)
    note = "Redacted thinking estimated from the length of its encrypted data."
    return opaque_cost(get_str(block, "data") or "") + Cost(tokens=wrapper, margin=wrapper, notes=(note,))


def _search_result_block(block: Mapping[str, object], ctx: BlockContext) -> Cost:
    heads = [_text(value, ctx) for key in ("source", "title") if (value := get_str(block, key))]
    return total(heads) + content_cost(block.get("content"), ctx)


def opaque_cost(value: str) -> Cost:
    """An encrypted or encoded string: its decoded size at about four bytes a token, margin as much."""
    tokens = math.ceil(len(value) * 3 / 4 / 4)
    return Cost(tokens=tokens, margin=tokens)


def json_cost(value: object, ctx: BlockContext) -> Cost:
    """A JSON value priced as compact JSON text; nested images and documents by their own rules."""
    plain, nested = _sanitize(value, ctx)
    tokens = text_tokens(json_text(plain), ctx.profile.version)
    return Cost(tokens=tokens, margin=percent(tokens, JSON_MARGIN_PCT), text=tokens) + nested


def _sanitize(value: object, ctx: BlockContext) -> tuple[object, Cost]:
    """``value`` without what is priced separately, and the price of what was taken out."""
    obj = as_mapping(value)
    if obj is not None:
        if get_str(obj, "type") in ("image", "document"):
            return None, block_cost(obj, ctx)
        kept: dict[str, object] = {}
        costs: list[Cost] = []
        for key, item in obj.items():
            if key == "cache_control":
                continue
            if key in _OPAQUE_KEYS and isinstance(item, str):
                costs.append(opaque_cost(item))
                continue
            kept[key], cost = _sanitize(item, ctx)
            costs.append(cost)
        return kept, total(costs)
    items = as_list(value)
    if items is not None:
        pairs = [_sanitize(item, ctx) for item in items]
        return [plain for plain, _ in pairs], total(cost for _, cost in pairs)
    if isinstance(value, str) and len(value) >= _OPAQUE_MIN_CHARS and _BASE64ISH.fullmatch(value):
        return "", opaque_cost(value)
    return value, Cost()


_HANDLERS: Final[dict[str, _Handler]] = {
    "text": _text_block,
    "image": _image_block,
    "document": _document_block,
    "tool_use": _tool_use_block,
    "server_tool_use": _tool_use_block,
    "tool_result": _tool_result_block,
    "thinking": _thinking_block,
    "redacted_thinking": _redacted_thinking_block,
    "search_result": _search_result_block,
}
