"""Shared pytest configuration.

Plugins: the counting-API stand-in fixtures (``standin``, ``acedata_standin``, ``standin_factory``) and the
Node-based tools (``node_tools``: Node 22 with the Inspector, the conformance suite and mcpb), and a real
``redis-server`` (``redis_url``).
"""

import pytest

pytest_plugins = ("tests.standin.fixtures", "tests.nodetools", "tests.redis_server", "tests.browser")


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras of the in-memory client: 2026-07-28 (auto) and 2025-11-25 (legacy)."""
    return request.param
