"""Which offline engine counts: the compiled extension (``_engine``, Cython, built ahead of time) or the
exact pure-Python path, and how to say so in one line.

``TOKEN_COUNTER_OFFLINE_ENGINE=python`` forces the pure-Python path (for tests and bug reports); ``auto``, the
default, takes the extension when it was built. Nothing here imports the extension at module import: the
offline counter loads it on the first count, and the start-up line only asks whether it imports (a small
module, no vocabulary).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from types import ModuleType
from typing import Final

logger = logging.getLogger(__name__)

SETTING: Final = "TOKEN_COUNTER_OFFLINE_ENGINE"
FORCED: Final = "python"
CHOICES: Final = ("auto", FORCED)
EXTENSION: Final = "mcp_token_counter.offline.compiled._engine"


def forced_python(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether ``TOKEN_COUNTER_OFFLINE_ENGINE`` asks for the pure-Python path."""
    return environ.get(SETTING, "").strip().lower() == FORCED


def load_engine(environ: Mapping[str, str] = os.environ) -> ModuleType | None:
    """The compiled extension, or ``None`` when it is forced off or was not built (one log line says which)."""
    if forced_python(environ):
        logger.info("offline engine: pure Python (forced by %s)", SETTING)
        return None
    try:
        return importlib.import_module(EXTENSION)
    except ImportError as error:
        logger.info("offline engine: pure Python (the compiled extension does not import: %s)", error)
        return None


def describe(environ: Mapping[str, str] = os.environ) -> str:
    """The active engine in a few words, for the start-up line and ``--version``."""
    value = environ.get(SETTING, "").strip().lower()
    note = "" if value in ("", *CHOICES) else f"; {SETTING}={value!r} is not understood, use auto or python"
    if value == FORCED:
        return f"pure Python (forced by {SETTING})"
    try:
        importlib.import_module(EXTENSION)
    except ImportError:
        return "pure Python (extension not built)" + note
    return "compiled (Cython)" + note
