"""The one way from async code into the offline estimator: imported on first use, run off the event loop.

The offline stack (ctok, pypdf, imagesize) is imported only when the first estimate is made: serving API counts
never needs it, and start-up time is measured (bench/). Large texts take a while to tokenise, so estimates
run in a worker thread. The estimator's own error becomes one that reaches the model.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ..catalog import ModelSpec
from ..errors import TokenCounterError

if TYPE_CHECKING:
    from ..offline import Estimate


async def estimate(body: Mapping[str, Any], spec: ModelSpec | None) -> Estimate:
    """The offline estimate of a count_tokens body for the model ``spec`` describes (None: not in the table).

    Raises:
        TokenCounterError: the body is not a request the estimator can read.
    """
    from ..offline import MalformedRequest, estimate_request

    try:
        return await anyio.to_thread.run_sync(functools.partial(estimate_request, body, spec))
    except MalformedRequest as exc:
        raise TokenCounterError(f"The request cannot be estimated: {exc}") from exc
