"""Shared fixtures."""

import pytest

# Fixtures for the Node-based checks: node_tools (Node 22 + Inspector, conformance, mcpb) and fake_upstream.
pytest_plugins = ("tests.nodetools", "tests.fake_upstream")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
