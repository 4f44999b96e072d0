"""The offline estimate of a count_tokens request, composed part by part the way the API frames it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ...catalog import ModelSpec
from ..text.count import frame_tokens
from .blocks import BlockContext, content_cost, json_cost
from .conversation import message_costs, parse_messages
from .definitions import definitions_cost, tool_prompt_cost
from .jsonish import as_list, as_mapping, type_of
from .profile import Profile, profile_for
from .result import Cost, Estimate, EstimatePart, percent, total

# The documented extended-thinking example (88) may have been measured when previous-turn thinking was
# still stripped (the 2025 page said so); read that way, the thinking-mode overhead would be ~28 tokens
# rather than the calibrated 5. The margin covers that reading.
THINKING_CONFIG_MARGIN: Final = 25
# A structured-output schema becomes prompt text in a form that is not documented.
OUTPUT_FORMAT_MARGIN_PCT: Final = 50.0
_THINKING_ON: Final = frozenset({"enabled", "adaptive"})


def estimate_request(body: Mapping[str, Any], spec: ModelSpec | None) -> Estimate:
    """Estimate ``input_tokens`` of a count_tokens request body without calling the API.

    Args:
        body: the request as plain JSON (``model``, ``messages``, ``system``, ``tools``, ``tool_choice``,
            ``thinking``, …). Fields that do not affect the count are ignored.
        spec: the model's row of the table, or None for a model the table lacks (counted with the
            newest tokenizer family and the largest known overheads, with a wider margin).

    Returns:
        The estimate, its one-sided uncertainty, the method, a per-part breakdown that sums exactly to
        the total, and notes on what is approximated.

    Raises:
        MalformedRequest: ``messages`` is not a list of ``{role, content}`` objects.
    """
    profile = profile_for(spec)
    messages = parse_messages(body.get("messages"))
    named: list[tuple[str, Cost]] = [("framing", Cost(tokens=frame_tokens(profile.version)))]
    named.extend(_request_level(body, profile))
    named.extend((f"messages[{i}]", cost) for i, cost in enumerate(message_costs(messages, profile)))
    return _assemble(named, profile)


def _request_level(body: Mapping[str, Any], profile: Profile) -> list[tuple[str, Cost]]:
    """Parts outside the messages, for the fields the body has."""
    parts: list[tuple[str, Cost]] = []
    if "system" in body:
        parts.append(("system", _system_cost(body["system"], profile)))
    if as_list(body.get("tools")):
        parts.append(("tool_use_system_prompt", tool_prompt_cost(body["tools"], body.get("tool_choice"), profile)))
        parts.append(("tools", definitions_cost(body["tools"], profile)))
    if type_of(body.get("thinking")) in _THINKING_ON:
        tokens = profile.thinking_overhead.get("enabled", 0)
        parts.append(("thinking", Cost(tokens=tokens, margin=THINKING_CONFIG_MARGIN)))
    output_format = _output_format(body)
    if output_format is not None:
        parts.append(("output_format", _output_format_cost(output_format, profile)))
    if body.get("mcp_servers"):
        note = "Tools of mcp_servers are resolved by the API and not counted offline."
        parts.append(("mcp_servers", Cost(notes=(note,))))
    return parts


def _system_cost(system: object, profile: Profile) -> Cost:
    # A system prompt adds only its text: the documented example (system + "Hello, Claude" = 14) is the
    # one-message frame plus both texts, with nothing for a system header.
    return content_cost(system, BlockContext(profile, count_thinking=True))


def _output_format(body: Mapping[str, Any]) -> object | None:
    config = as_mapping(body.get("output_config"))
    return None if config is None else config.get("format")


def _output_format_cost(output_format: object, profile: Profile) -> Cost:
    cost = json_cost(output_format, BlockContext(profile, count_thinking=True))
    note = "Structured-output schema counted from its JSON; how the API renders it is unknown."
    return Cost(margin=percent(cost.tokens, OUTPUT_FORMAT_MARGIN_PCT), notes=(note,)) + cost


def _assemble(named: list[tuple[str, Cost]], profile: Profile) -> Estimate:
    parts = tuple(
        EstimatePart(name, cost.tokens, cost.margin + percent(cost.text, profile.text_margin_pct))
        for name, cost in named
    )
    combined = total(cost for _, cost in named)
    return Estimate(
        input_tokens=sum(part.tokens for part in parts),
        uncertainty_tokens=sum(part.uncertainty_tokens for part in parts),
        method="+".join((f"ctok-{profile.version}", *sorted(combined.methods))),
        parts=parts,
        notes=tuple(dict.fromkeys((*profile.notes, *combined.notes))),
    )
