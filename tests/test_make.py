"""The Makefile and the forge's workflows: what each target installs, and what CI runs."""

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from typing import Final

from tests.conftest import UNIT_MODULES
from tests.mcpb_host import ROOT

MAKE: Final = shutil.which("make") or "/usr/bin/make"
WORKFLOWS: Final = ROOT / ".github" / "workflows"


def dry_run(target: str) -> list[str]:
    """The commands ``make <target>`` would run from scratch (``-n -B``: print, do not run, remake all)."""
    done = subprocess.run([MAKE, "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_make_run_installs_the_runtime_only() -> None:
    syncs = [line for line in dry_run("run") if " sync " in line]
    assert len(syncs) == 1
    assert syncs[0].endswith("--no-dev")


def test_make_test_installs_the_dev_tools_too() -> None:
    syncs = [line for line in dry_run("test") if " sync " in line]
    assert len(syncs) == 1
    assert "--no-dev" not in syncs[0]


def test_make_bundle_needs_no_python_setup_and_says_in_one_line_when_npm_is_missing() -> None:
    assert not [line for line in dry_run("bundle") if " sync " in line or "venv" in line]
    done = subprocess.run(
        [MAKE, "--no-print-directory", "bundle"],
        cwd=ROOT,
        env={"PATH": "/nonexistent"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if not line.startswith("make: ***")]
    assert lines == ["make bundle: npm is missing; install Node.js 18+ with npm (Debian: apt-get install nodejs npm)"]
    assert "Traceback" not in done.stderr


def test_make_bundle_and_the_tests_use_the_same_mcpb() -> None:
    packaging = json.loads((ROOT / "packaging" / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    tests = json.loads((ROOT / "tests" / "package.json").read_text(encoding="utf-8"))["devDependencies"]
    assert packaging == {"@anthropic-ai/mcpb": tests["@anthropic-ai/mcpb"]}


def test_ci_runs_make_test_on_linux_and_macos_for_every_python_the_package_claims() -> None:
    ci = (WORKFLOWS / "ci.yml").read_text(encoding="utf-8")
    classifiers = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["classifiers"]
    claimed = sorted(
        m.group(1) for c in classifiers if (m := re.fullmatch(r"Programming Language :: Python :: (3\.\d+)", c))
    )
    matrix = re.search(r"python: \[(.*)\]", ci)
    assert matrix is not None
    assert sorted(v.strip(' "') for v in matrix.group(1).split(",")) == claimed
    assert "os: [ubuntu-latest, macos-latest]" in ci
    assert "- run: make test" in ci
    assert "--resolution lowest-direct" in ci


def test_the_release_builds_all_three_artifacts_and_publishes_with_trusted_publishing() -> None:
    release = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    for step in ("uv build", "make bundle", "scripts/registry_entry.py", "pypa/gh-action-pypi-publish", "gh release"):
        assert step in release, step
    assert "id-token: write" in release
    assert "PYPI_API_TOKEN" not in release
    assert "password:" not in release


def test_make_test_builds_the_documentation_site_strictly_before_pytest_and_waits_for_pyright() -> None:
    """Not --quiet: it drops the warnings --strict counts, and a broken link would pass. pyright runs beside
    the tests; its status is waited for and counted after them."""
    lines = [line for line in (ROOT / ".ci" / "test").read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    (build,) = [i for i, line in enumerate(lines) if "mkdocs build" in line]
    assert "--strict" in lines[build].split()
    assert not {"-q", "--quiet"} & set(lines[build].split())
    (types,) = [i for i, line in enumerate(lines) if line.startswith(".venv/bin/pyright ")]
    tests = next(i for i, line in enumerate(lines) if "pytest" in line)
    waited = lines.index('wait "$types" || types_rc=$?')
    assert types < build < tests < waited
    assert '[ "$tests_rc" -eq 0 ] && [ "$types_rc" -eq 0 ] && exit 0' in lines[waited:]


def test_make_check_runs_lint_types_and_the_unit_tier_only() -> None:
    lines = dry_run("check")
    commands = [line for line in lines if line.startswith(".venv/bin/")]
    assert [c.split()[0].removeprefix(".venv/bin/") for c in commands] == ["ruff", "ruff", "pyright"]
    # pyright and the unit tier side by side (one recipe line, continued), and the target fails if either does.
    side_by_side = " ".join(line.strip().removesuffix("\\") for line in lines[lines.index(commands[-1]) :])
    assert side_by_side.startswith(".venv/bin/pyright & ")
    assert ".venv/bin/pytest -m unit" in side_by_side
    assert "; test $tests -eq 0 && test $types -eq 0" in side_by_side


def test_every_module_of_the_unit_tier_exists() -> None:
    """A misspelt name would drop a module from `make check` without a word."""
    assert UNIT_MODULES
    assert sorted(name for name in UNIT_MODULES if not (ROOT / "tests" / name).is_file()) == []


def test_the_docs_workflow_builds_strictly_and_publishes_to_pages_on_each_release() -> None:
    docs = (WORKFLOWS / "docs.yml").read_text(encoding="utf-8")
    release = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    tags = re.search(r"tags: \[.*\]", release)
    assert tags is not None
    assert tags.group(0) in docs, "the site is published on the release's own tag"
    uv = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert uv is not None
    assert f'"uv=={uv.group(1)}"' in docs
    # The server too, without the dev tools: the tool reference is read from its tools/list at build time.
    assert "uv sync --frozen --no-default-groups --group docs" in docs
    assert "mkdocs build --strict --site-dir site" in docs
    assert "actions/upload-pages-artifact" in docs
    assert "actions/deploy-pages" in docs
    assert "pages: write" in docs
    assert "id-token: write" in docs
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["dependency-groups"]
    assert {"include-group": "docs"} in groups["dev"], "make test builds the site with the same mkdocs"
    assert sorted(r.split(">")[0] for r in groups["docs"]) == ["mkdocs", "mkdocs-material"]


def test_make_test_installs_the_node_tools_beside_the_venv_with_any_python() -> None:
    """npm ci runs while uv and the compiler work, so tests/nodetools.py must need no package the venv brings."""
    assert any(line.endswith("tests/nodetools.py install") for line in dry_run("test"))
    bare = subprocess.run(  # -S: no site-packages, so only the standard library can be imported
        [sys.executable, "-S", "-c", "import sys; sys.path.insert(0, 'tests'); import nodetools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bare.returncode == 0, bare.stderr


def test_make_lets_python_cache_compiled_modules() -> None:
    """With PYTHONDONTWRITEBYTECODE set, each of the suite's Python processes compiled all it imported again."""
    shown = subprocess.run(
        [MAKE, "--no-print-directory", "--eval", "shown:\n\t@echo [$$PYTHONDONTWRITEBYTECODE]", "shown"],
        cwd=ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout == "[]\n"
