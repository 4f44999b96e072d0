"""What every count shares, made once per process: by the server's lifespan, or by the CLI."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..catalog import Catalog, builtin_catalog
from ..clock import Clock, SystemClock
from ..config import Settings
from ..errors import ConfigError
from ..extras import REDIS_MISSING
from ..metrics import Metrics
from ..redaction import display_url
from ..upstream.client import CountingClient
from ..upstream.http import HttpClient
from ..upstream.retry import RetryPolicy
from .cache import CountCache
from .counted import Counted
from .counter import RequestCounter
from .estimate import Estimator
from .windows import WindowResolver

if TYPE_CHECKING:  # redis-py comes with the team extra: imported below, only when Redis is configured
    from ..replicas.store import SharedStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AppState:
    """The counter, the window resolver, the model table and the folders count_files may read."""

    counter: RequestCounter
    windows: WindowResolver
    catalog: Catalog
    allowed_dirs: tuple[str, ...] = ()
    shared: SharedStore | None = None

    async def aclose(self) -> None:
        """Close the connections to Redis, if any."""
        if self.shared is not None:
            await self.shared.aclose()


def build_state(
    settings: Settings,
    http: HttpClient,
    *,
    config_error: ConfigError | None = None,
    clock: Clock | None = None,
    policy: RetryPolicy | None = None,
    metrics: Metrics | None = None,
) -> AppState:
    """One pressure gauge, one cache and one client for every count; ``clock`` and ``policy`` are for tests.

    With ``TOKEN_COUNTER_REDIS_URL`` the cache, the rate budget and the cool-down are also shared with every
    replica through Redis. Nothing connects here: the first count does, and a Redis that is not there is
    bypassed (``replicas.breaker``).
    """
    clock = clock or SystemClock()
    metrics = metrics if metrics is not None else Metrics()
    shared, missing = _shared_store(settings, clock, metrics)
    credential = settings.active_credential
    client = None
    if credential is not None:
        client = CountingClient.from_settings(
            settings, credential, http, clock=clock, policy=policy, shared=shared, metrics=metrics
        )
    catalog = builtin_catalog()
    cache = CountCache[Counted](max_bytes=settings.cache_bytes, ttl_s=settings.cache_ttl_s, clock=clock)
    counter = RequestCounter(
        client,
        catalog,
        fallback=settings.fallback,
        offline_reason="offline_mode" if settings.offline else "no_credentials",
        config_error=config_error,
        cache=cache if settings.cache else None,
        shared=shared,
        cache_ttl_s=settings.cache_ttl_s,
        metrics=metrics,
        notes=(missing,) if missing else (),
        estimator=Estimator(settings.deadline_s),
    )
    return AppState(counter, WindowResolver(catalog, client), catalog, settings.allowed_dirs, shared)


def _shared_store(settings: Settings, clock: Clock, metrics: Metrics) -> tuple[SharedStore | None, str | None]:
    """The store replicas share, if Redis is configured and usable; else why not, when every result must say it
    (the team extra is missing)."""
    if settings.redis is None:
        return None, None
    try:
        from ..replicas.store import SharedStore
    except ImportError:  # without the team extra; the server serves on, unshared, and says so on every count
        logger.warning(REDIS_MISSING)
        return None, REDIS_MISSING
    try:
        store = SharedStore(settings.redis, clock=clock, metrics=metrics)
    except ValueError as exc:  # a URL redis-py cannot read (a bad port, an unknown option)
        logger.warning("TOKEN_COUNTER_REDIS_URL cannot be used (%s); nothing is shared between replicas", exc)
        return None, None
    logger.info("Count cache, rate budget and cool-down shared through Redis at %s", display_url(settings.redis.url))
    return store, None
