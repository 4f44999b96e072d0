"""Shared pytest configuration.

Plugins: the counting-API stand-in fixtures (``standin``, ``acedata_standin``, ``standin_factory``) and the
Node-based tools (``node_tools``: Node 22 with the Inspector, the conformance suite and mcpb), and a real
``redis-server`` (``redis_url``).
"""

from pathlib import Path
from typing import Final

import pytest

pytest_plugins = (
    "tests.standin.fixtures",
    "tests.nodetools",
    "tests.redis_server",
    "tests.browser",
    "tests.wheels",
)


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras of the in-memory client: 2026-07-28 (auto) and 2025-11-25 (legacy)."""
    return request.param


# The unit tier `make check` runs (pytest -m unit): modules whose tests start no process, server or browser and
# read no large corpus, so ruff, pyright and these stay within a minute. A module joins by being named here.
UNIT_MODULES: Final = frozenset(
    {
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
        "test_tool_budget.py",
        "test_upstream_client.py",
        "offline/test_ctok_fast.py",
        "offline/test_fast_count_parts.py",
        "offline/test_offline_documented.py",
        "offline/test_offline_pdf.py",
        "offline/test_offline_rules.py",
        "offline/test_word_scan.py",
    }
)
TESTS: Final = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(TESTS).as_posix() in UNIT_MODULES:
            item.add_marker(pytest.mark.unit)
