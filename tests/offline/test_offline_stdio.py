"""No key, a fresh start of the installed console script, and a real MCP client: labelled estimates."""

import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from tests.offline.conftest import ImageFactory, PdfFactory
from tests.test_stdio import minimal_env

SCRIPT = Path(sys.executable).with_name("mcp-token-counter")
MODEL = "claude-sonnet-4-6"


def user(*blocks: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": list(blocks)}]


@pytest.mark.anyio
async def test_text_tools_images_and_pdfs_get_labelled_estimates(
    make_image: ImageFactory, make_pdf: PdfFactory
) -> None:
    text = {"type": "text", "text": "Describe this, please. 说明一下 🙂"}
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": make_image(1000, 1000)}}
    pdf_data = make_pdf([(612, 792, "Quarterly report\nRevenue grew.")])
    document = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": pdf_data}}
    tool: dict[str, Any] = {
        "name": "lookup",
        "description": "Look a word up",
        "input_schema": {"type": "object", "properties": {}},
    }
    cases: dict[str, dict[str, Any]] = {
        "text": {"messages": user(text)},
        "tools": {"messages": user(text), "tools": [tool]},
        "image": {"messages": user(image, text)},
        "pdf": {"messages": user(document, text)},
    }
    params = StdioServerParameters(command=str(SCRIPT), env=minimal_env())
    counts: dict[str, int] = {}
    with anyio.fail_after(60):
        async with Client(params) as client:
            for name, arguments in cases.items():
                result = await client.call_tool("count_tokens", {"model": MODEL, **arguments})
                content = result.structured_content
                assert content is not None, (name, result)
                assert (content["source"], content["provider"]) == ("estimate", "offline")
                assert content["fallback_reason"] == "no_credentials"
                assert content["uncertainty_tokens"] > 0
                counts[name] = content["input_tokens"]
            fit = await client.call_tool(
                "check_context_fit", {"model": MODEL, "messages": user(text), "max_tokens": 10}
            )
    # 1000x1000 is 1296 image tokens on the vision page; a PDF page adds its text and its page image.
    assert counts["image"] - counts["text"] >= 1296
    assert counts["pdf"] - counts["text"] > 1000
    assert counts["tools"] - counts["text"] > 346  # the tool-use system prompt alone is 346 (auto)
    assert fit.structured_content is not None
    assert fit.structured_content["fits"] is True
    assert fit.structured_content["source"] == "estimate"
