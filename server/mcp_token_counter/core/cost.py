"""Input cost from the model table's list prices (``prices_as_of`` in ``data/models.json``).

Only the base input price is applied. Batch, prompt-cache and regional multipliers change what a request is
billed; they are listed in the models resource rather than guessed here.
"""

from __future__ import annotations

from ..catalog import ModelSpec


def input_cost_usd(spec: ModelSpec | None, input_tokens: int) -> float | None:
    """List-price cost of ``input_tokens`` in US dollars, or None when the table has no price."""
    if spec is None or spec.input_usd_per_mtok is None:
        return None
    return round(input_tokens * spec.input_usd_per_mtok / 1_000_000, 6)
