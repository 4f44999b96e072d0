"""Where a model's context window comes from: argument > provider's /v1/models > built-in table.

The provider's answers are remembered per model id, in an LRU of ``MAX_MODELS`` entries: a shared HTTP
server is asked about whatever model strings its clients send, and must not grow with them. Concurrent
first lookups of one model share one request.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Final, Literal

from cachetools import LRUCache

from ..catalog import Catalog
from ..errors import WINDOW_ARGUMENT, RateLimited, UnknownWindow, UpstreamOverloaded, UpstreamUnavailable
from ..upstream.client import CountingClient, ModelLimits
from .single_flight import SingleFlight

logger = logging.getLogger(__name__)

WindowSource = Literal["argument", "provider", "table"]

MAX_MODELS: Final = 256


@dataclass(frozen=True, slots=True)
class Window:
    """A resolved window, its output cap and where they came from."""

    context_window: int
    max_output_tokens: int | None
    source: WindowSource


class WindowResolver:
    """Resolves windows, asking the provider at most once per model per process."""

    def __init__(self, catalog: Catalog, client: CountingClient | None, *, max_models: int = MAX_MODELS) -> None:
        self._catalog = catalog
        self._client = client
        # A model the provider does not describe is remembered as None, so it is not asked again either.
        self._live = LRUCache[str, ModelLimits | None](maxsize=max_models)
        self._flights = SingleFlight[str, ModelLimits | None]()

    async def resolve(self, model: str, override: int | None, *, argument: str = WINDOW_ARGUMENT) -> Window:
        """The window for ``model``; ``argument`` names what the caller can pass instead, for the error.

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
        raise UnknownWindow(model, argument=argument)

    async def _live_limits(self, model: str) -> ModelLimits | None:
        if self._client is None:
            return None
        if model in self._live:
            return self._live[model]
        return await self._flights.run(model, functools.partial(self._ask, self._client, model))

    async def _ask(self, client: CountingClient, model: str) -> ModelLimits | None:
        try:
            limits = await client.model_limits(model)
        except (UpstreamUnavailable, UpstreamOverloaded, RateLimited) as exc:
            # Not remembered: the provider may describe the model once it recovers.
            logger.info("Model info for %s unavailable for now (%s); using the table", model, type(exc).__name__)
            return None
        self._live[model] = limits
        return limits
