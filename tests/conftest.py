"""Shared pytest configuration: the counting-API stand-in fixtures are available to every test."""

pytest_plugins = ("tests.standin.fixtures",)
