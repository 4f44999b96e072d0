"""What a running server counts, for ``GET /metrics`` (Prometheus text format, via ``prometheus-client``).

One ``Metrics`` per server, on a registry of its own rather than the client library's global one, so that
several servers in one process (the tests, the benchmarks) never mix their numbers. Labels carry only closed
sets (tool names, outcomes, status codes, cache layers, fallback reasons): never a key, a URL or a payload.

``Metrics()`` records nothing and imports nothing: a stdio server (or the CLI) has no ``/metrics`` to read, and
``prometheus-client`` belongs to the ``team`` extra. ``Metrics.recording()`` builds the real instruments for an
HTTP server, or answers None when the extra is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal, Protocol, Self

from .extras import TEAM_INSTALL

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

# Seconds: from a loopback stand-in (~1 ms) to the counting API on a slow day (the 30 s timeout).
_LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_WAIT_BUCKETS: Final = (0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)

CacheLayer = Literal["local", "shared"]
# The one-line body of GET /metrics on a server without the team extra.
NO_METRICS: Final = f"GET /metrics needs prometheus-client, which the team extra brings: {TEAM_INSTALL}\n"


class Counts(Protocol):
    """A counter, or one labelled child of it (the part of prometheus-client's ``Counter`` we use)."""

    def inc(self, amount: float = 1) -> None: ...


class LabelledCounts(Protocol):
    """A counter with labels."""

    def labels(self, **labels: str) -> Counts: ...


class Level(Protocol):
    """A gauge."""

    def inc(self, amount: float = 1) -> None: ...
    def dec(self, amount: float = 1) -> None: ...
    def set(self, value: float) -> None: ...


class Observes(Protocol):
    """A histogram."""

    def observe(self, amount: float) -> None: ...


class _Unrecorded:
    """Every instrument at once, recording nothing."""

    def labels(self, **_labels: str) -> Self:
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    def dec(self, amount: float = 1) -> None:
        pass

    def set(self, value: float) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass


_UNRECORDED: Final = _Unrecorded()


class Metrics:
    """The server's counters, gauges and histograms; ``Metrics()`` records nothing."""

    def __init__(self) -> None:
        self.registry: CollectorRegistry | None = None
        self.tool_calls: LabelledCounts = _UNRECORDED
        self.in_flight: Level = _UNRECORDED
        self.upstream_requests: LabelledCounts = _UNRECORDED
        self.upstream_latency: Observes = _UNRECORDED
        self.retries: Counts = _UNRECORDED
        self.rate_limit_wait: Observes = _UNRECORDED
        self.cache_hits: LabelledCounts = _UNRECORDED
        self.cache_misses: LabelledCounts = _UNRECORDED
        self.offline_estimates: LabelledCounts = _UNRECORDED
        self.auth_refusals: LabelledCounts = _UNRECORDED
        self.redis_up: Level = _UNRECORDED

    @classmethod
    def recording(cls) -> Metrics | None:
        """Metrics that record, for ``GET /metrics``; None without ``prometheus-client`` (the team extra)."""
        metrics = cls()
        try:
            metrics._record()
        except ImportError:
            return None
        return metrics

    def _record(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge

        self.registry = r = CollectorRegistry(auto_describe=True)
        self._record_calls(r)
        self._record_upstream(r)
        self.cache_hits = Counter("token_counter_cache_hits", "Count cache hits, by layer", ["layer"], registry=r)
        self.cache_misses = Counter("token_counter_cache_misses", "Count cache misses, by layer", ["layer"], registry=r)
        self.offline_estimates = Counter(
            "token_counter_offline_estimates", "Offline estimates, by the reason no exact count was made", ["reason"],
            registry=r,
        )  # fmt: skip
        self.redis_up = Gauge(
            "token_counter_redis_up", "1 while the shared state in Redis is in use, 0 while it is bypassed", registry=r
        )

    def _record_calls(self, r: CollectorRegistry) -> None:
        from prometheus_client import Counter, Gauge

        self.tool_calls = Counter(
            "token_counter_tool_calls", "Tool calls answered, by tool and outcome", ["tool", "outcome"], registry=r
        )
        self.in_flight = Gauge("token_counter_calls_in_flight", "Tool calls being answered now", registry=r)
        self.auth_refusals = Counter(
            "token_counter_auth_refusals",
            "Requests to the MCP endpoints refused by OAuth, by status (401, 403, 503)",
            ["status"],
            registry=r,
        )

    def _record_upstream(self, r: CollectorRegistry) -> None:
        from prometheus_client import Counter, Histogram

        self.upstream_requests = Counter(
            "token_counter_upstream_requests",
            "Requests to the counting API, by HTTP status (or timeout / connect for no answer)",
            ["status"],
            registry=r,
        )
        self.upstream_latency = Histogram(
            "token_counter_upstream_latency_seconds",
            "Time from sending a request to the counting API to its answer",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.retries = Counter("token_counter_upstream_retries", "Retries of upstream requests", registry=r)
        self.rate_limit_wait = Histogram(
            "token_counter_rate_limit_wait_seconds",
            "Time requests waited for the rate budget or a cool-down before going upstream",
            buckets=_WAIT_BUCKETS,
            registry=r,
        )

    def cache(self, layer: CacheLayer, *, hit: bool) -> None:
        """Record a cache lookup."""
        (self.cache_hits if hit else self.cache_misses).labels(layer=layer).inc()

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format; empty for metrics that record nothing."""
        if self.registry is None:
            return b""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)
