"""Shared pytest configuration: the counting-API stand-in fixtures are available to every test."""

pytest_plugins = ("tests.standin.fixtures",)

# Fixtures for the Node-based checks: node_tools (Node 22 + Inspector, conformance, mcpb) and fake_upstream.
pytest_plugins = ("tests.nodetools", "tests.fake_upstream")


import pytest  # noqa: E402 - after the plugin declaration it documents


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras of the in-memory client: 2026-07-28 (auto) and 2025-11-25 (legacy)."""
    return request.param
