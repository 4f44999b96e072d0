"""Counting a request: through the provider when one is configured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .config import CREDENTIAL_VARIABLES
from .errors import ConfigError
from .request import CountRequest
from .results import Source
from .upstream import CountingClient

ACEDATA_NOTE: Final = (
    "Ace Data Cloud's count endpoint is its own estimate, not Anthropic's tokenizer; do not use it for billing."
)


@dataclass(frozen=True, slots=True)
class Counted:
    """A count and how it was produced."""

    input_tokens: int
    source: Source
    provider: str
    request_id: str | None = None
    notes: tuple[str, ...] = ()


class Counter:
    """Counts requests; holds the configuration problem, if any, to report it on each call."""

    def __init__(self, client: CountingClient | None, config_error: ConfigError | None = None) -> None:
        self._client = client
        self._config_error = config_error

    async def count(self, request: CountRequest) -> Counted:
        """Count ``request``.

        Raises:
            ConfigError: no usable configuration.
            TokenCounterError: any failure of the counting API, already worded for the model.
        """
        if self._config_error is not None:
            raise self._config_error
        if self._client is None:
            raise ConfigError(
                "No credentials are configured, so tokens cannot be counted. Set ANTHROPIC_API_KEY "
                f"(or one of {', '.join(CREDENTIAL_VARIABLES[1:])}) in the server's environment.",
                variable="ANTHROPIC_API_KEY",
            )
        counted = await self._client.count(request)
        notes = (ACEDATA_NOTE,) if self._client.provider == "acedatacloud" else ()
        return Counted(counted.input_tokens, "api", self._client.provider, counted.request_id, notes)
