"""The stand-in's token count: deterministic, sensitive to every byte of the body, and unlike any tokenizer.

    input_tokens = 3 + ceil(C / 4) + 4 * M + 7 * B + 29 * T

where C is the UTF-8 length in bytes of the body's canonical JSON (keys sorted, no whitespace, non-ASCII
kept as is), M the number of messages, B the number of content blocks (list-form `content` of each message
plus list-form `system`; a string counts as no block) and T the number of tools.

With `context_management` in the body (a beta), the answer also carries
`context_management.original_input_tokens` = input_tokens + 10 for each edit listed, as if each edit had
cleared 10 tokens (`expected_original_count(body)`).

Tests compute the expected value with `expected_count(body)` or read it from the request log; the server
under test cannot produce it from its own estimator, so a matching result proves the count came from here.
Since C covers the whole body, a stripped, renamed or reordered-with-changes field changes the count.
"""

import json
import math
from collections.abc import Mapping
from typing import Any, cast


def canonical_json(body: Mapping[str, Any]) -> bytes:
    """The body as compact, key-sorted UTF-8 JSON."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Lone surrogates survive json.loads ("\ud800"); keep them countable instead of failing.
    return text.encode("utf-8", "surrogatepass")


# Any: bodies are pass-through JSON, and callers' dict literals are rarely typed as JsonValue.
def expected_count(body: Mapping[str, Any]) -> int:
    """The `input_tokens` the stand-in answers for a valid body (formula in the module docstring)."""
    messages = _items(body.get("messages"))
    blocks = sum(len(_items(_field(m, "content"))) for m in messages) + len(_items(body.get("system")))
    size = len(canonical_json(body))
    return 3 + math.ceil(size / 4) + 4 * len(messages) + 7 * blocks + 29 * len(_items(body.get("tools")))


def _items(value: object) -> list[object]:
    return cast("list[object]", value) if isinstance(value, list) else []


def _field(value: object, name: str) -> object:
    return cast("dict[str, object]", value).get(name) if isinstance(value, dict) else None


def expected_original_count(body: Mapping[str, Any]) -> int | None:
    """`context_management.original_input_tokens` for a body with `context_management`, else None."""
    management = body.get("context_management")
    if not isinstance(management, dict):
        return None
    return expected_count(body) + 10 * len(_items(cast("dict[str, object]", management).get("edits")))
