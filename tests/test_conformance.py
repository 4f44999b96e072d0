"""The MCP conformance suite (``@modelcontextprotocol/conformance``) against ``mcp-token-counter --transport http``.

One run per protocol version, each judged against its baseline in ``tests/conformance/``: the run passes
when the failures are exactly the baselined checks, and fails on a new failure or on a baselined check that
now passes. The suite tests servers over HTTP only; stdio is covered by the Inspector tests.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.nodetools import TESTS_DIR, NodeTools
from tests.served import base_env, serve_cli

pytestmark = pytest.mark.node

BASELINES = TESTS_DIR / "conformance"
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the suite colours its report whatever NO_COLOR says


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    """The console script on streamable HTTP without credentials: the suite never calls our tools."""
    with serve_cli("http", env=base_env()) as served:
        yield served.url


@pytest.mark.parametrize("spec_version", ["2025-11-25", "2026-07-28"])
def test_conformance_failures_are_exactly_the_baseline(
    node_tools: NodeTools, http_url: str, tmp_path: Path, spec_version: str
) -> None:
    """Everything protocol-level passes; only fixture-dependent checks and absent features may fail."""
    baseline = BASELINES / f"baseline.{spec_version}.yml"
    done = node_tools.run("conformance", "server", "--url", http_url, "--suite", "all",
                          "--spec-version", spec_version, "--expected-failures", str(baseline),
                          "-o", str(tmp_path), timeout=300)  # fmt: skip
    report = ANSI.sub("", done.stdout)
    summary = report[report.find("=== SUMMARY ===") :]
    assert done.returncode == 0, f"{summary}\n{done.stderr}\nper-check results: {tmp_path}/*/checks.json"
