"""What every count shares, made once per process: by the server's lifespan, or by the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog import Catalog, builtin_catalog
from ..clock import Clock, SystemClock
from ..config import Settings
from ..errors import ConfigError
from ..upstream.client import CountingClient
from ..upstream.http import HttpClient
from ..upstream.retry import RetryPolicy
from .cache import CountCache
from .counter import Counted, RequestCounter
from .windows import WindowResolver


@dataclass(frozen=True, slots=True)
class AppState:
    """The counter, the window resolver, the model table and the folders count_files may read."""

    counter: RequestCounter
    windows: WindowResolver
    catalog: Catalog
    allowed_dirs: tuple[str, ...] = ()


def build_state(
    settings: Settings,
    http: HttpClient,
    *,
    config_error: ConfigError | None = None,
    clock: Clock | None = None,
    policy: RetryPolicy | None = None,
) -> AppState:
    """One pressure gauge, one cache and one client for every count; ``clock`` and ``policy`` are for tests."""
    clock = clock or SystemClock()
    credential = settings.active_credential
    client = None
    if credential is not None:
        client = CountingClient.from_settings(settings, credential, http, clock=clock, policy=policy)
    catalog = builtin_catalog()
    cache = CountCache[Counted](max_bytes=settings.cache_bytes, ttl_s=settings.cache_ttl_s, clock=clock)
    counter = RequestCounter(
        client,
        catalog,
        fallback=settings.fallback,
        offline_reason="offline_mode" if settings.offline else "no_credentials",
        config_error=config_error,
        cache=cache if settings.cache else None,
    )
    return AppState(counter, WindowResolver(catalog, client), catalog, settings.allowed_dirs)
