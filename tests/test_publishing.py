"""What a release publishes agrees with itself: server.json against the registry's schema, the icon, the licence,
the README PyPI shows, and the names of the five tools wherever they are described."""

import hashlib
import json
import re
import struct
import tomllib
from pathlib import Path
from typing import Any, Final

import pytest
from jsonschema import Draft7Validator, FormatChecker, ValidationError
from scripts.registry_entry import ReleaseMismatch, for_release

from mcp_token_counter.app import INSTRUCTIONS
from tests.mcpb_host import ROOT, load_manifest
from tests.support import connected

SCHEMA_PATH: Final = ROOT / "tests" / "schemas" / "server.schema.json"
# sha256 of https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json (tests/schemas/README.md)
SCHEMA_SHA256: Final = "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0"
TOOLS: Final = ("count_tokens", "check_context_fit", "count_files", "count_tool_definitions", "check_prompt_cache")
ICON: Final = ROOT / "server" / "mcp_token_counter" / "data" / "icon.png"
REPOSITORY: Final = "https://github.com/mcp-token-counter/mcp-token-counter"


def server_json() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    return document


def registry_validator() -> Draft7Validator:
    """The pinned schema, checked to be the registry's own bytes before it is trusted."""
    data = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256
    return Draft7Validator(json.loads(data), format_checker=FormatChecker())


def problems(document: dict[str, Any]) -> list[str]:
    errors: list[ValidationError] = list(registry_validator().iter_errors(document))  # pyright: ignore[reportUnknownMemberType]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_server_json_is_valid_against_the_registrys_schema() -> None:
    document = server_json()
    assert document["$schema"] == json.loads(SCHEMA_PATH.read_bytes())["$id"]
    assert problems(document) == []


def test_the_schema_check_catches_a_broken_entry() -> None:
    """The check can fail: a version range, a package without a transport and a bad icon size are refused."""
    broken = server_json()
    broken["version"] = "x" * 300
    del broken["packages"][0]["transport"]
    broken["icons"][0]["sizes"] = ["big"]
    assert len(problems(broken)) == 3


def test_the_released_entry_carries_the_bundles_sha256_and_stays_valid(tmp_path: Path) -> None:
    bundle = tmp_path / "mcp-token-counter.mcpb"
    bundle.write_bytes(b"PK\x03\x04 a bundle")
    released = for_release(server_json(), bundle)
    (mcpb,) = [p for p in released["packages"] if p["registryType"] == "mcpb"]
    assert mcpb["fileSha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert problems(released) == []
    assert "fileSha256" not in json.dumps(server_json()), "the committed entry has no digest to go stale"


def test_the_released_entry_refuses_a_bundle_of_another_name_or_version(tmp_path: Path) -> None:
    other = tmp_path / "other.mcpb"
    other.write_bytes(b"PK")
    with pytest.raises(ReleaseMismatch, match="does not end with '/v0"):
        for_release(server_json(), other)


def test_server_json_offers_the_pypi_package_and_the_bundle_of_the_same_release() -> None:
    document = server_json()
    pypi, mcpb = document["packages"]
    version = document["version"]
    assert (pypi["registryType"], pypi["runtimeHint"], pypi["version"]) == ("pypi", "uvx", version)
    assert mcpb["registryType"] == "mcpb"
    assert mcpb["identifier"] == f"{REPOSITORY}/releases/download/v{version}/mcp-token-counter.mcpb"
    assert mcpb["transport"] == pypi["transport"] == {"type": "stdio"}
    assert mcpb["environmentVariables"] == pypi["environmentVariables"]


def test_one_icon_everywhere_at_the_size_it_claims() -> None:
    """The server's own icon (serverInfo), the bundle's and the registry's are one 128x128 PNG."""
    assert png_size(ICON) == (128, 128)
    manifest = load_manifest()
    relative = ICON.relative_to(ROOT).as_posix()
    assert manifest["icon"] == relative
    assert manifest["icons"] == [{"src": relative, "size": "128x128"}]
    (icon,) = server_json()["icons"]
    assert icon == {
        "src": f"https://raw.githubusercontent.com/mcp-token-counter/mcp-token-counter/main/{relative}",
        "mimeType": "image/png",
        "sizes": ["128x128"],
    }


def test_the_readme_carries_the_registrys_ownership_marker() -> None:
    """The registry's PyPI check looks for 'mcp-name: <server name>' in the package description (the README)."""
    assert f"mcp-name: {server_json()['name']}" in readme()


def test_the_readme_links_are_absolute_so_they_work_on_pypi() -> None:
    targets = re.findall(r"\]\(([^)\s]+)\)", readme())
    assert targets
    assert [t for t in targets if not t.startswith(("https://", "http://", "mailto:"))] == []


def test_the_readme_install_section_starts_with_uvx() -> None:
    text = readme()
    install = text[text.index("## Install") :]
    first_block = install[install.index("```") : install.index("```", install.index("```") + 3)]
    assert "uvx mcp-token-counter" in first_block


def test_every_description_names_every_tool() -> None:
    """The manifest's long description and tool list, the server's instructions and the README's Claude Code
    section all name count_tokens, check_context_fit, count_files, count_tool_definitions and check_prompt_cache."""
    manifest = load_manifest()
    text = readme()
    claude_code = text[text.index("### Claude Code") : text.index("\n### ", text.index("### Claude Code") + 5)]
    places = {
        "manifest long_description": manifest["long_description"],
        "manifest tools": " ".join(tool["name"] for tool in manifest["tools"]),
        "server instructions": INSTRUCTIONS,
        "README Claude Code section": claude_code,
    }
    missing = {place: [t for t in TOOLS if t not in text] for place, text in places.items()}
    assert missing == {place: [] for place in places}


def test_the_licence_is_mit_everywhere() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert (pyproject["license"], pyproject["license-files"]) == ("MIT", ["LICENSE"])
    assert load_manifest()["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")


def test_the_bundle_asks_for_every_credential_the_registry_entry_documents() -> None:
    """ANTHROPIC_AUTH_TOKEN included: the bundle's settings cover the same credentials as uvx users set."""
    secret = {v["name"] for v in server_json()["packages"][0]["environmentVariables"] if v.get("isSecret")}
    bundle_env = load_manifest()["server"]["mcp_config"]["env"]
    assert secret <= set(bundle_env)


def test_compatibility_names_a_minimum_claude_desktop() -> None:
    compatibility = load_manifest()["compatibility"]
    assert re.fullmatch(r">=\d+\.\d+\.\d+", compatibility["claude_desktop"])
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert compatibility["runtimes"]["python"] == pyproject["requires-python"]


def test_the_readme_stays_short_with_the_two_claude_hosts_inline() -> None:
    """Issue 29: at most about 250 lines; the rest lives on the documentation site, which the README links to."""
    text = readme()
    assert len(text.splitlines()) <= 250
    for heading in ("## Install", "### Claude Desktop", "### Claude Code", "## The tools", "## Documentation"):
        assert f"\n{heading}\n" in text, heading
    assert "https://mcp-token-counter.github.io/mcp-token-counter/hosts/" in text


@pytest.mark.anyio
async def test_the_readme_tool_table_names_exactly_the_tools_the_server_lists() -> None:
    """The README's short table is hand-written; its rows are the server's tools/list, in its order."""
    async with connected({}) as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
    text = readme()
    section = text[text.index("\n## The tools\n") :]
    section = section[: section.index("\n## ", 1)]
    assert re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE) == listed
