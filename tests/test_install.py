"""The package as users get it: the built wheel and sdist, run with ``uvx`` and installed with ``pipx``.

The wheel and sdist are built with ``uv build`` (setuptools and Cython, as a release builds them: the wheel
is platform-specific, with the compiled offline engine). ``uvx`` is uv's
``uv tool run``; it and pipx resolve the dependencies from PyPI into their own folders under ``tmp_path``. uv
uses the test's own interpreter, with downloads of other Pythons switched off, as a host would.
"""

import email
import email.message
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Final

import anyio
import pytest
from mcp import Client, StdioServerParameters

import mcp_token_counter
from tests.mcpb_host import ROOT
from tests.wheels import checkout_build_lock

# The project venv's uv (the Makefile installs it there), else the one on PATH (CI's lowest-direct job).
UV: Final = shutil.which("uv", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}") or "uv"
PIPX: Final = Path(sys.executable).with_name("pipx")
TOOLS: Final = {"count_tokens", "check_context_fit", "count_files", "count_tool_definitions", "check_prompt_cache"}
VERSION_LINE: Final = f"mcp-token-counter {mcp_token_counter.__version__}\noffline engine: compiled (Cython)\n"
INSTALL_TIMEOUT_S: Final = 600


@pytest.fixture
def dist(checkout_dist: Path) -> Path:
    """``uv build`` of the checkout: one wheel and one sdist (built once for the run, tests/wheels.py)."""
    return checkout_dist


def wheel(dist: Path) -> Path:
    (found,) = dist.glob("*.whl")
    return found


def uv_env(home: Path) -> dict[str, str]:
    """uv with its tools under ``home``, the shared download cache, and this interpreter only."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(home)),
        "UV_TOOL_DIR": str(home / "tools"),
        "UV_TOOL_BIN_DIR": str(home / "bin"),
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
    }
    return network_env() | env


def network_env() -> dict[str, str]:
    """How this machine reaches the package index: certificates, proxies, index settings (uv, pip)."""
    names = ("SSL_", "PIP_", "UV_", "REQUESTS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
    return {k: v for k, v in os.environ.items() if k.upper().startswith(names)}


def metadata(wheel_path: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel_path) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


def test_the_wheel_holds_the_package_its_data_and_the_licence(dist: Path) -> None:
    with zipfile.ZipFile(wheel(dist)) as archive:
        names = set(archive.namelist())
    dist_info = f"mcp_token_counter-{mcp_token_counter.__version__}.dist-info"
    assert f"{dist_info}/licenses/LICENSE" in names
    assert {
        "mcp_token_counter/__init__.py",
        "mcp_token_counter/py.typed",
        "mcp_token_counter/data/models.json",
        "mcp_token_counter/data/icon.png",
        "mcp_token_counter/cli/parser.py",
        "mcp_token_counter/view/context.html",
        "mcp_token_counter/offline/compiled/_engine.pyi",
    } <= names
    assert {name.split("/")[0] for name in names} == {"mcp_token_counter", dist_info}
    # The compiled offline engine, for this platform; its sources stay in the sdist.
    assert [
        n for n in names if n.startswith("mcp_token_counter/offline/compiled/_engine.") and n.endswith((".so", ".pyd"))
    ]
    assert not [n for n in names if n.endswith((".pyx", ".c"))]
    assert not wheel(dist).name.endswith("-none-any.whl")


def test_the_wheels_metadata_is_complete(dist: Path) -> None:
    """Bounded Python, full classifiers, the project's links, MIT, and the registry's marker in the description."""
    meta = metadata(wheel(dist))
    assert meta["Version"] == mcp_token_counter.__version__
    assert meta["Requires-Python"] in (">=3.12,<3.15", "<3.15,>=3.12")
    assert meta["License-Expression"] == "MIT"
    classifiers = set(meta.get_all("Classifier") or [])
    expected = {f"Programming Language :: Python :: 3.{minor}" for minor in (12, 13, 14)}
    assert expected | {"Programming Language :: Python :: 3 :: Only", "Development Status :: 4 - Beta"} <= classifiers
    assert any(c.startswith("Intended Audience ::") for c in classifiers)
    assert any(c.startswith("Operating System ::") for c in classifiers)
    assert any(c.startswith("Topic ::") for c in classifiers)
    urls = {entry.split(", ")[0] for entry in meta.get_all("Project-URL") or []}
    assert {"Homepage", "Repository", "Issues", "Changelog", "Documentation"} <= urls
    assert "mcp-name: io.github.mcp-token-counter/mcp-token-counter" in str(meta.get_payload())


def test_the_sdist_holds_the_licence_readme_changelog_and_sources(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "server/mcp_token_counter/__init__.py"} <= names
    assert {"setup.py", "server/mcp_token_counter/offline/compiled/_engine.pyx", "examples/request.json"} <= names
    assert not any(name.startswith("tests/") for name in names)
    assert not [name for name in names if name.endswith((".so", ".pyd", ".c", ".pyc"))]


def test_uvx_runs_the_built_wheel_and_the_checkout(dist: Path, tmp_path: Path) -> None:
    """``uvx --from <wheel>`` (a release) and ``uvx --from .`` (a checkout) both start the console script."""
    for source in (str(wheel(dist)), "."):
        with checkout_build_lock():  # `--from .` builds the checkout in place
            done = subprocess.run(
                [UV, "tool", "run", "--from", source, "mcp-token-counter", "--version"],
                cwd=ROOT,
                env=uv_env(tmp_path),
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
                check=False,
            )
        assert (done.returncode, done.stdout) == (0, VERSION_LINE), done.stderr


@pytest.mark.anyio
async def test_a_client_configured_with_uvx_gets_every_tool(dist: Path, tmp_path: Path) -> None:
    """The README's configuration, ``uvx mcp-token-counter``, served over stdio to the SDK's client."""
    args = ["tool", "run", "--from", str(wheel(dist)), "mcp-token-counter"]
    # The first run installs; the session below must not wait for it.
    warm = await anyio.run_process([UV, *args, "--version"], env=uv_env(tmp_path), check=False)
    assert warm.returncode == 0, warm.stderr
    params = StdioServerParameters(command=str(UV), args=args, env=uv_env(tmp_path))
    with anyio.fail_after(60):
        async with Client(params) as client:
            listed = await client.list_tools()
            counted = await client.call_tool(
                "count_tokens", {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hi"}]}
            )
    assert {tool.name for tool in listed.tools} == TOOLS
    assert counted.structured_content is not None
    assert counted.structured_content["source"] == "estimate"


def test_pipx_installs_the_built_wheel_with_a_working_cli(dist: Path, tmp_path: Path) -> None:
    env = network_env() | {
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
    }
    install = subprocess.run(
        [PIPX, "install", "--python", sys.executable, str(wheel(dist))],
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    script = tmp_path / "bin" / "mcp-token-counter"
    version = subprocess.run([script, "--version"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert version.stdout == VERSION_LINE
    counted = subprocess.run(
        [script, "count", str(ROOT / "examples" / "request.json"), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert counted.returncode == 0, counted.stderr
    assert json.loads(counted.stdout)["input_tokens"] > 0


def test_without_a_c_compiler_the_install_succeeds_on_the_python_engine(tmp_path: Path) -> None:
    """A checkout (or sdist) installed where no C compiler works: the engine's build fails with a warning, the
    editable install (what `make run` makes) still succeeds, and the CLI names the pure-Python engine."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "CHANGELOG.md"):
        shutil.copy(ROOT / name, source / name)
    built = shutil.ignore_patterns("*.so", "*.pyd", "*.c", "__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "server", source / "server", ignore=built)
    env = uv_env(tmp_path) | {"CC": "/bin/false"}
    venv = tmp_path / "venv"
    subprocess.run([UV, "venv", "--quiet", str(venv)], env=env, capture_output=True, timeout=120, check=True)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [UV, "pip", "install", "--python", str(python), "-e", str(source)],
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    version = subprocess.run(
        [venv / "bin" / "mcp-token-counter", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    expected = f"mcp-token-counter {mcp_token_counter.__version__}\noffline engine: pure Python (extension not built)\n"
    assert (version.returncode, version.stdout) == (0, expected), version.stderr
