"""The counting core's operations over the app state: count a request, and check it fits the window.

Every door (the MCP tools, the CLI) comes here, so model normalisation, argument bounds, the window lookup,
the cache-aware tally of extra calls and the offline fallback each happen in one place. ``count_files``
lives in ``files.count`` and takes the same route.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .breakdown import biggest, breakdown_for
from .cost import billing_of, input_cost
from .fit import ModelThinking, check_tokens, compute_fit, output_warnings, reserve_output, thinking_warnings
from .request import CountRequest
from .results import ContextFit, TokenCount
from .state import AppState


async def count(state: AppState, request: CountRequest, *, breakdown: bool = False) -> TokenCount:
    """The count of ``request``, with its parts when ``breakdown`` is asked for.

    Raises:
        TokenCounterError: the count failed in a way an estimate should not hide (see ``RequestCounter``).
    """
    counted = await state.counter.measure(request)
    spec = state.catalog.lookup(request.model)
    parts, how = await breakdown_for(state.counter, spec, request, counted) if breakdown else (None, None)
    cost = input_cost(spec, counted.input_tokens, billing_of(request.body, request.inference_geo))
    return TokenCount(
        input_tokens=counted.input_tokens,
        model=request.model,
        source=counted.source,
        provider=counted.provider,
        ignored_fields=list(request.ignored_fields),
        request_id=counted.request_id,
        uncertainty_tokens=counted.uncertainty_tokens,
        estimate_method=counted.estimate_method,
        fallback_reason=counted.fallback_reason,
        cached=counted.cached,
        original_input_tokens=counted.original_input_tokens,
        notes=[*counted.notes, *retirement_notes(state, request.model), *([how] if how else []), *cost.notes],
        estimated_input_cost_usd=cost.usd,
        breakdown=parts,
    )


async def fit(
    state: AppState,
    request: CountRequest,
    *,
    max_tokens: int | None = None,
    context_window: int | None = None,
    breakdown: bool = False,
) -> ContextFit:
    """Whether ``request`` plus the reserved output fits the window, with the count itself.

    Raises:
        TokenCounterError: a bound is broken, the window is unknown, or the count failed.
    """
    check_tokens("max_tokens", max_tokens, when_absent="to let the server reserve what thinking would use")
    check_tokens("context_window", context_window, when_absent="to use the model's own window")
    window = await state.windows.resolve(request.model, context_window)
    counted = await count(state, request, breakdown=breakdown)
    thinking = _thinking(request.body)
    spec = state.catalog.lookup(request.model)
    model = ModelThinking(request.model, spec.thinking if spec else "optional", window.max_output_tokens)
    reserve = reserve_output(max_tokens, thinking, model)
    result = compute_fit(counted.input_tokens, reserve.tokens, window.context_window, margin=counted.uncertainty_tokens)
    warnings = [
        *([reserve.note] if reserve.note else []),
        *thinking_warnings(thinking, model),
        *output_warnings(max_tokens, thinking, window.max_output_tokens, request.betas),
    ]
    consumers = [] if result.fits or not counted.breakdown else [f"Biggest parts: {biggest(counted.breakdown)}."]
    return ContextFit(
        **counted.model_dump(exclude={"notes"}),
        notes=[*counted.notes, *warnings, *consumers],
        fits=result.fits,
        context_window=window.context_window,
        window_source=window.source,
        reserved_output_tokens=result.reserved_output_tokens,
        remaining_tokens=result.remaining_tokens,
        utilization=result.utilization,
        max_output_tokens=window.max_output_tokens,
    )


def retirement_notes(state: AppState, model: str) -> list[str]:
    """A note when ``model`` is a retired id, which the Messages API no longer serves."""
    retired_on = state.catalog.retired_on(model)
    if retired_on is None:
        return []
    return [f"{model} was retired on {retired_on}: the Messages API no longer serves it; pick a current model."]


def _thinking(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    thinking = body.get("thinking")
    return thinking if isinstance(thinking, Mapping) else None  # pyright: ignore[reportUnknownVariableType]
