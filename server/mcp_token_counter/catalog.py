"""The built-in model table (``data/models.json``) and model-id normalisation.

The table is data, not code: windows, output caps, prices, tokenizer families and the rules the offline
estimator needs all live in the JSON file, with the date the prices were taken.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any, Final, Literal, cast

ImageTier = Literal["standard", "high-res"]
ThinkingRule = Literal["kept", "stripped"]
# "always": adaptive thinking that cannot be disabled; "default": adaptive unless disabled; "optional": off
# unless asked for. The first two refuse thinking "enabled" with a budget.
ThinkingMode = Literal["always", "default", "optional"]

_DEFAULT_GROUP: Final = "claude-4"
_DATE_SUFFIX: Final = re.compile(r"-\d{8}$")
_ONE_M_SUFFIX: Final = re.compile(r"\[1m\]$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ImageCaps:
    """One image tier's limits: the image is downscaled until both hold."""

    max_long_edge: int
    max_tokens: int


@dataclass(frozen=True, slots=True)
class Rates:
    """List prices in USD per million tokens for one prompt-size tier."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float


@dataclass(frozen=True, slots=True)
class PriceTier:
    """Rates that replace the base ones for every token of a request whose prompt is above a size."""

    above_prompt_tokens: int
    rates: Rates


@dataclass(frozen=True, slots=True)
class Prices:
    """A model's prices: base rates, prompt-size tiers (ascending), and the fast-mode multiplier if any."""

    base: Rates
    tiers: tuple[PriceTier, ...] = ()
    fast: float | None = None
    us_inference: bool = False

    def rates_for(self, prompt_tokens: int) -> tuple[Rates, int | None]:
        """The rates a prompt of this size pays, and the threshold of the tier it fell in (None: base)."""
        chosen, threshold = self.base, None
        for tier in self.tiers:
            if prompt_tokens > tier.above_prompt_tokens:
                chosen, threshold = tier.rates, tier.above_prompt_tokens
        return chosen, threshold


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One row of the model table."""

    id: str
    aliases: tuple[str, ...]
    context_window: int
    max_output_tokens: int
    prices: Prices
    status: str
    ctok_version: str
    ctok_confirmed: bool
    image_tier: ImageTier
    prior_turn_thinking: ThinkingRule
    tool_use_system_prompt: dict[str, int]
    image_caps: ImageCaps
    anthropic_tool_tokens: dict[str, int]
    thinking_overhead: dict[str, int]
    thinking: ThinkingMode = "optional"
    note: str | None = None
    # The prompt-caching page's minimum cacheable prompt length; ``inferred`` when the page lacks the model.
    min_cacheable_tokens: int | None = None
    min_cacheable_inferred: bool = False

    @property
    def input_usd_per_mtok(self) -> float:
        """The base input price (the smallest prompt tier)."""
        return self.prices.base.input

    @property
    def output_usd_per_mtok(self) -> float:
        """The base output price (the smallest prompt tier)."""
        return self.prices.base.output


@dataclass(frozen=True, slots=True)
class CachingRules:
    """The prompt-caching page's request-wide rules, with where and when they were read."""

    source: str
    checked: str
    max_breakpoints: int
    lookback_blocks: int


@dataclass(frozen=True, slots=True)
class Catalog:
    """The whole table plus the lookup index."""

    models: tuple[ModelSpec, ...]
    prices_as_of: str
    price_multipliers: dict[str, float]
    price_note: str
    retired: dict[str, str]
    _index: dict[str, ModelSpec]
    caching: CachingRules = CachingRules(source="", checked="", max_breakpoints=4, lookback_blocks=20)

    def lookup(self, model: str) -> ModelSpec | None:
        """The row for ``model`` (an id, an alias or a dated id), or None when the table lacks it."""
        key = normalize_model_id(model).lower()
        return self._index.get(key) or self._index.get(_DATE_SUFFIX.sub("", key))

    def retired_on(self, model: str) -> str | None:
        """The retirement date of a retired model id, or None."""
        return self.retired.get(normalize_model_id(model))


def normalize_model_id(model: str) -> str:
    """The API id for what a user typed: trims, drops Claude Code's ``[1m]`` suffix, dots become dashes.

    ``claude-opus-4.6[1m]`` becomes ``claude-opus-4-6``; ids that are already API ids are unchanged.
    """
    stripped = _ONE_M_SUFFIX.sub("", model.strip())
    return re.sub(r"(?<=\d)\.(?=\d)", "-", stripped)


def _groups(doc: dict[str, Any], section: str) -> dict[str, dict[str, int]]:
    """A section of named groups of integers; its string-valued ``note`` is skipped."""
    table = cast(dict[str, Any], doc[section])
    return {k: cast(dict[str, int], v) for k, v in table.items() if isinstance(v, dict)}


def _image_tiers(doc: dict[str, Any]) -> dict[str, ImageCaps]:
    return {name: ImageCaps(**caps) for name, caps in _groups(doc, "image_tiers").items()}


def _rates(block: dict[str, Any]) -> Rates:
    return Rates(**{name: float(block[name]) for name in Rates.__dataclass_fields__})


def _prices(row: dict[str, Any]) -> Prices:
    block = cast(dict[str, Any], row["prices"])
    tiers = tuple(
        PriceTier(above_prompt_tokens=int(tier["above_prompt_tokens"]), rates=_rates(tier))
        for tier in sorted(block.get("tiers", []), key=lambda tier: int(tier["above_prompt_tokens"]))
    )
    fast = block.get("fast")
    return Prices(
        base=_rates(block),
        tiers=tiers,
        fast=None if fast is None else float(fast),
        us_inference=bool(row.get("us_inference", False)),
    )


def _spec(row: dict[str, Any], doc: dict[str, Any]) -> ModelSpec:
    return ModelSpec(
        id=row["id"],
        aliases=tuple(row["aliases"]),
        context_window=row["context_window"],
        max_output_tokens=row["max_output_tokens"],
        prices=_prices(row),
        status=row["status"],
        ctok_version=row["ctok_version"],
        ctok_confirmed=row["ctok_confirmed"],
        image_tier=row["image_tier"],
        prior_turn_thinking=row["prior_turn_thinking"],
        tool_use_system_prompt=_groups(doc, "tool_use_system_prompt")[
            row.get("tool_use_system_prompt", _DEFAULT_GROUP)
        ],
        image_caps=_image_tiers(doc)[row["image_tier"]],
        anthropic_tool_tokens=_groups(doc, "anthropic_tool_tokens")[row.get("anthropic_tools", _DEFAULT_GROUP)],
        thinking_overhead=_groups(doc, "thinking_overhead")[row.get("thinking_overhead", _DEFAULT_GROUP)],
        thinking=row.get("thinking", "optional"),
        note=row.get("note"),
        min_cacheable_tokens=row.get("min_cacheable_tokens"),
        min_cacheable_inferred=bool(row.get("min_cacheable_inferred", False)),
    )


def _caching(doc: dict[str, Any]) -> CachingRules:
    rules = cast(dict[str, Any], doc["prompt_caching"])
    return CachingRules(
        source=rules["source"],
        checked=rules["checked"],
        max_breakpoints=int(rules["max_breakpoints"]),
        lookback_blocks=int(rules["lookback_blocks"]),
    )


def parse_catalog(doc: dict[str, Any]) -> Catalog:
    """Build a catalog from the JSON document's structure."""
    models = tuple(_spec(row, doc) for row in doc["models"])
    index = {name.lower(): spec for spec in models for name in (spec.id, *spec.aliases)}
    return Catalog(
        models=models,
        prices_as_of=doc["prices_as_of"],
        price_multipliers=doc["price_multipliers"],
        price_note=doc["price_note"],
        retired=doc["retired"],
        _index=index,
        caching=_caching(doc),
    )


@cache
def builtin_catalog() -> Catalog:
    """The table shipped inside the package, parsed once."""
    text = resources.files("mcp_token_counter").joinpath("data/models.json").read_text(encoding="utf-8")
    return parse_catalog(json.loads(text))


CATALOG_URI: Final = "models://catalog"


def model_row(spec: ModelSpec) -> dict[str, Any]:
    """What a client needs to plan a request for one model."""
    return {
        "id": spec.id,
        "aliases": list(spec.aliases),
        "context_window": spec.context_window,
        "max_output_tokens": spec.max_output_tokens,
        "input_usd_per_mtok": spec.input_usd_per_mtok,
        "output_usd_per_mtok": spec.output_usd_per_mtok,
        "prices": _price_row(spec.prices),
        "tokenizer": spec.ctok_version,
        "thinking": spec.thinking,
        "status": spec.status,
        "min_cacheable_tokens": spec.min_cacheable_tokens,
        **({"min_cacheable_inferred": True} if spec.min_cacheable_inferred else {}),
    }


def _price_row(prices: Prices) -> dict[str, Any]:
    row: dict[str, Any] = asdict(prices.base)
    if prices.tiers:
        row["tiers"] = [{"above_prompt_tokens": t.above_prompt_tokens, **asdict(t.rates)} for t in prices.tiers]
    if prices.fast is not None:
        row["fast"] = prices.fast
    if prices.us_inference:
        row["inference_geo_us"] = True
    return row


def catalog_document(catalog: Catalog) -> dict[str, Any]:
    """The whole table, with the date its prices were taken and the billing multipliers."""
    return {
        "prices_as_of": catalog.prices_as_of,
        "price_multipliers": catalog.price_multipliers,
        "price_note": catalog.price_note,
        "prompt_caching": {"source": catalog.caching.source, "checked": catalog.caching.checked},
        "models": [model_row(spec) for spec in catalog.models],
    }
