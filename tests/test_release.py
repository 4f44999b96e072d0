"""The release's platform wheels: cibuildwheel's matrix from pyproject.toml, the workflow that runs it, and the
smoke test each wheel must pass (scripts/wheel_smoke.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Final

import pytest

from tests.mcpb_host import ROOT

CIBUILDWHEEL: Final = Path(sys.executable).with_name("cibuildwheel")
RELEASE: Final = ROOT / ".github" / "workflows" / "release.yml"
PYTHONS: Final = ("cp312", "cp313", "cp314")
# The matrix: CPython 3.12-3.14 on Linux x86_64 and aarch64 (glibc), macOS arm64 and x86_64, Windows AMD64.
MATRIX: Final[dict[tuple[str, str | None], set[str]]] = {
    ("linux", "x86_64,aarch64"): {f"{py}-manylinux_{arch}" for py in PYTHONS for arch in ("x86_64", "aarch64")},
    ("macos", None): {f"{py}-macosx_{arch}" for py in PYTHONS for arch in ("arm64", "x86_64")},
    ("windows", None): {f"{py}-win_amd64" for py in PYTHONS},
}


def identifiers(platform: str, archs: str | None) -> set[str]:
    """What ``cibuildwheel --print-build-identifiers`` would build from the checkout's configuration."""
    command = [str(CIBUILDWHEEL), "--print-build-identifiers", "--platform", platform]
    done = subprocess.run(
        [*command, *(["--archs", archs] if archs else [])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize(("platform", "archs"), sorted(MATRIX, key=str))
def test_cibuildwheel_builds_the_release_matrix(platform: str, archs: str | None) -> None:
    assert identifiers(platform, archs) == MATRIX[platform, archs]


def test_linux_without_archs_builds_both_architectures_and_no_musllinux() -> None:
    """The configured archs, not only the host's; musllinux is skipped (pyproject says why)."""
    built = identifiers("linux", None)
    assert built == MATRIX["linux", "x86_64,aarch64"]
    assert not any("musllinux" in name for name in built)


def test_each_wheel_is_tested_for_the_compiled_engine() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["cibuildwheel"]
    assert config["test-command"] == "python scripts/wheel_smoke.py --expect-engine compiled"
    assert config["test-sources"] == ["scripts/wheel_smoke.py"]


def _locked_version(package: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    (version,) = [p["version"] for p in lock["package"] if p["name"] == package]
    return version


def test_the_release_workflow_runs_the_locked_cibuildwheel_on_one_runner_per_architecture() -> None:
    workflow = RELEASE.read_text(encoding="utf-8")
    assert f'"cibuildwheel=={_locked_version("cibuildwheel")}"' in workflow
    archs = re.findall(r"-\s*\{\s*os:\s*[\w.-]+,\s*archs:\s*\"?([\w ]+?)\"?\s*\}", workflow)
    assert sorted(" ".join(archs).split()) == sorted(["x86_64", "aarch64", "arm64", "x86_64", "AMD64"])
    assert "CIBW_ARCHS: ${{ matrix.archs }}" in workflow
    assert "uv build --sdist --out-dir dist" in workflow


def test_pypi_and_the_github_release_get_every_wheel_and_publish_with_trusted_publishing() -> None:
    workflow = RELEASE.read_text(encoding="utf-8")
    jobs = re.split(r"\n  (?=[\w-]+:\n)", workflow)
    by_name = {job.split(":", 1)[0]: job for job in jobs[1:]}
    assert "needs: [build, wheels]" in by_name["pypi"]
    # The bundle installs the release from PyPI at its first start, so it is offered only once PyPI has it.
    assert "needs: [build, wheels, pypi]" in by_name["github-release"]
    for name in ("pypi", "github-release"):
        job = by_name[name]
        assert "pattern: wheels-*" in job, name
        assert "merge-multiple: true" in job, name
    assert "id-token: write" in by_name["pypi"]
    assert "uses: pypa/gh-action-pypi-publish@release/v1" in by_name["pypi"]
    assert "password" not in by_name["pypi"]  # trusted publishing: no token stored


def _smoke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "wheel_smoke.py"), *args], capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


def test_the_smoke_test_counts_offline_and_checks_the_engine_word() -> None:
    """Against this venv's installation: it passes, and fails when --version lacks the expected word."""
    passed = _smoke()
    assert passed.returncode == 0, passed.stderr
    assert re.search(r"counted \d+ tokens \(estimate\)", passed.stdout)
    failed = _smoke("--expect-engine", "no-such-engine")
    assert failed.returncode == 1
    assert "does not name the 'no-such-engine' engine" in failed.stderr
