"""The shared HTTP client: its timeouts and limits, made when the first request needs it rather than at start.

Making an ``httpx2.AsyncClient`` builds its TLS context and loads the CA bundle: about 60 ms, a fifth of what
this server adds to a bare MCPServer's cold start (bench/). Clients such as Claude Desktop start every
configured server at launch and list their tools; a server that is never asked to count never pays it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol

import httpx2

from ..config import CONNECT_TIMEOUT_S, Settings


class HttpClient(Protocol):
    """What the counting client uses of ``httpx2.AsyncClient``; the client itself, or one made on demand."""

    @property
    def base_url(self) -> httpx2.URL:
        """Where requests go, ending in ``/``."""
        ...

    async def request(
        self,
        method: str,
        url: httpx2.URL,
        *,
        content: bytes | AsyncIterator[bytes] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx2.Response:
        """Send one request."""
        ...


class OnDemandClient:
    """An ``httpx2.AsyncClient`` made by ``make`` on the first request; ``base_url`` must be the one it gets."""

    def __init__(self, make: Callable[[], httpx2.AsyncClient], base_url: httpx2.URL) -> None:
        self._make = make
        self._base_url = base_url
        self._client: httpx2.AsyncClient | None = None

    @property
    def base_url(self) -> httpx2.URL:
        """Known before the client exists, so nothing at start-up has to make it."""
        return self._base_url

    @property
    def made(self) -> bool:
        """Whether a request has needed the client yet."""
        return self._client is not None

    def client(self) -> httpx2.AsyncClient:
        """The client, made now if this is the first use (synchronous, so concurrent first calls make one)."""
        if self._client is None:
            self._client = self._make()
        return self._client

    async def request(
        self,
        method: str,
        url: httpx2.URL,
        *,
        content: bytes | AsyncIterator[bytes] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx2.Response:
        """``httpx2.AsyncClient.request`` on the client."""
        return await self.client().request(method, url, content=content, params=params, headers=headers)

    async def aclose(self) -> None:
        """Close the client if it was ever made."""
        if self._client is not None:
            await self._client.aclose()


def make_http_client(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> httpx2.AsyncClient:
    """The shared client, with the configured timeouts (``transport`` lets tests pass a MockTransport).

    User info in the base URL becomes Basic auth, as httpx2 would make it, but off the URL: httpx2 logs
    every request's URL, and the password must not reach a log.
    """
    url = httpx2.URL(settings.base_url)
    auth = httpx2.BasicAuth(url.username, url.password) if url.userinfo else None
    return httpx2.AsyncClient(
        base_url=api_base_url(settings),
        auth=auth,
        timeout=httpx2.Timeout(settings.timeout_s, connect=min(CONNECT_TIMEOUT_S, settings.timeout_s)),
        limits=httpx2.Limits(max_connections=100, max_keepalive_connections=20),
        transport=transport,
        follow_redirects=False,
    )


def api_base_url(settings: Settings) -> httpx2.URL:
    """The base URL requests go to: without user info, and ending in ``/`` as httpx2 makes a base URL."""
    url = httpx2.URL(settings.base_url)
    if url.userinfo:
        url = url.copy_with(userinfo=b"")
    return url if url.raw_path.endswith(b"/") else url.copy_with(raw_path=url.raw_path + b"/")


def make_on_demand_client(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> OnDemandClient:
    """``make_http_client``'s client, made on the first request (the server's; see the module docstring)."""
    return OnDemandClient(lambda: make_http_client(settings, transport), api_base_url(settings))
