"""The Claude Desktop bundle: ``mcpb validate`` and ``mcpb pack``, then the packed bundle started as a host would.

The bundle is laid out by ``make bundle-stage`` (as ``make bundle`` does) and packed with the pinned mcpb. It
holds no source: its ``pyproject.toml`` pins the released ``mcp-token-counter``, which uv installs from PyPI as
the platform wheel. The release is not on PyPI from here, so the tests put this checkout's freshly built wheel
where uv looks first (``UV_FIND_LINKS``), and PyPI serves the rest.

The start-up tests unpack the ``.mcpb``, substitute ``mcp_config`` like a host (``mcpb_host``), run it with
``uv`` in a minimal environment and call it through the Inspector CLI, with the base-URL setting pointing at
the counting-API stand-in of the provider's flavour. Hosts supply ``uv`` and a Python themselves; here that is
``.venv/bin/uv`` and the test's own interpreter, with downloads of other Pythons switched off.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Final

import pytest

from tests.mcpb_host import ROOT, UserValue, launch, load_manifest
from tests.nodetools import NODE_MODULES, NodeTools
from tests.standin import COUNT_PATH, DEFAULT_KEY, Standin
from tests.support import HELLO, answered, sent
from tests.wheels import dist_wheel

pytestmark = pytest.mark.node

UV = Path(sys.executable).with_name("uv")
BEARER = f"Bearer {DEFAULT_KEY}"
MAKE: Final = shutil.which("make") or "/usr/bin/make"
ICON: Final = "server/mcp_token_counter/data/icon.png"
SHIPPED: Final = {"manifest.json", "pyproject.toml", "main.py", "LICENSE", ICON}


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder ``make bundle`` packs, laid out by its ``bundle-stage`` step."""
    folder = tmp_path_factory.mktemp("stage") / "bundle"
    done = subprocess.run([MAKE, "--no-print-directory", "-s", "bundle-stage", f"BUNDLE_STAGE={folder}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def bundle(node_tools: NodeTools, staged: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The staged bundle packed with ``mcpb pack`` (about 0.3 s)."""
    out = tmp_path_factory.mktemp("bundle") / "mcp-token-counter.mcpb"
    packed = node_tools.run("mcpb", "pack", str(staged), str(out), timeout=120)
    assert packed.returncode == 0, packed.stdout + packed.stderr
    return out


@pytest.fixture(scope="module")
def release(checkout_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A find-links folder standing in for the release on PyPI: this checkout's wheel, built for this platform."""
    folder = tmp_path_factory.mktemp("release")
    wheel = dist_wheel(checkout_dist)
    shutil.copy(wheel, folder / wheel.name)
    return folder


@pytest.fixture(scope="module")
def unpacked(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle unzipped where a host would install it; ``uv run`` creates its ``.venv`` there."""
    folder = tmp_path_factory.mktemp("installed")
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    return folder


def host_env(unpacked: Path, release: Path, user_config: dict[str, UserValue]) -> tuple[list[str], dict[str, str]]:
    """The bundle's command line and environment as a host builds them, with ``release`` where uv looks first."""
    launched = launch(load_manifest(), dirname=unpacked, user_config=user_config)
    assert launched.command == "uv"
    env = {
        **launched.env,
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_FIND_LINKS": str(release),
        **{k: v for k, v in os.environ.items() if k in ("UV_CACHE_DIR", "HOME", "PATH")},
    }
    return launched.args, env


def inspector_config(unpacked: Path, release: Path, tmp_path: Path, user_config: dict[str, UserValue]) -> Path:
    """An Inspector ``--config`` file starting the bundle as a host would.

    ``--config`` rather than ``-e KEY=VALUE`` because the CLI rejects ``-e KEY=`` with an empty value, and empty
    values are exactly what a host passes for optional fields the user left blank.
    """
    args, env = host_env(unpacked, release, user_config)
    server = {"command": str(UV), "args": args, "env": env}
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


def test_bundle_ships_no_source_only_what_installs_the_release(bundle: Path) -> None:
    """manifest.json, the project pinning the release (pyproject.toml), its entry point, the licence and the
    icon: no package source (uv installs the wheel), no caches, tests, venvs or lock."""
    with zipfile.ZipFile(bundle) as archive:
        names = {name for name in archive.namelist() if not name.endswith("/")}
    assert names == SHIPPED
    assert load_manifest()["server"]["entry_point"] in names
    assert load_manifest()["icon"] in names
    assert not any(name.endswith(".py") and name.startswith("server/") for name in names)


def test_a_folder_packed_after_a_local_try_still_ships_only_the_allowlist(
    node_tools: NodeTools, staged: Path, tmp_path: Path
) -> None:
    """.mcpbignore keeps what uv leaves beside the project (.venv, uv.lock) out of the bundle."""
    folder = tmp_path / "tried"
    shutil.copytree(staged, folder)
    (folder / "uv.lock").write_text("version = 1\n", encoding="utf-8")
    (folder / ".venv" / "lib").mkdir(parents=True)
    (folder / ".venv" / "lib" / "big.so").write_bytes(bytes(1024))
    out = tmp_path / "tried.mcpb"
    packed = node_tools.run("mcpb", "pack", str(folder), str(out), timeout=120)
    assert packed.returncode == 0, packed.stdout + packed.stderr
    with zipfile.ZipFile(out) as archive:
        assert {name for name in archive.namelist() if not name.endswith("/")} == SHIPPED


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


def test_unpacked_bundle_lists_the_manifests_tools(
    node_tools: NodeTools, unpacked: Path, release: Path, tmp_path: Path
) -> None:
    """Started through uv from the unpacked folder with nothing configured, it serves the tools it advertises."""
    listed = inspect(node_tools, inspector_config(unpacked, release, tmp_path, {}), "--method", "tools/list")
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
    release: Path,
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
    config = inspector_config(unpacked, release, tmp_path, {**user_config, base_url_field: api.base_url, "timeout": 10})
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
    node_tools: NodeTools, unpacked: Path, release: Path, tmp_path: Path
) -> None:
    """The folder setting travels user_config -> TOKEN_COUNTER_ALLOWED_DIRS, so count_files works with no roots."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "notes.md").write_text("Token counting keeps prompts inside the window.\n", encoding="utf-8")
    config = inspector_config(unpacked, release, tmp_path, {"allowed_directory": str(folder)})
    arguments = {"paths": ["notes.md"], "model": "claude-sonnet-4-6"}
    result = inspect(node_tools, config, "--method", "tools/call", "--tool-name", "count_files",
                     "--tool-args-json", json.dumps(arguments))  # fmt: skip
    assert not result.get("isError"), result
    counted = result["structuredContent"]
    assert list(counted["files"]) == ["notes.md"]
    assert counted["files"]["notes.md"] > 0
    assert counted["source"] == "estimate"  # no key configured


def _host_run(unpacked: Path, release: Path, *extra: str) -> str:
    """stdout of the bundle's own command line (``uv run ... main.py``) with ``extra`` arguments."""
    args, env = host_env(unpacked, release, {})
    done = subprocess.run([str(UV), *args, *extra], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _wheel_tag(dist_info: Path) -> str:
    (tag,) = [
        line.split(": ", 1)[1] for line in (dist_info / "WHEEL").read_text().splitlines() if line.startswith("Tag:")
    ]
    return tag


def test_the_bundles_server_is_the_released_wheel_and_reports_its_engine(unpacked: Path, release: Path) -> None:
    """The host's command installs the wheel (not a build of source) into the bundle's venv, and its --version
    names the compiled engine, as this checkout's does."""
    version = _host_run(unpacked, release, "--version")
    local = subprocess.run([Path(sys.executable).with_name("mcp-token-counter"), "--version"], capture_output=True,
                           text=True, timeout=60, check=True).stdout  # fmt: skip
    assert version == local
    assert "offline engine: compiled" in version
    (dist_info,) = (unpacked / ".venv").glob("lib/python*/site-packages/mcp_token_counter-*.dist-info")
    (built,) = release.glob("mcp_token_counter-*.whl")
    assert _wheel_tag(dist_info) == "-".join(built.stem.split("-")[-3:])  # the wheel uv found, for this platform
    assert (dist_info / "INSTALLER").read_text().strip() == "uv"
    assert not (dist_info / "direct_url.json").exists()  # from an index (find-links), not a path or a build
