"""The built wheel in a venv of its own, as a user installs it: for the tests that need an installation without
the dev group (the missing-extra message, the bundle) and for bench/install_weight.py.

uv builds the wheel with the project's build backend, makes the venv with this test's interpreter (downloads of
other Pythons off) and resolves the runtime dependencies from the index through its shared cache, so a repeat
costs a few seconds.

Loaded as a pytest plugin (see ``conftest.py``) it provides ``checkout_dist``: the checkout's sdist and wheel,
built once for the whole run and shared by the xdist workers. A build from the checkout writes into it (Cython's
C and setuptools' temporaries under ``build/``, the egg-info), so builds from it take ``checkout_build_lock()``
one at a time, across workers and runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest
from filelock import FileLock

ROOT: Final = Path(__file__).resolve().parent.parent
# The project venv's uv (the Makefile installs it there), else the one on PATH.
UV: Final = shutil.which("uv", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}") or "uv"
TIMEOUT_S: Final = 900
BUILD_LOCK: Final = ROOT / "build" / ".checkout-build.lock"
DONE: Final = ".done"


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


@contextmanager
def checkout_build_lock() -> Generator[None]:
    """Held while something builds from the checkout (``uv build``, ``uvx --from .``), which writes into it."""
    BUILD_LOCK.parent.mkdir(exist_ok=True)
    with FileLock(BUILD_LOCK, timeout=TIMEOUT_S):
        yield


def build_wheel(out: Path) -> Path:
    """The checkout's wheel, built into ``out``."""
    with checkout_build_lock():
        run_uv("build", "--wheel", "--quiet", "--out-dir", str(out), str(ROOT))
    (wheel,) = out.glob("mcp_token_counter-*.whl")
    return wheel


def run_wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this run shares (each worker's base temp is a child of it); without
    xdist, the session's own base temp."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """``run_wide()/name``, filled by ``make`` for the first worker asking; the others wait for it and reuse it."""
    folder = run_wide(tmp_path_factory) / name
    with FileLock(folder.with_name(f"{name}.lock"), timeout=TIMEOUT_S):
        if not (folder / DONE).is_file():
            shutil.rmtree(folder, ignore_errors=True)  # a failed attempt's leftovers
            folder.mkdir()
            make(folder)
            (folder / DONE).touch()
    return folder


def _build_dist(out: Path) -> None:
    with checkout_build_lock():
        run_uv("build", "--quiet", "--out-dir", str(out), str(ROOT))


@pytest.fixture(scope="session")
def checkout_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``uv build`` of the checkout, as a release builds it: the sdist and the wheel built from it (the compiled
    engine's Cython compile is most of the time). One build for the run, whatever the number of workers."""
    return made_once(tmp_path_factory, "checkout-dist", _build_dist)


def dist_wheel(dist: Path) -> Path:
    """The one wheel in ``dist``."""
    (wheel,) = dist.glob("mcp_token_counter-*.whl")
    return wheel


def install(wheel: Path, venv: Path, *, extras: str = "", env: Mapping[str, str] | None = None) -> Path:
    """A fresh venv at ``venv`` holding ``wheel`` (with ``extras``, e.g. "team") and its runtime dependencies;
    the venv's folder of scripts."""
    run_uv("venv", "--quiet", str(venv), env=env)
    requirement = f"mcp-token-counter[{extras}] @ {wheel.as_uri()}" if extras else str(wheel)
    run_uv("pip", "install", "--quiet", "--python", str(venv), requirement, env=env)
    return venv / ("Scripts" if os.name == "nt" else "bin")
