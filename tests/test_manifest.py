"""manifest.json (MCP Bundle) and server.json (MCP Registry) agree with the server they describe."""

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

import mcp_token_counter
from mcp_token_counter.app import build_server
from mcp_token_counter.config import CREDENTIAL_VARIABLES, Settings
from tests.mcpb_host import ROOT, UserValue, launch, load_manifest, referenced_user_config

SERVER_JSON = ROOT / "server.json"
BUNDLE_DIR = Path("/opt/bundles/mcp-token-counter")
BUNDLE_PROJECT = ROOT / "packaging" / "bundle"
# Variables for uv itself, not for the server; server.json (uvx) has no use for them.
UV_VARIABLES = {"UV_SYSTEM_CERTS"}


def load_server_json() -> dict[str, Any]:
    with SERVER_JSON.open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def settings_from_bundle(**user_config: UserValue) -> Settings:
    """The server's settings when a host starts the bundle with these user_config values."""
    env = launch(load_manifest(), dirname=BUNDLE_DIR, user_config=user_config).env
    return Settings.from_env(env)


@pytest.mark.anyio
async def test_manifest_tools_are_the_servers_tools() -> None:
    """The bundle's tool list (shown before install) matches tools/list, names and descriptions."""
    async with Client(build_server(Settings())) as client:
        listed = await client.list_tools()
    served = [{"name": tool.name, "description": tool.description} for tool in listed.tools]
    assert load_manifest()["tools"] == served


def test_bundle_left_unconfigured_gives_the_servers_defaults() -> None:
    """Empty optional fields arrive as empty strings and defaults as text; the server sees its own defaults."""
    assert settings_from_bundle() == Settings()


def test_bundle_anthropic_key_and_timeout_reach_the_server() -> None:
    settings = settings_from_bundle(anthropic_api_key="sk-ant-test", timeout=12)
    assert settings.credential is not None
    assert (settings.provider, settings.credential.variable) == ("anthropic", "ANTHROPIC_API_KEY")
    assert settings.timeout_s == 12
    assert settings.base_url == "https://api.anthropic.com"


def test_bundle_provider_choice_selects_ace_data_cloud_and_its_base_url() -> None:
    settings = settings_from_bundle(
        anthropic_api_key="sk-ant-test",
        acedatacloud_api_token="ace-test",
        provider="acedatacloud",
        acedatacloud_base_url="https://gateway.example/",
    )
    assert settings.credential is not None
    assert (settings.provider, settings.credential.variable) == ("acedatacloud", "ACEDATACLOUD_API_TOKEN")
    assert settings.base_url == "https://gateway.example"


def test_bundle_runs_its_entry_point_with_uv_from_the_unpacked_folder_without_dev_tools() -> None:
    """The same file a host runs when it manages uv itself (mcp_config is optional for uv bundles)."""
    manifest = load_manifest()
    launched = launch(manifest, dirname=BUNDLE_DIR, user_config={})
    assert launched.command == "uv"
    entry_point = manifest["server"]["entry_point"]
    assert launched.args == ["run", "--directory", str(BUNDLE_DIR), "--no-dev", entry_point]
    assert launched.env["UV_SYSTEM_CERTS"] == "true", "TLS-inspecting proxies: trust the OS certificate store"


def test_entry_point_runs_as_a_script() -> None:
    """Hosts run the entry point as a file, not as ``python -m``."""
    entry_point = BUNDLE_PROJECT / load_manifest()["server"]["entry_point"]
    done = subprocess.run([sys.executable, entry_point, "--version"], capture_output=True, text=True, check=False)
    expected = f"mcp-token-counter {mcp_token_counter.__version__}\noffline engine: compiled (Cython)\n"
    assert (done.returncode, done.stdout) == (0, expected)


def test_every_user_config_field_is_used_and_secrets_are_masked() -> None:
    manifest = load_manifest()
    fields: dict[str, dict[str, Any]] = manifest["user_config"]
    assert referenced_user_config(manifest) == set(fields)
    secret = {key for key, spec in fields.items() if spec.get("sensitive")}
    assert secret == {"anthropic_api_key", "anthropic_auth_token", "acedatacloud_api_token"}
    assert not any(spec.get("required") for spec in fields.values()), "no key still gives offline estimates"


def test_versions_agree() -> None:
    """One source, __version__, which the build reads; the bundle and registry entry repeat it."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "mcp_token_counter.__version__"}
    server_json = load_server_json()
    bundle = tomllib.loads((BUNDLE_PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (pin,) = bundle["dependencies"]
    assert pin.startswith("mcp-token-counter==")
    versions = {
        "installed metadata": importlib.metadata.version("mcp-token-counter"),
        "manifest": load_manifest()["version"],
        "bundle project": bundle["version"],
        "bundle's pin": pin.removeprefix("mcp-token-counter=="),
        "server.json": server_json["version"],
        **{f"server.json {p['registryType']} package": p.get("version") for p in server_json["packages"]},
    }
    assert set(versions.values()) == {mcp_token_counter.__version__}, versions


def test_server_json_describes_the_pypi_package_run_with_uvx() -> None:
    server_json = load_server_json()
    assert server_json["$schema"] == "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
    assert re.fullmatch(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+", server_json["name"])
    assert 1 <= len(server_json["description"]) <= 100
    package = next(p for p in server_json["packages"] if p["registryType"] == "pypi")
    name = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert (package["registryType"], package["identifier"], package["runtimeHint"]) == ("pypi", name, "uvx")
    assert package["transport"] == {"type": "stdio"}


def test_server_json_marks_exactly_the_credentials_secret() -> None:
    for package in load_server_json()["packages"]:
        variables: list[dict[str, Any]] = package["environmentVariables"]
        secret = [v["name"] for v in variables if v.get("isSecret")]
        assert secret == list(CREDENTIAL_VARIABLES)
        assert not any(v.get("isRequired") for v in variables)


def test_bundle_sets_only_variables_the_registry_entry_documents() -> None:
    documented = {v["name"] for v in load_server_json()["packages"][0]["environmentVariables"]}
    bundle_env = set(load_manifest()["server"]["mcp_config"]["env"])
    assert bundle_env - UV_VARIABLES <= documented


def test_the_bundle_project_pins_the_release_for_the_pythons_the_package_supports() -> None:
    """The bundle installs the released wheel (no source, no build), on the same Pythons as the package."""
    bundle = tomllib.loads((BUNDLE_PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    package = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert bundle["project"]["dependencies"] == [f"mcp-token-counter=={mcp_token_counter.__version__}"]
    assert bundle["project"]["requires-python"] == package["requires-python"]
    assert bundle["tool"]["uv"]["package"] is False
