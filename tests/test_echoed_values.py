"""Values a caller sent are quoted in notes at most 60 characters long: a 1 MB block type was echoed whole."""

from typing import Any

import pytest

from tests.support import HELLO, connected

HUGE = "x" * 20_000  # the 1 MB of the report takes minutes to count offline; the cap is the same


def message(block: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": "Hello"}, block]}


CASES: dict[str, dict[str, Any]] = {
    "block type": {**HELLO, "messages": [message({"type": HUGE})]},
    "document source type": {**HELLO, "messages": [message({"type": "document", "source": {"type": HUGE}})]},
    "tool type": {**HELLO, "tools": [{"type": HUGE, "name": "t"}]},
    "tool_choice": {**HELLO, "tools": [{"name": "t", "input_schema": {}}], "tool_choice": {"type": HUGE}},
}


@pytest.mark.anyio
@pytest.mark.parametrize("arguments", list(CASES.values()), ids=list(CASES))
async def test_an_echoed_value_is_capped(arguments: dict[str, Any]) -> None:
    async with connected({}) as client:  # offline: the estimator writes the notes
        result = await client.call_tool("count_tokens", arguments)
    assert not result.is_error, str(result.content)[:300]
    assert result.structured_content is not None
    notes: list[str] = result.structured_content["notes"]
    assert any("xxxxxxxxxx" in note for note in notes)  # the value is still named
    assert all(len(note) < 200 for note in notes), [len(note) for note in notes]
