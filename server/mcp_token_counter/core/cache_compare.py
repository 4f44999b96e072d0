"""Why a request misses the cache the previous one wrote: the page's invalidation rules, block by block.

The previous request wrote an entry at each of its breakpoints that was cached. A breakpoint of the new
request reads one when the entry's whole prefix is unchanged and the entry sits within the lookback window
(the breakpoint itself and the 19 blocks before it). What counts as a change follows the page's "What
invalidates the cache" table: a change of tool definitions invalidates everything; toggling citations
invalidates system and messages; ``tool_choice``, thinking settings, and adding or removing images
invalidate messages only; any other edited block invalidates itself and what follows. Caches are per model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from .cache_points import Slot, block_key


@dataclass(frozen=True, slots=True)
class Change:
    """A difference from the previous request: old entries ending at ``index`` or later are invalid."""

    index: int
    reason: str


@dataclass(frozen=True, slots=True)
class Reading:
    """What one new breakpoint gets from the previous request's entries."""

    entry: Slot | None
    finding: str | None


def changes(old: Mapping[str, Any], new: Mapping[str, Any], old_seq: list[Slot], new_seq: list[Slot]) -> list[Change]:
    """Every invalidating difference, earliest first."""
    messages_start = next((s.index for s in new_seq if s.area == "messages"), len(new_seq))
    system_start = next((s.index for s in new_seq if s.area != "tools"), len(new_seq))
    found: list[Change] = []
    # A previous request that names no model is taken to be for the same one.
    if old.get("model") not in (None, new.get("model")):
        found.append(Change(0, f"the model changed from {old.get('model')} (caches are per model)"))
    if _tools(old) != _tools(new):
        found.append(Change(0, "tool definitions changed (the page: that invalidates the whole cache)"))
    if _citations_on(old) != _citations_on(new):
        found.append(Change(system_start, "citations were toggled (that changes the system prompt)"))
    for name, what in (("tool_choice", "tool_choice changed"), ("thinking", "thinking settings changed")):
        if old.get(name) != new.get(name):
            found.append(Change(messages_start, f"{what} (the page: that invalidates message blocks)"))
    if _images(old) != _images(new):
        found.append(Change(messages_start, "images were added or removed (the page: that invalidates message blocks)"))
    edited = _first_edit(old, new, old_seq, new_seq)
    if edited is not None:
        found.append(edited)
    return sorted(found, key=lambda change: change.index)


def read_previous(index: int, entries: Sequence[Slot], found: Sequence[Change], lookback: int, place: str) -> Reading:
    """The previous entry the breakpoint at block ``index`` reads, and why it reads less than it could.

    It reads the latest valid entry within the lookback window. A finding names the first change that broke
    a later entry it would otherwise have read, or the window that hid a valid one.
    """
    valid_until = found[0].index if found else None
    reachable = [slot for slot in entries if slot.index <= index]
    valid = [slot for slot in reachable if valid_until is None or slot.index < valid_until]
    near = [slot for slot in valid if index - slot.index < lookback]
    entry = near[-1] if near else None
    broken = [slot for slot in reachable if slot not in valid and (entry is None or slot.index > entry.index)]
    if broken:
        change = next(change for change in found if change.index <= broken[-1].index)
        fallback = f"it reads only the entry at {entry.place}" if entry else "it reads none of them"
        return Reading(
            entry,
            f"{place} breakpoint: the previous request's entry at {broken[-1].place} is broken "
            f"by the first difference, {change.reason}; {fallback}.",
        )
    if valid and entry is None:
        gap = index - valid[-1].index
        return Reading(
            None,
            f"{place} breakpoint: the previous request's entry at {valid[-1].place} is {gap} blocks "
            f"back, past the {lookback}-block lookback window: add a breakpoint within {lookback} blocks of it.",
        )
    if not reachable:
        return Reading(None, f"{place} breakpoint: the previous request wrote no entry at or before it.")
    return Reading(entry, None)


def _first_edit(
    old: Mapping[str, Any], new: Mapping[str, Any], old_seq: list[Slot], new_seq: list[Slot]
) -> Change | None:
    """The first block (after the tools, compared whole above) that differs, or a removed tail."""
    for old_slot, new_slot in zip(old_seq, new_seq, strict=False):
        if old_slot.area == "tools" and new_slot.area == "tools":
            continue
        if block_key(old_slot, old) != block_key(new_slot, new):
            return Change(new_slot.index, f"{new_slot.place} differs from the previous request's {old_slot.place}")
    if len(new_seq) < len(old_seq):
        return Change(len(new_seq), f"the request ends before the previous one's {old_seq[len(new_seq)].place}")
    return None


def _tools(body: Mapping[str, Any]) -> list[object]:
    tools = body.get("tools")
    items = cast(list[object], tools) if isinstance(tools, list) else []
    return [_unmarked(tool) for tool in items]


def _unmarked(value: object) -> object:
    if isinstance(value, dict):
        return {k: v for k, v in cast(dict[str, Any], value).items() if k != "cache_control"}
    return value


def _blocks(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    messages = body.get("messages")
    for message in cast(list[object], messages) if isinstance(messages, list) else []:
        content = cast(dict[str, Any], message).get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            found.extend(cast(dict[str, Any], b) for b in cast(list[object], content) if isinstance(b, dict))
    return found


def _images(body: Mapping[str, Any]) -> int:
    return sum(1 for block in _blocks(body) if block.get("type") == "image")


def _citations_on(body: Mapping[str, Any]) -> bool:
    """Whether any document block has citations enabled."""
    documents = (block for block in _blocks(body) if block.get("type") == "document")
    return any(
        isinstance(c := doc.get("citations"), dict) and cast(dict[str, Any], c).get("enabled") for doc in documents
    )
