"""Which offline engine counts, and saying so: the compiled extension is built and active where the tests run
(unless forced off), ``TOKEN_COUNTER_OFFLINE_ENGINE`` forces the pure-Python path, and the start-up line and
``--version`` name the engine without loading a vocabulary."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from tests.test_stdio import INITIALIZE

from mcp_token_counter.offline.compiled import _engine
from mcp_token_counter.offline.compiled.engine import FORCED, SETTING, describe, forced_python, load_engine
from mcp_token_counter.offline.text import word_scan
from mcp_token_counter.offline.text.char_facts import KINDS, LOWER, SPECIAL, UNKNOWN, UNLOWERABLE, UPPER

COMPILED = "compiled (Cython)"


def test_the_compiled_engine_is_built_and_active_here() -> None:
    # `make setup` builds the extension in place; a checkout where it silently failed to build must fail here,
    # not pass on the slower pure-Python path. CI may force the Python path on purpose, and says so.
    if forced_python(os.environ):
        assert describe(os.environ) == f"pure Python (forced by {SETTING})"
    else:
        assert describe(os.environ) == COMPILED
        assert load_engine(os.environ) is _engine


def test_the_setting_forces_the_python_path(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "mcp_token_counter.offline.compiled.engine")
    for value in (FORCED, "Python", " python "):
        assert load_engine({SETTING: value}) is None
        assert describe({SETTING: value}) == f"pure Python (forced by {SETTING})"
    assert load_engine({SETTING: "auto"}) is _engine
    assert load_engine({}) is _engine
    assert caplog.messages == [f"offline engine: pure Python (forced by {SETTING})"] * 3


def test_a_value_not_understood_is_said_and_the_default_kept() -> None:
    assert describe({SETTING: "numba"}) == f"{COMPILED}; {SETTING}='numba' is not understood, use auto or python"
    assert load_engine({SETTING: "numba"}) is _engine


def test_the_engine_numbers_what_python_numbers() -> None:
    # The scan's statuses and the writer's tables are read on both sides of the extension's edge.
    assert _engine.STATUSES == (word_scan.DONE, word_scan.PENDING, word_scan.FULL, word_scan.GAP)
    assert (*range(len(KINDS)), UNKNOWN) == _engine.KINDS
    assert _engine.CASE_FACTS == (UPPER, LOWER, UNLOWERABLE, SPECIAL)


def _version(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mcp_token_counter", "--version"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_version_names_the_engine() -> None:
    from mcp_token_counter import __version__

    assert _version({}) == f"mcp-token-counter {__version__}\noffline engine: {COMPILED}\n"
    forced = f"mcp-token-counter {__version__}\noffline engine: pure Python (forced by {SETTING})\n"
    assert _version({SETTING: FORCED}) == forced


# The server over stdio, as a client starts it, where the extension was never built: one initialize, then EOF.
STARTUP = """
import sys
sys.modules["mcp_token_counter.offline.compiled._engine"] = None
sys.argv = ["mcp-token-counter"]
from mcp_token_counter.__main__ import main
try:
    main()
finally:
    stack = {"ctok", "mcp_token_counter.offline.request", "mcp_token_counter.offline.text"}
    print(sorted(stack & set(sys.modules)), file=sys.stderr)
"""


def test_the_startup_line_says_the_extension_is_missing_without_loading_ctok() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STARTUP],
        input=json.dumps(INITIALIZE) + "\n",
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "INFO mcp_token_counter.startup: No provider configured: counts are offline estimates; "
        "offline engine: pure Python (extension not built)",
        "[]",
    ]
