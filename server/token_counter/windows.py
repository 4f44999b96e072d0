"""Where a model's context window comes from: argument > provider's /v1/models > built-in table."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import anyio

from .catalog import Catalog
from .errors import RateLimited, UnknownWindow, UpstreamOverloaded, UpstreamUnavailable
from .upstream import CountingClient, ModelLimits

logger = logging.getLogger(__name__)

WindowSource = Literal["argument", "provider", "table"]


@dataclass(frozen=True, slots=True)
class Window:
    """A resolved window, its output cap and where they came from."""

    context_window: int
    max_output_tokens: int | None
    source: WindowSource


class WindowResolver:
    """Resolves windows, asking the provider at most once per model per process."""

    def __init__(self, catalog: Catalog, client: CountingClient | None) -> None:
        self._catalog = catalog
        self._client = client
        self._live: dict[str, ModelLimits | None] = {}
        self._locks: dict[str, anyio.Lock] = {}

    async def resolve(self, model: str, override: int | None) -> Window:
        """The window for ``model``.

        Raises:
            UnknownWindow: no argument, no live answer and no table row.
        """
        spec = self._catalog.lookup(model)
        max_out = spec.max_output_tokens if spec else None
        if override is not None:
            return Window(override, max_out, "argument")
        live = await self._live_limits(model)
        if live is not None:
            return Window(live.context_window, live.max_output_tokens or max_out, "provider")
        if spec is not None:
            return Window(spec.context_window, spec.max_output_tokens, "table")
        raise UnknownWindow(model)

    async def _live_limits(self, model: str) -> ModelLimits | None:
        if self._client is None:
            return None
        lock = self._locks.setdefault(model, anyio.Lock())
        async with lock:
            if model not in self._live:
                try:
                    self._live[model] = await self._client.model_limits(model)
                except (UpstreamUnavailable, UpstreamOverloaded, RateLimited) as exc:
                    # Not remembered: the provider may describe the model once it recovers.
                    logger.info(
                        "Model info for %s unavailable for now (%s); using the table", model, type(exc).__name__
                    )
                    return None
        return self._live[model]
