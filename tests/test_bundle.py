"""The Claude Desktop bundle: ``mcpb validate`` and ``mcpb pack``, then the packed bundle started as a host would.

The start-up test unpacks the ``.mcpb``, substitutes ``mcp_config`` like a host (``mcpb_host``), runs it with
``uv`` in a minimal environment and calls it through the Inspector CLI, with the base-URL setting pointing at
the counting-API stand-in of the provider's flavour. Hosts supply ``uv`` and a Python themselves; here that is
``.venv/bin/uv`` and the test's own interpreter, with downloads of other Pythons switched off.
"""

import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any, Final

import pytest

from tests.mcpb_host import ROOT, UserValue, launch, load_manifest
from tests.nodetools import NODE_MODULES, NodeTools
from tests.standin import COUNT_PATH, DEFAULT_KEY, Standin
from tests.support import HELLO, answered, sent

pytestmark = pytest.mark.node

UV = Path(sys.executable).with_name("uv")
BEARER = f"Bearer {DEFAULT_KEY}"
SHIPPED_TOP_LEVEL = {"manifest.json", "pyproject.toml", "setup.py", "uv.lock", "README.md", "LICENSE", "server"}
# What a build leaves in server/: bytecode and the compiled engine built in place, and setuptools' egg-info
# folder (never shipped in the bundle).
BUILT: Final = (".pyc", ".so", ".pyd", ".c")


@pytest.fixture(scope="module")
def bundle(node_tools: NodeTools, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository packed with ``mcpb pack`` (about 0.3 s)."""
    out = tmp_path_factory.mktemp("bundle") / "mcp-token-counter.mcpb"
    packed = node_tools.run("mcpb", "pack", str(ROOT), str(out), timeout=120)
    assert packed.returncode == 0, packed.stdout + packed.stderr
    return out


@pytest.fixture(scope="module")
def unpacked(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle unzipped where a host would install it; ``uv run`` creates its ``.venv`` there."""
    folder = tmp_path_factory.mktemp("installed")
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    return folder


def repository_files(folder: str) -> set[str]:
    """Files under ``folder`` that a build would see (no bytecode caches, no compiled engine built in place)."""
    paths = (ROOT / folder).rglob("*")
    return {
        p.relative_to(ROOT).as_posix()
        for p in paths
        if p.is_file()
        and "__pycache__" not in p.parts
        and not p.name.endswith(BUILT)
        and not any(part.endswith(".egg-info") for part in p.parts)
    }


def inspector_config(unpacked: Path, tmp_path: Path, user_config: dict[str, UserValue]) -> Path:
    """An Inspector ``--config`` file starting the bundle as a host would.

    ``--config`` rather than ``-e KEY=VALUE`` because the CLI rejects ``-e KEY=`` with an empty value, and empty
    values are exactly what a host passes for optional fields the user left blank.
    """
    launched = launch(load_manifest(), dirname=unpacked, user_config=user_config)
    assert launched.command == "uv"
    env = {
        **launched.env,
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
        **({"UV_CACHE_DIR": os.environ["UV_CACHE_DIR"]} if "UV_CACHE_DIR" in os.environ else {}),
    }
    server = {"command": str(UV), "args": launched.args, "env": env}
    path = tmp_path / "inspector.json"
    path.write_text(json.dumps({"mcpServers": {"bundle": server}}), encoding="utf-8")
    return path


def inspect(node_tools: NodeTools, config: Path, *args: str) -> dict[str, Any]:
    """One Inspector CLI call against the bundle; the JSON result (the first start builds the venv).

    Without ``-q`` stdout is still one JSON object, and stderr carries uv's and the server's messages.
    """
    done = node_tools.run("inspector", "--cli", "--format", "json", "--config", str(config),
                          "--server", "bundle", *args, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)["result"]
    return result


def test_manifest_passes_mcpb_validate(node_tools: NodeTools) -> None:
    done = node_tools.run("mcpb", "validate", str(ROOT / "manifest.json"), timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Manifest schema validation passes!" in done.stdout


def test_bundle_ships_only_the_project_files_uv_needs(bundle: Path) -> None:
    """pyproject.toml, setup.py, uv.lock, README.md and LICENSE (setuptools reads both), manifest.json and server/
    (with the icon): no caches, tests, venvs, nor the engine built in place."""
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
    assert {name.split("/")[0] for name in names} == SHIPPED_TOP_LEVEL
    assert {name for name in names if name.startswith("server/")} == repository_files("server")
    assert load_manifest()["server"]["entry_point"] in names
    assert load_manifest()["icon"] in names


def test_the_uv_bundle_follows_the_installed_mcpb_spec(node_tools: NodeTools) -> None:
    """A ``uv`` bundle (manifest 0.4): the host supplies uv and Python, so the bare ``uv`` command is the host's
    to resolve; the pinned mcpb's 0.4 schema still requires ``mcp_config``, which carries the settings."""
    mcpb = NODE_MODULES / "@anthropic-ai" / "mcpb"
    schema = json.loads((mcpb / "dist" / "mcpb-manifest-v0.4.schema.json").read_text(encoding="utf-8"))
    server = schema["properties"]["server"]
    assert "uv" in server["properties"]["type"]["enum"]
    assert "mcp_config" in server["required"]
    spec = (mcpb / "README.md").read_text(encoding="utf-8")
    uv_runtime = spec[spec.index("**UV Runtime") : spec.index("**Python Bundles")]
    assert "Host application manages Python and dependencies automatically" in uv_runtime
    manifest = load_manifest()
    assert (manifest["manifest_version"], manifest["server"]["type"]) == ("0.4", "uv")
    assert manifest["server"]["mcp_config"]["command"] == "uv"


def test_bundle_carries_the_manifest_unchanged(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        packed = json.loads(archive.read("manifest.json"))
    assert packed == load_manifest()


def test_unpacked_bundle_lists_the_manifests_tools(node_tools: NodeTools, unpacked: Path, tmp_path: Path) -> None:
    """Started through uv from the unpacked folder with nothing configured, it serves the tools it advertises."""
    listed = inspect(node_tools, inspector_config(unpacked, tmp_path, {}), "--method", "tools/list")
    assert [{"name": t["name"], "description": t["description"]} for t in listed["tools"]] == load_manifest()["tools"]


@pytest.mark.parametrize(
    ("provider", "flavour", "user_config", "auth_header"),
    [
        ("anthropic", "standin", {"anthropic_api_key": DEFAULT_KEY}, ("x-api-key", DEFAULT_KEY)),
        ("acedatacloud", "acedata_standin", {"acedatacloud_api_token": DEFAULT_KEY}, ("authorization", BEARER)),
    ],
)
def test_unpacked_bundle_counts_through_the_configured_provider(
    node_tools: NodeTools,
    unpacked: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    provider: str,
    flavour: str,
    user_config: dict[str, UserValue],
    auth_header: tuple[str, str],
) -> None:
    """The user's key and base URL travel user_config -> mcp_config.env -> server -> the provider's API."""
    api: Standin = request.getfixturevalue(flavour)
    base_url_field = "anthropic_base_url" if provider == "anthropic" else "acedatacloud_base_url"
    config = inspector_config(unpacked, tmp_path, {**user_config, base_url_field: api.base_url, "timeout": 10})
    result = inspect(node_tools, config, "--method", "tools/call", "--tool-name", "count_tokens",
                     "--tool-args-json", json.dumps(HELLO))  # fmt: skip
    (seen,) = api.log.to(COUNT_PATH)
    counted = result["structuredContent"]
    assert (counted["input_tokens"], counted["source"], counted["provider"]) == (
        answered(seen)["input_tokens"],
        "api",
        provider,
    )
    name, value = auth_header
    assert seen.headers[name] == value
    assert sent(seen) == HELLO


def test_unpacked_bundle_reads_files_in_the_configured_folder(
    node_tools: NodeTools, unpacked: Path, tmp_path: Path
) -> None:
    """The folder setting travels user_config -> TOKEN_COUNTER_ALLOWED_DIRS, so count_files works with no roots."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "notes.md").write_text("Token counting keeps prompts inside the window.\n", encoding="utf-8")
    config = inspector_config(unpacked, tmp_path, {"allowed_directory": str(folder)})
    arguments = {"paths": ["notes.md"], "model": "claude-sonnet-4-6"}
    result = inspect(node_tools, config, "--method", "tools/call", "--tool-name", "count_files",
                     "--tool-args-json", json.dumps(arguments))  # fmt: skip
    assert not result.get("isError"), result
    counted = result["structuredContent"]
    assert list(counted["files"]) == ["notes.md"]
    assert counted["files"]["notes.md"] > 0
    assert counted["source"] == "estimate"  # no key configured
