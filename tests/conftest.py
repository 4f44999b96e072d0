"""Shared fixtures."""

import pytest

# Fixture for the Node-based checks: node_tools (Node 22 + Inspector, conformance, mcpb).
pytest_plugins = ("nodetools",)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
