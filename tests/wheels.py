"""The built wheel in a venv of its own, as a user installs it: for the tests that need an installation without
the dev group (the missing-extra message, the bundle) and for bench/install_weight.py.

uv builds the wheel with the project's build backend, makes the venv with this test's interpreter (downloads of
other Pythons off) and resolves the runtime dependencies from the index through its shared cache, so a repeat
costs a few seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
# The project venv's uv (the Makefile installs it there), else the one on PATH.
UV: Final = shutil.which("uv", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}") or "uv"
TIMEOUT_S: Final = 900


def network_env() -> dict[str, str]:
    """How this machine reaches the package index: certificates, proxies, index settings (uv, pip)."""
    names = ("SSL_", "PIP_", "UV_", "REQUESTS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
    return {k: v for k, v in os.environ.items() if k.upper().startswith(names)}


def uv_env(**extra: str) -> dict[str, str]:
    """uv on this interpreter only, with the machine's network settings and the shared cache."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
    }
    return network_env() | env | extra


def run_uv(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """One uv command; an AssertionError with uv's output if it fails."""
    done = subprocess.run(
        [UV, *args], env=dict(env or uv_env()), capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    assert done.returncode == 0, f"uv {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done


def build_wheel(out: Path) -> Path:
    """The checkout's wheel, built into ``out``."""
    run_uv("build", "--wheel", "--quiet", "--out-dir", str(out), str(ROOT))
    (wheel,) = out.glob("mcp_token_counter-*.whl")
    return wheel


def install(wheel: Path, venv: Path, *, extras: str = "", env: Mapping[str, str] | None = None) -> Path:
    """A fresh venv at ``venv`` holding ``wheel`` (with ``extras``, e.g. "team") and its runtime dependencies;
    the venv's folder of scripts."""
    run_uv("venv", "--quiet", str(venv), env=env)
    requirement = f"mcp-token-counter[{extras}] @ {wheel.as_uri()}" if extras else str(wheel)
    run_uv("pip", "install", "--quiet", "--python", str(venv), requirement, env=env)
    return venv / ("Scripts" if os.name == "nt" else "bin")
