"""Messages: turns, role headers and which thinking blocks count.

Framing: ctok's one-message frame (counted once per request) already holds a user header and the
assistant header that prompts the reply. Each further turn adds one role header
(``text.turn_header_tokens``). Consecutive messages of one role form one turn, as the API merges them,
and a final assistant turn (a prefill, or the turn of an ongoing tool loop) uses the frame's header.

Thinking: the current assistant turn is everything after the last user message that is not only
``tool_result`` blocks. Its thinking always counts; thinking in earlier turns counts only on models whose
``prior_turn_thinking`` is ``kept``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..text.count import turn_header_tokens
from .blocks import BlockContext, content_cost
from .errors import MalformedRequest
from .jsonish import as_list, as_mapping, get_str, type_of
from .profile import Profile
from .result import Cost


@dataclass(frozen=True, slots=True)
class Message:
    """A message reduced to what pricing needs."""

    role: str
    content: object


def parse_messages(messages: object) -> list[Message]:
    """The body's ``messages``.

    Raises:
        MalformedRequest: ``messages`` is not a list of objects with a string ``role`` and a ``content``.
    """
    items = as_list(messages)
    if items is None:
        raise MalformedRequest("messages must be a list of {role, content} objects.")
    return [_parse_message(item, index) for index, item in enumerate(items)]


def _parse_message(item: object, index: int) -> Message:
    obj = as_mapping(item)
    role = None if obj is None else get_str(obj, "role")
    if obj is None or role is None or "content" not in obj:
        raise MalformedRequest(f"messages[{index}] must be an object with a string role and a content.")
    return Message(role, obj["content"])


def message_costs(messages: Sequence[Message], profile: Profile) -> list[Cost]:
    """The cost of each message: its role header, if it opens a turn, and its content."""
    headers = _opens_turn(messages)
    current = current_turn_start(messages)
    header = turn_header_tokens(profile.version)
    costs: list[Cost] = []
    for index, message in enumerate(messages):
        counts = index >= current or profile.keeps_prior_thinking
        cost = content_cost(message.content, BlockContext(profile, count_thinking=counts))
        if headers[index]:
            # The header size is inferred, not measured: one token of margin.
            cost += Cost(tokens=header, margin=1)
        costs.append(cost)
    return costs


def current_turn_start(messages: Sequence[Message]) -> int:
    """Index of the first message after the last user message that is not only tool results."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.role == "user" and not _only_tool_results(message.content):
            return index + 1
    return 0


def _only_tool_results(content: object) -> bool:
    blocks = as_list(content)
    return bool(blocks) and all(type_of(block) == "tool_result" for block in blocks or ())


def _opens_turn(messages: Sequence[Message]) -> list[bool]:
    """Whether each message pays a role header."""
    opens = [index > 0 and message.role != messages[index - 1].role for index, message in enumerate(messages)]
    if messages and messages[-1].role == "assistant":
        last_turn = len(messages) - 1
        while last_turn > 0 and messages[last_turn - 1].role == "assistant":
            last_turn -= 1
        opens[last_turn] = False
    return opens
