"""The OAuth 2.1 resource server against a real authorization server (oidc-provider on loopback).

The server is the console script serving streamable HTTP in its own process. The client side is the SDK's
own OAuth client (``mcp.client.auth``): it discovers the resource metadata from the 401, the issuer's
metadata, registers itself, sends a person through sign-in and consent with PKCE (``sign_in`` plays the
person), exchanges the code and calls a tool. Tokens no honest issuer would issue are signed by the tests
with a key the provider publishes.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Final

import anyio
import httpx2
import jwt
import pytest
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from mcp.types import CallToolResult, TextContent
from pydantic import AnyUrl

from tests.nodetools import NodeTools
from tests.oidc_provider import SCOPE, OidcProvider, SigningKey, sign_in
from tests.redis_server import free_port
from tests.served import Served, base_env, serve_cli
from tests.support import HELLO

TIMEOUT_S: Final = 60
CALLBACK: Final = "http://127.0.0.1:9/callback"
CAROLS_LINE: Final = re.compile(r'mcp_token_counter\.access: .*"subject": ?"carol"')
NOT_READY: Final = re.compile(r"OAuth is not ready, /mcp answers 503 until it is: (?P<why>.+)")


class MemoryStorage:
    """The SDK client's token storage, in memory: one client registration and its tokens."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def oauth_client(url: str, *, login: str = "alice", storage: MemoryStorage | None = None) -> OAuthClientProvider:
    """The SDK's OAuth client for ``url``; sign-in and consent happen as ``login``."""
    redirect: dict[str, str] = {}

    async def follow(authorization_url: str) -> None:
        redirect.update(await sign_in(authorization_url, login=login))

    async def callback() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=redirect["code"], state=redirect.get("state"), iss=redirect.get("iss"))

    metadata = OAuthClientMetadata(
        client_name="token-counter tests",
        redirect_uris=[AnyUrl(CALLBACK)],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    return OAuthClientProvider(url, metadata, storage or MemoryStorage(), follow, callback)


@pytest.fixture(scope="module")
def provider(node_tools: NodeTools) -> Generator[OidcProvider]:
    """One authorization server for the module; tests that stop or rotate it restore it."""
    with OidcProvider(node_tools, [SigningKey.new()]) as running:
        yield running


@contextmanager
def serving(issuer: str, **extra: str) -> Generator[Served]:
    """The server on a port chosen first, so its public URL (the token audience) is known at start."""
    port = free_port()
    env = base_env(
        TOKEN_COUNTER_OFFLINE="1",
        TOKEN_COUNTER_OAUTH_ISSUER=issuer,
        TOKEN_COUNTER_PUBLIC_URL=f"http://127.0.0.1:{port}/mcp",
        TOKEN_COUNTER_OAUTH_SCOPES=SCOPE,
        **extra,
    )
    with serve_cli("http", "--port", str(port), env=env) as served:
        yield served


@pytest.fixture(scope="module")
def served(provider: OidcProvider) -> Generator[Served]:
    with serving(provider.issuer) as running:
        yield running


@asynccontextmanager
async def connected(url: str, *, auth: httpx2.Auth | None = None, token: str | None = None,
                    mode: str = "auto") -> AsyncGenerator[Client]:  # fmt: skip
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(auth=auth, headers=headers, timeout=TIMEOUT_S) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,  # type: ignore[arg-type]
    ):
        yield client


async def counted(client: Client) -> int:
    """One count_tokens call; its total."""
    result = await client.call_tool("count_tokens", HELLO)
    assert not result.is_error, result
    assert result.structured_content is not None
    return int(result.structured_content["input_tokens"])


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_sdk_client_signs_in_through_the_issuer_and_calls_a_tool(served: Served, mode: str) -> None:
    storage = MemoryStorage()
    with anyio.fail_after(TIMEOUT_S):
        async with connected(served.url, auth=oauth_client(served.url, storage=storage), mode=mode) as client:
            assert await counted(client) > 0
    assert storage.client is not None  # it registered
    assert storage.tokens is not None
    claims = jwt.decode(storage.tokens.access_token, options={"verify_signature": False})
    assert claims["aud"] == served.url
    assert claims["sub"] == "alice"


def test_no_token_gets_a_challenge_a_client_can_act_on(served: Served) -> None:
    response = httpx2.post(served.url, json={}, timeout=TIMEOUT_S)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    metadata_url = re.search(r'resource_metadata="([^"]+)"', challenge)
    assert metadata_url is not None
    assert f'scope="{SCOPE}"' in challenge
    for url in (metadata_url[1], f"{served.base_url}/.well-known/oauth-protected-resource"):
        document = httpx2.get(url, timeout=TIMEOUT_S).json()
        assert document["resource"] == served.url
        assert document["scopes_supported"] == [SCOPE]
        assert [s.rstrip("/") for s in document["authorization_servers"]] == [_issuer(served)]


def _issuer(served: Served) -> str:
    return (
        httpx2.get(f"{served.base_url}/.well-known/oauth-protected-resource/mcp")
        .json()["authorization_servers"][0]
        .rstrip("/")
    )


def _bad_tokens(provider: OidcProvider, resource: str) -> dict[str, str]:
    now = int(time.time())
    good = provider.token(resource)
    claims = jwt.decode(good, options={"verify_signature": False})
    head, _, signature = good.split(".")
    return {
        "expired": provider.token(resource, iat=now - 7200, nbf=now - 7200, exp=now - 3600),
        "not yet valid": provider.token(resource, nbf=now + 3600, exp=now + 7200),
        "wrong audience": provider.token(resource, aud="http://127.0.0.1:1/mcp"),
        "wrong issuer": provider.token(resource, iss="http://127.0.0.1:1"),
        "no expiry": provider.token(resource, exp=None),
        "tampered": f"{head}.{_segment({**claims, 'sub': 'admin'})}.{signature}",
        "alg none": f"{_segment({'alg': 'none', 'kid': provider.keys[0].kid})}.{_segment(claims)}.",
        "unknown key": SigningKey.new().sign(claims),
        "not a jwt": "opaque-" + "x" * 40,
    }


@pytest.mark.anyio
async def test_a_token_made_by_the_tests_passes_and_bad_ones_get_401(provider: OidcProvider, served: Served) -> None:
    async with connected(served.url, token=provider.token(served.url)) as client:
        assert await counted(client) > 0  # the way tokens are made here is sound, so refusals below mean it
    before = _refusals(provider, served, "401")
    bad = _bad_tokens(provider, served.url)
    for name, token in bad.items():
        response = _initialize(served.url, token)
        assert response.status_code == 401, name
        assert 'error="invalid_token"' in response.headers["www-authenticate"], name
    assert _refusals(provider, served, "401") == before + len(bad)
    assert "eyJ" not in served.stderr.text  # no token ever logged


def _refusals(provider: OidcProvider, served: Served, status: str) -> float:
    """``token_counter_auth_refusals_total`` for ``status`` in the server's /metrics."""
    text = httpx2.get(f"{served.base_url}/metrics", headers=_bearer(provider.token(served.url)), timeout=TIMEOUT_S).text
    found = re.search(rf'token_counter_auth_refusals_total{{status="{status}"}} (\S+)', text)
    return float(found[1]) if found else 0.0


def _segment(document: dict[str, Any]) -> str:
    """One base64url JWT segment, as anyone can write without a key."""
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def _initialize(url: str, token: str) -> httpx2.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip
    headers = {"authorization": f"Bearer {token}", "accept": "application/json, text/event-stream"}
    return httpx2.post(url, json=body, headers=headers, timeout=TIMEOUT_S)


def test_clocks_may_disagree_by_the_leeway(provider: OidcProvider, served: Served) -> None:
    now = int(time.time())
    just_expired = provider.token(served.url, iat=now - 600, nbf=now - 600, exp=now - 10)
    just_valid = provider.token(served.url, iat=now + 10, nbf=now + 10, exp=now + 600)
    for token in (just_expired, just_valid):  # within the default 30 s either way
        assert _initialize(served.url, token).status_code == 200


def test_a_token_short_of_the_scope_gets_403_insufficient_scope(provider: OidcProvider, served: Served) -> None:
    response = _initialize(served.url, provider.token(served.url, scope="tokens:admin"))
    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{SCOPE}"' in challenge


@pytest.mark.anyio
async def test_rotated_keys_are_followed_while_serving(provider: OidcProvider, served: Served) -> None:
    old = provider.keys
    new_key = SigningKey.new()
    provider.stop()
    provider.start([new_key])
    try:
        async with connected(served.url, token=provider.token(served.url)) as client:
            assert await counted(client) > 0
        retired = old[0].sign(jwt.decode(provider.token(served.url), options={"verify_signature": False}))
        assert _initialize(served.url, retired).status_code == 401
    finally:
        provider.stop()
        provider.start(old)


@pytest.mark.anyio
async def test_an_issuer_down_mid_run_is_served_from_cached_keys_until_they_expire(provider: OidcProvider) -> None:
    with serving(provider.issuer, TOKEN_COUNTER_OAUTH_JWKS_TTL="10") as served:
        token = provider.token(served.url)
        assert _initialize(served.url, token).status_code == 200
        provider.stop()
        try:
            assert _initialize(served.url, token).status_code == 200  # keys fetched under 10 s ago
            rotated = SigningKey.new().sign(jwt.decode(token, options={"verify_signature": False}))
            assert _initialize(served.url, rotated).status_code == 503  # a key only the silent issuer knows
            status = await _first_status_other_than(200, served.url, token)
            assert status.status_code == 503
            assert status.headers["retry-after"]
            assert "cannot be checked" in status.text
        finally:
            provider.start()
        back = await _first_status_other_than(503, served.url, token)
        assert back.status_code == 200


async def _first_status_other_than(status: int, url: str, token: str) -> httpx2.Response:
    """Ask until the answer changes (the key TTL or the retry interval passing), bounded."""
    with anyio.fail_after(30):
        while True:
            response = await anyio.to_thread.run_sync(_initialize, url, token)
            if response.status_code != status:
                return response
            await anyio.sleep(0.25)


def test_an_unreachable_issuer_at_start_is_one_line_and_503(provider: OidcProvider) -> None:
    with serving(f"http://127.0.0.1:{free_port()}") as served:
        assert served.process.poll() is None
        assert NOT_READY.search(served.stderr.text) is not None
        response = _initialize(served.url, provider.token(served.url))
        assert response.status_code == 503
        assert httpx2.get(f"{served.base_url}/health", timeout=TIMEOUT_S).status_code == 200


def test_invalid_oauth_settings_close_the_door_with_503(provider: OidcProvider) -> None:
    port = free_port()
    env = base_env(TOKEN_COUNTER_OFFLINE="1", TOKEN_COUNTER_OAUTH_ISSUER=provider.issuer)  # no public URL
    with serve_cli("http", "--port", str(port), "--host", "0.0.0.0", env=env) as served:
        why = NOT_READY.search(served.stderr.text)
        assert why is not None
        assert "TOKEN_COUNTER_PUBLIC_URL" in why["why"]
        assert _initialize(served.url, provider.token(served.url)).status_code == 503


@pytest.mark.anyio
async def test_the_static_token_still_works_beside_oauth(provider: OidcProvider) -> None:
    static = "static-" + "s" * 32
    with serving(provider.issuer, TOKEN_COUNTER_HTTP_TOKEN=static) as served:
        async with connected(served.url, token=static) as client:
            assert await counted(client) > 0
        async with connected(served.url, token=provider.token(served.url)) as client:
            assert await counted(client) > 0
        metrics = f"{served.base_url}/metrics"
        refused = httpx2.get(metrics, headers=_bearer("wrong-" + "w" * 32), timeout=TIMEOUT_S)
        assert refused.status_code == 401
        assert "resource_metadata=" in refused.headers["www-authenticate"]
        assert httpx2.get(metrics, timeout=TIMEOUT_S).status_code == 401
        for token in (static, provider.token(served.url)):
            assert httpx2.get(metrics, headers=_bearer(token), timeout=TIMEOUT_S).status_code == 200
        assert '"subject": "static-token"' in served.stderr.text  # the static token's calls have a name too
        assert static not in served.stderr.text


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.mark.anyio
async def test_a_revoked_opaque_token_is_refused_under_introspection(provider: OidcProvider) -> None:
    from tests.oidc_provider import INTROSPECTOR

    introspection = {
        "TOKEN_COUNTER_OAUTH_INTROSPECTION_URL": f"{provider.issuer}/token/introspection",
        "TOKEN_COUNTER_OAUTH_CLIENT_ID": INTROSPECTOR["id"],
        "TOKEN_COUNTER_OAUTH_CLIENT_SECRET": INTROSPECTOR["secret"],
        "TOKEN_COUNTER_OAUTH_INTROSPECTION_TTL": "0",
    }
    with serving(provider.issuer, **introspection) as served:
        provider.issue_opaque_for(served.url)
        storage = MemoryStorage()
        async with connected(served.url, auth=oauth_client(served.url, storage=storage)) as client:
            assert await counted(client) > 0
        assert storage.tokens is not None
        assert storage.client is not None
        token = storage.tokens.access_token
        assert token.count(".") != 2  # opaque, not a JWT
        assert _initialize(served.url, token).status_code == 200
        revoked = httpx2.post(f"{provider.issuer}/token/revocation", timeout=TIMEOUT_S,
                              data={"token": token, "client_id": storage.client.client_id})  # fmt: skip
        assert revoked.status_code == 200
        assert _initialize(served.url, token).status_code == 401
        assert INTROSPECTOR["secret"] not in served.stderr.text


@contextmanager
def replicas(issuer: str, redis_url: str, **extra: str) -> Generator[tuple[str, list[Served]]]:
    """Two replicas behind one public URL (the audience), sharing ``redis_url``; the public URL and them."""
    public = f"http://127.0.0.1:{free_port()}/mcp"
    env = base_env(TOKEN_COUNTER_OFFLINE="1", TOKEN_COUNTER_OAUTH_ISSUER=issuer, TOKEN_COUNTER_PUBLIC_URL=public,
                   TOKEN_COUNTER_OAUTH_SCOPES=SCOPE, TOKEN_COUNTER_REDIS_URL=redis_url,
                   TOKEN_COUNTER_REDIS_TIMEOUT="5", **extra)  # fmt: skip
    # The 5 s: a busy machine must not pass for a slow Redis (a replica would then keep its own quota).
    with serve_cli("http", "--stateless", env=env) as first, serve_cli("http", "--stateless", env=env) as second:
        yield public, [first, second]


async def _call(url: str, token: str) -> CallToolResult:
    async with connected(url, token=token) as client:
        return await client.call_tool("count_tokens", HELLO)


@pytest.mark.anyio
async def test_two_users_have_separate_quotas_across_two_replicas(provider: OidcProvider, redis_url: str) -> None:
    with replicas(provider.issuer, redis_url, TOKEN_COUNTER_USER_RPM="3") as (public, (one, two)):
        alice, bob = provider.token(public, sub="alice"), provider.token(public, sub="bob")
        for url in (one.url, two.url, one.url):
            assert not (await _call(url, alice)).is_error
        refused = await _call(two.url, alice)  # her fourth call this minute, on the other replica
        assert refused.is_error
        assert isinstance(refused.content[0], TextContent)
        assert "TOKEN_COUNTER_USER_RPM" in refused.content[0].text
        assert not (await _call(two.url, bob)).is_error
        metrics = httpx2.get(f"{two.base_url}/metrics", headers=_bearer(bob), timeout=TIMEOUT_S).text
        assert 'token_counter_tool_calls_total{outcome="rate_limited",tool="count_tokens"} 1.0' in metrics
        assert "alice" not in metrics
        assert "token_counter_auth_refusals_total" in metrics


@pytest.mark.anyio
async def test_each_call_leaves_one_access_log_line_without_content_or_token(
    provider: OidcProvider, served: Served
) -> None:
    token = provider.token(served.url, sub="carol")
    assert not (await _call(served.url, token)).is_error
    # The server may write the line just after the answer has left: wait for it (bounded), then read them all.
    assert served.stderr.search(CAROLS_LINE, TIMEOUT_S) is not None, served.stderr.text
    lines = [json.loads(line.split(": ", 1)[1]) for line in served.stderr.text.splitlines()
             if "mcp_token_counter.access" in line]  # fmt: skip
    carol = [line for line in lines if line["subject"] == "carol"]
    assert len(carol) == 1
    assert carol[0]["tool"] == "count_tokens"
    assert carol[0]["outcome"] == "ok"
    assert carol[0]["tokens"] > 0
    assert token not in served.stderr.text
    assert HELLO["messages"][0]["content"] not in served.stderr.text


@pytest.mark.anyio
async def test_the_sse_transport_takes_the_same_tokens(provider: OidcProvider) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}/sse"
    env = base_env(TOKEN_COUNTER_OFFLINE="1", TOKEN_COUNTER_OAUTH_ISSUER=provider.issuer,
                   TOKEN_COUNTER_PUBLIC_URL=public, TOKEN_COUNTER_OAUTH_SCOPES=SCOPE)  # fmt: skip
    with serve_cli("sse", "--port", str(port), env=env) as served:
        refused = httpx2.get(served.url, timeout=TIMEOUT_S)
        assert refused.status_code == 401
        assert "/.well-known/oauth-protected-resource/sse" in refused.headers["www-authenticate"]
        posted = httpx2.post(f"{served.base_url}/messages/?session_id=0", json={}, timeout=TIMEOUT_S)
        assert posted.status_code == 401
        headers = {"authorization": f"Bearer {provider.token(public)}"}
        async with Client(sse_client(served.url, headers=headers)) as client:
            assert await counted(client) > 0
