"""Where a request's cache breakpoints sit, and the request cut off after each of them.

The prompt-caching page renders a request as one sequence of blocks in this order: each tool definition,
each system block, then each content block of each message. A breakpoint is a block carrying
``cache_control``, or, with ``cache_control`` at the top level (automatic caching), the last block that can
carry one. The cached prefix of a breakpoint is everything up to and including its block, so its tokens are
the count of the request cut off there: ``prefix_body``. A cut that leaves no message keeps one
one-character user message, since a request needs one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

Area = Literal["tools", "system", "messages"]
SEED: Final[dict[str, Any]] = {"role": "user", "content": "."}
# Thinking blocks cannot carry cache_control (the page's "What cannot be cached").
UNMARKABLE_TYPES: Final = frozenset({"thinking", "redacted_thinking"})
TTLS: Final = ("5m", "1h")


@dataclass(frozen=True, slots=True)
class Slot:
    """One block of the rendered sequence: ``index`` in API order, and where it is in the body."""

    index: int
    area: Area
    item: int
    block: int | None
    value: Any

    @property
    def place(self) -> str:
        """``tools[0]``, ``system[1]``, ``messages[2].content[0]`` (``messages[2]`` for string content)."""
        if self.area == "messages":
            whole = f"messages[{self.item}]"
            return whole if self.block is None else f"{whole}.content[{self.block}]"
        return "system" if self.area == "system" and self.block is None else f"{self.area}[{self.item}]"


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """A block marked for caching, or the automatic breakpoint (``automatic``)."""

    slot: Slot
    ttl: str
    kind: object
    automatic: bool = False

    @property
    def place(self) -> str:
        return f"automatic ({self.slot.place})" if self.automatic else self.slot.place


def slots(body: Mapping[str, Any]) -> list[Slot]:
    """Every block of ``body`` in the API's order: tools, system, messages."""
    found: list[Slot] = []
    for i, tool in enumerate(_items(body.get("tools"))):
        found.append(Slot(len(found), "tools", i, None, tool))
    system = body.get("system")
    if isinstance(system, str):
        found.append(Slot(len(found), "system", 0, None, system))
    for j, block in enumerate(_items(system)):
        found.append(Slot(len(found), "system", j, j, block))
    for i, message in enumerate(_items(body.get("messages"))):
        content = _field(message, "content")
        if isinstance(content, str):
            found.append(Slot(len(found), "messages", i, None, content))
        for j, block in enumerate(_items(content)):
            found.append(Slot(len(found), "messages", i, j, block))
    return found


def breakpoints(body: Mapping[str, Any], sequence: list[Slot]) -> list[Breakpoint]:
    """The explicit breakpoints in API order, then the automatic one if the top level asks for it."""
    found = [
        Breakpoint(slot, _ttl(marker), _field(marker, "type"))
        for slot in sequence
        if (marker := _field(slot.value, "cache_control"))
    ]
    top = body.get("cache_control")
    if top:
        last = last_markable(sequence)
        if last is not None:
            found.append(Breakpoint(last, _ttl(top), _field(top, "type"), automatic=True))
    return found


def last_markable(sequence: list[Slot]) -> Slot | None:
    """The last block that can carry ``cache_control``: where automatic caching puts its breakpoint."""
    return next((slot for slot in reversed(sequence) if unmarkable_reason(slot) is None), None)


def unmarkable_reason(slot: Slot) -> str | None:
    """Why the page says this block cannot carry ``cache_control``, or None when it can."""
    kind = _field(slot.value, "type")
    if kind in UNMARKABLE_TYPES:
        return "thinking blocks cannot be cached directly with cache_control (the page's 'What cannot be cached')"
    text = slot.value if isinstance(slot.value, str) else _field(slot.value, "text")
    if kind in (None, "text") and isinstance(text, str) and not text.strip() and slot.area != "tools":
        return "empty text blocks cannot be cached (the page's 'What cannot be cached')"
    return None


def prefix_body(body: Mapping[str, Any], slot: Slot) -> dict[str, Any]:
    """``body`` cut off after ``slot``: the request whose count is that breakpoint's prefix.

    ``tool_choice`` goes with messages: the page's invalidation table has it affect message blocks only, and a
    named tool may be cut away. The top-level ``cache_control`` goes too: a count ignores it.
    """
    kept = {k: v for k, v in body.items() if k not in {"tools", "system", "messages", "tool_choice", "cache_control"}}
    tools = _items(body.get("tools"))
    if slot.area == "tools":
        return kept | {"tools": tools[: slot.item + 1], "messages": [SEED]}
    if tools:
        kept["tools"] = tools
    if slot.area == "system":
        system = body.get("system")
        cut = system if slot.block is None else _items(system)[: slot.item + 1]
        return kept | {"system": cut, "messages": [SEED]}
    if "system" in body:
        kept["system"] = body["system"]
    if "tool_choice" in body:
        kept["tool_choice"] = body["tool_choice"]
    messages = _items(body.get("messages"))
    last = cast(dict[str, Any], messages[slot.item])
    if slot.block is not None:
        last = last | {"content": _items(last.get("content"))[: slot.block + 1]}
    return kept | {"messages": [*messages[: slot.item], last]}


def is_whole(slot: Slot, sequence: list[Slot]) -> bool:
    """Whether cutting after ``slot`` keeps the whole request (the last block of the last message)."""
    return slot.index == len(sequence) - 1 and slot.area == "messages"


def block_key(slot: Slot, body: Mapping[str, Any]) -> object:
    """What a block contributes to the cache key: the block without its marker, and its message's role."""
    value = slot.value
    if isinstance(value, str):
        value = {"type": "text", "text": value}
    if isinstance(value, dict):
        value = {k: v for k, v in cast(dict[str, Any], value).items() if k != "cache_control"}
    role = _field(_items(body.get("messages"))[slot.item], "role") if slot.area == "messages" else None
    return (slot.area, role, value)


def _ttl(marker: object) -> str:
    ttl = _field(marker, "ttl")
    return ttl if isinstance(ttl, str) else "5m"


def _items(value: object) -> list[Any]:
    return cast(list[Any], value) if isinstance(value, list) else []


def _field(value: object, name: str) -> object:
    return cast(dict[str, Any], value).get(name) if isinstance(value, dict) else None
