"""What each result adds to an agent's context beyond its own content, in protocol 2026 mode: at most 300 bytes.

2026-era results carry the server's identity in ``_meta``; with the inline icon that was about 1.1 KB on every
tool result, error and listing. The icon stays in ``initialize`` / ``server/discover``, where hosts look for it.
"""

import json
from typing import Any, Final

import pytest
from mcp.types import CallToolResult

from tests.standin import Standin
from tests.support import HELLO, connected, env_for

MAX_META_BYTES: Final = 300
SERVER_INFO: Final = "io.modelcontextprotocol/serverInfo"


def meta_bytes(result: CallToolResult) -> int:
    dumped: dict[str, Any] = result.model_dump(by_alias=True, mode="json", exclude_none=True)
    return len(json.dumps(dumped.get("_meta", {}), separators=(",", ":")).encode())


@pytest.mark.anyio
async def test_every_tool_result_and_error_carries_a_small_server_stamp(standin: Standin) -> None:
    async with connected(env_for(standin), "auto") as client:
        counted = await client.call_tool("count_tokens", HELLO)
        refused = await client.call_tool("count_tokens", {**HELLO, "model": ""})
        failed = await client.call_tool("check_context_fit", {**HELLO, "model": "claude-imaginary-9"})
        info = client.server_info
    assert info is not None
    results = [counted, refused, failed]
    assert [r.is_error for r in results] == [False, True, True]
    for result in results:
        assert result.meta is not None
        stamp = result.meta[SERVER_INFO]
        assert (stamp["name"], stamp["version"]) == (info.name, info.version)
        assert 0 < meta_bytes(result) <= MAX_META_BYTES, result.meta
    assert info.icons  # still where hosts read it
