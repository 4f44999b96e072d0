"""What every tool call needs, created once per process by the server's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Catalog
from .counting import Counter
from .windows import WindowResolver


@dataclass(frozen=True, slots=True)
class AppState:
    """The lifespan's result, read by the tools through their context."""

    counter: Counter
    windows: WindowResolver
    catalog: Catalog
    allowed_dirs: tuple[str, ...] = ()
