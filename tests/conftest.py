"""Shared pytest configuration.

Plugins: the counting-API stand-in fixtures (``standin``, ``acedata_standin``, ``standin_factory``) and the
Node-based tools (``node_tools``: Node 22 with the Inspector, the conformance suite and mcpb), a real
``redis-server`` (``redis_url``), chromium (``browser``) and the checkout's sdist and wheel (``checkout_dist``).

`make test` runs the suite on every core (pytest-xdist: ``-n auto --dist loadfile``, see ``.ci/test``; auto is one
worker more than the cores, below). Each module runs on one worker, so its module-scoped fixtures (a server, a
browser, a corpus) are made once; modules go to whichever worker is free, the slowest first, so the workers
finish together instead of one of them working through a long module at the end. (Not ``loadgroup``: with
pytest 9.2, xdist 3.8 cannot tag a test with its group, and the groups silently split.)
"""

import os
from pathlib import Path
from typing import Final

import pytest

from tests.nodetools import NodeTools, ensure_installed

pytest_plugins = (
    "tests.standin.fixtures",
    "tests.redis_server",
    "tests.browser",
    "tests.wheels",
)


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    """Node 22 and the npm tools (tests/nodetools.py), which `make test` installs beside the venv; else on first use."""
    return ensure_installed()


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras of the in-memory client: 2026-07-28 (auto) and 2025-11-25 (legacy)."""
    return request.param


# The unit tier `make check` runs (pytest -m unit): modules whose tests start no process, server or browser and
# read no large corpus, so ruff, pyright and these stay within a minute. A module joins by being named here.
UNIT_MODULES: Final = frozenset(
    {
        "test_bench_charts.py",
        "test_bench_helpers.py",
        "test_body.py",
        "test_catalog.py",
        "test_config.py",
        "test_echoed_values.py",
        "test_layers.py",
        "test_ondemand.py",
        "test_publishing.py",
        "test_redaction.py",
        "test_reliability_config.py",
        "test_request.py",
        "test_resources.py",
        "test_style.py",
        "test_tool_budget.py",
        "test_tool_reference.py",
        "test_upstream_client.py",
        "offline/test_ctok_fast.py",
        "offline/test_fast_count_parts.py",
        "offline/test_offline_documented.py",
        "offline/test_offline_pdf.py",
        "offline/test_offline_rules.py",
        "offline/test_word_scan.py",
    }
)
# Modules by the time their tests take, slowest first (a full run's --durations under xdist); the rest follow
# in file order and fill the gaps, so the workers finish together.
SLOW_FIRST: Final = (
    "test_cli.py",
    "test_view.py",
    "test_team.py",
    "test_bench_smoke.py",
    "test_audit.py",
    "offline/test_linear_time.py",
    "test_bundle.py",
    "test_oauth.py",
    "test_http.py",
    "offline/test_fast_count_equality.py",
    "test_audit_hostile.py",
    "test_inspector.py",
    "offline/test_word_scan.py",
    "test_install.py",
    "test_mcp_use.py",
    "test_fuzz.py",
)
TESTS: Final = Path(__file__).parent


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than there are cores. Many tests wait (on rate limits, key lifetimes, child
    processes starting); the extra worker uses a core while another waits. PYTEST_XDIST_AUTO_NUM_WORKERS wins."""
    wanted = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "")
    return int(wanted) if wanted.isdigit() else (os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _module(item) in UNIT_MODULES:
            item.add_marker(pytest.mark.unit)
    # Every worker collects and must order alike: a stable sort on a fixed key keeps each module's own order.
    items.sort(key=_rank)


def _module(item: pytest.Item) -> str:
    return item.path.relative_to(TESTS).as_posix()


def _rank(item: pytest.Item) -> int:
    module = _module(item)
    return SLOW_FIRST.index(module) if module in SLOW_FIRST else len(SLOW_FIRST)
