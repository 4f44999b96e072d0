"""Tool definitions and the tool-use system prompt.

The tool-use system prompt is added **once** when ``tools`` is non-empty, by ``tool_choice`` type, from
the model table; no tools cost nothing, whatever ``tool_choice`` says.

A custom tool is priced as its name, its description and its ``input_schema`` as compact JSON, each a
fragment, with the schema's top-level ``"type": "object"`` left out. How the API renders definitions is
not documented; this rendering is the one that matches the documented ``get_weather`` example
(403 tokens, see docs/offline-accuracy.md), so treat it as calibrated on one example.

Anthropic-schema tools (``bash_20250124``, ``text_editor_20250429``, …) cost the documented amount for
their type without the date, where the table has one; others are priced from their JSON with a wide
margin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from ..text.count import json_text, text_tokens
from .jsonish import as_list, as_mapping, clipped, get_str, type_of
from .profile import Profile
from .result import Cost, percent, text_cost, total

# The tool prompt sizes are third-party verified on some Claude 4 models only.
PROMPT_MARGIN_PCT: Final = 10.0
# Custom definitions: rendering calibrated on a single example.
DEFINITION_MARGIN_PCT: Final = 15.0
# Documented Anthropic-tool costs are given as approximate ("about 4,520").
ANTHROPIC_MARGIN_PCT: Final = 10.0
# An Anthropic tool with no documented cost: the largest documented per-tool cost.
UNDOCUMENTED_MARGIN: Final = 700
_DATED_TYPE: Final = re.compile(r"^(?P<kind>[a-z_]+?)_(?P<date>\d{8})$")


def tool_prompt_cost(tools: object, tool_choice: object, profile: Profile) -> Cost:
    """The tool-use system prompt: once per request with tools, sized by ``tool_choice``."""
    if not as_list(tools):
        return Cost()
    choice = type_of(tool_choice) or "auto"
    tokens = profile.tool_prompt.get(choice)
    if tokens is None:
        tokens = max(profile.tool_prompt.values(), default=0)
        return Cost(tokens, percent(tokens, PROMPT_MARGIN_PCT), notes=(f"Unknown tool_choice {clipped(choice)!r}.",))
    return Cost(tokens, percent(tokens, PROMPT_MARGIN_PCT))


def definitions_cost(tools: object, profile: Profile) -> Cost:
    """Every tool definition."""
    return total(_definition(tool, profile) for tool in as_list(tools) or ())


def _definition(tool: object, profile: Profile) -> Cost:
    obj = as_mapping(tool)
    if obj is None:
        return _from_json(tool, profile, "A tool definition that is not an object was counted from its JSON.")
    kind = get_str(obj, "type")
    if kind is None or kind == "custom":
        return _deferred(_custom(obj, profile)) if obj.get("defer_loading") is True else _custom(obj, profile)
    dated = _DATED_TYPE.match(kind)
    documented = None if dated is None else profile.anthropic_tools.get(dated["kind"])
    if dated is None or documented is None:
        return _from_json(obj, profile, f"No documented cost for tool type {clipped(kind)!r}; counted from its JSON.")
    if dated["kind"] == "computer_toolset" and obj.get("enable_zoom") is False:
        documented -= profile.anthropic_tools.get("computer_toolset_zoom", 0)
    return Cost(documented, percent(documented, ANTHROPIC_MARGIN_PCT))


def _custom(tool: Mapping[str, object], profile: Profile) -> Cost:
    schema = as_mapping(tool.get("input_schema"))
    if schema is not None and schema.get("type") == "object":
        schema = {key: value for key, value in schema.items() if key != "type"}
    pieces = [get_str(tool, "name") or "", get_str(tool, "description") or ""]
    if schema is not None:
        pieces.append(json_text(schema))
    if "input_examples" in tool:
        pieces.append(json_text(tool["input_examples"]))
    tokens = sum(text_tokens(piece, profile.version) for piece in pieces if piece)
    return text_cost(tokens) + Cost(margin=percent(tokens, DEFINITION_MARGIN_PCT))


def _deferred(cost: Cost) -> Cost:
    # A deferred tool stays out of the prompt until tool search loads it; if it is loaded, it costs this.
    note = "Tools with defer_loading are not counted; their size is in the margin."
    return Cost(margin=cost.tokens + cost.margin, notes=(note,))


def _from_json(tool: object, profile: Profile, note: str) -> Cost:
    tokens = text_tokens(json_text(tool), profile.version)
    return Cost(tokens=tokens, margin=UNDOCUMENTED_MARGIN, text=tokens, notes=(note,))
