"""Construction-time settings of the stand-in and its default model catalogue."""

from dataclasses import dataclass, field
from typing import Final, Literal

Flavour = Literal["anthropic", "acedata"]
AuthStyle = Literal["x-api-key", "bearer"]

COUNT_PATH: Final = "/v1/messages/count_tokens"
MODELS_PATH: Final = "/v1/models"
DEFAULT_KEY: Final = "sk-standin-test-key"
ANTHROPIC_VERSION: Final = "2023-06-01"
# The docs say "32 MB"; the decimal reading is the stricter of the two.
MAX_BODY_BYTES: Final = 32_000_000

_MAX_TOKENS_128K: Final = 128_000
_MAX_TOKENS_64K: Final = 64_000
_WINDOW_1M: Final = 1_000_000
_WINDOW_200K: Final = 200_000


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """One model the stand-in knows.

    `listed=False` makes the model countable while `GET /v1/models/{id}` answers 404, which is how a
    gateway without the models endpoint behaves; tests use it to exercise the static-table fallback.
    """

    id: str
    display_name: str
    max_input_tokens: int = _WINDOW_1M
    max_tokens: int = _MAX_TOKENS_128K
    created_at: str = "2026-01-01T00:00:00Z"
    listed: bool = True


def _model(id: str, name: str, *, window: int = _WINDOW_1M, out: int = _MAX_TOKENS_128K) -> ModelSpec:
    return ModelSpec(id=id, display_name=name, max_input_tokens=window, max_tokens=out)


# Windows and output limits follow counting-api.md §13/§14; unconfirmed ids (fable-5-2, mythos-5-2) and
# retired ids are left out so requests for them get the 404 the real API gives.
DEFAULT_MODELS: Final[tuple[ModelSpec, ...]] = (
    _model("claude-fable-5-1", "Claude Fable 5.1"),
    _model("claude-mythos-5-1", "Claude Mythos 5.1"),
    _model("claude-fable-5", "Claude Fable 5"),
    _model("claude-mythos-5", "Claude Mythos 5"),
    _model("claude-mythos-preview", "Claude Mythos Preview"),
    _model("claude-opus-5-5", "Claude Opus 5.5"),
    _model("claude-opus-5", "Claude Opus 5"),
    _model("claude-opus-4-8", "Claude Opus 4.8"),
    _model("claude-opus-4-7", "Claude Opus 4.7"),
    _model("claude-opus-4-6", "Claude Opus 4.6"),
    _model("claude-opus-4-5", "Claude Opus 4.5", window=_WINDOW_200K, out=_MAX_TOKENS_64K),
    _model("claude-opus-4-5-20251101", "Claude Opus 4.5", window=_WINDOW_200K, out=_MAX_TOKENS_64K),
    _model("claude-sonnet-5-5", "Claude Sonnet 5.5"),
    _model("claude-sonnet-5", "Claude Sonnet 5"),
    _model("claude-sonnet-4-6", "Claude Sonnet 4.6", out=_MAX_TOKENS_64K),
    _model("claude-sonnet-4-5", "Claude Sonnet 4.5", window=_WINDOW_200K, out=_MAX_TOKENS_64K),
    _model("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", window=_WINDOW_200K, out=_MAX_TOKENS_64K),
    _model("claude-haiku-5-5", "Claude Haiku 5.5"),
    _model("claude-haiku-4-5", "Claude Haiku 4.5", window=_WINDOW_200K, out=_MAX_TOKENS_64K),
    _model("claude-haiku-4-5-20251001", "Claude Haiku 4.5", window=_WINDOW_200K, out=_MAX_TOKENS_64K),
)

_DEFAULT_STYLES: Final[dict[Flavour, frozenset[AuthStyle]]] = {
    "anthropic": frozenset({"x-api-key", "bearer"}),
    "acedata": frozenset({"bearer"}),
}


@dataclass(frozen=True, kw_only=True)
class StandinConfig:
    """What a stand-in accepts and how it answers.

    Attributes:
        flavour: error-body shape and header rules: `"anthropic"` (requires `anthropic-version`, sends a
            `request-id` header) or `"acedata"` (`{"error": {"code", "message"}, "trace_id"}` bodies).
        keys: credentials that pass authentication.
        auth_styles: where credentials are read from; `None` means the flavour's default (anthropic: both
            `x-api-key` and `Authorization: Bearer`; acedata: Bearer only).
        models: the known models; anything else is a 404 `model: <id>`.
        max_body_bytes: larger bodies get 413 `request_too_large`.
        latency: seconds added before every reply (benchmarks); changeable later through the fault plan.
    """

    flavour: Flavour = "anthropic"
    keys: frozenset[str] = frozenset({DEFAULT_KEY})
    auth_styles: frozenset[AuthStyle] | None = None
    models: tuple[ModelSpec, ...] = DEFAULT_MODELS
    max_body_bytes: int = MAX_BODY_BYTES
    latency: float = 0.0
    _by_id: dict[str, ModelSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {m.id: m for m in self.models})

    @property
    def styles(self) -> frozenset[AuthStyle]:
        """The auth styles in force, with the flavour default applied."""
        return self.auth_styles if self.auth_styles is not None else _DEFAULT_STYLES[self.flavour]

    def model(self, model_id: str) -> ModelSpec | None:
        """The spec of a known model, or None."""
        return self._by_id.get(model_id)
