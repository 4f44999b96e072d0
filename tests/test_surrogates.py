"""A lone surrogate, which JSON can carry in (``"\\ud800"``) but UTF-8 cannot encode, never fails a call.

Found by tests/test_fuzz.py: a document block whose source type was a lone surrogate was echoed into the
offline note, and the result could not be encoded ("Error executing tool count_tokens", nothing more).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import connected

MODEL = "claude-sonnet-4-6"
LONE = "\ud800"


def _document_from(kind: str) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": [{"type": "document", "source": {"type": kind}}]}]}


@pytest.mark.anyio
async def test_a_block_type_with_a_lone_surrogate_is_echoed_as_its_escape() -> None:
    async with connected({}) as client:
        result = await client.call_tool("count_tokens", _document_from(f"odd{LONE}"))
    assert not result.is_error, result.content
    assert result.structured_content is not None
    notes = " ".join(result.structured_content["notes"])
    assert "odd\\ud800 source" in notes
    json.dumps(result.structured_content, ensure_ascii=False).encode("utf-8")  # encodable as sent


@pytest.mark.anyio
async def test_an_ignored_field_named_with_a_lone_surrogate_is_listed_encodably() -> None:
    arguments = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], f"extra{LONE}": 1}
    async with connected({}) as client:
        result = await client.call_tool("count_tokens", arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    (field,) = result.structured_content["ignored_fields"]
    assert field.startswith("extra")
    field.encode("utf-8")  # no lone surrogate left in it
