"""Settings, read once from an injectable mapping (``os.environ`` by default).

Which credential wins, highest first:

1. ``TOKEN_COUNTER_PROVIDER`` (``anthropic`` or ``acedatacloud``) picks the provider explicitly;
2. ``ANTHROPIC_API_KEY`` (sent as ``x-api-key``);
3. ``ANTHROPIC_AUTH_TOKEN`` (sent as ``Authorization: Bearer``);
4. ``ACEDATACLOUD_API_TOKEN`` (sent as ``Authorization: Bearer`` to Ace Data Cloud).

With none of them the server still starts and answers with offline estimates. Empty values count as unset,
because bundle hosts substitute empty strings for optional fields the user left blank.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, TypedDict

from pydantic import SecretStr

from .errors import ConfigError
from .redaction import display_url, secrets_in

logger = logging.getLogger(__name__)

Provider = Literal["anthropic", "acedatacloud"]
AuthStyle = Literal["x-api-key", "bearer"]
Fallback = Literal["estimate", "error"]

ANTHROPIC_BASE_URL: Final = "https://api.anthropic.com"
ACEDATACLOUD_BASE_URL: Final = "https://api.acedata.cloud"
DEFAULT_TIMEOUT_S: Final = 30.0
CONNECT_TIMEOUT_S: Final = 5.0
DEFAULT_MAX_RETRIES: Final = 2
DEFAULT_DEADLINE_S: Final = 60.0
DEFAULT_MAX_CONCURRENCY: Final = 16
DEFAULT_CACHE_BYTES: Final = 8_000_000
DEFAULT_CACHE_TTL_S: Final = 3600.0
# A streamable-HTTP session holds ~37 KB (6,000 took 222 MB); idle ones expire, in-use ones are never evicted.
DEFAULT_MAX_SESSIONS: Final = 1000
DEFAULT_SESSION_IDLE_S: Final = 900.0
# At SIGTERM (and stdin EOF on stdio), the calls in flight get this long to be answered before the exit.
DEFAULT_SHUTDOWN_GRACE_S: Final = 5.0
# A shared-state operation slower than this counts as Redis being down: a loopback or same-zone Redis answers
# in well under a millisecond, and every call waits at most this long before the circuit opens.
DEFAULT_REDIS_TIMEOUT_S: Final = 0.2
# OAuth: signing keys are used this long after a successful fetch; past half of it a refresh is tried (and
# a failed one keeps the keys until the end). A key id the set lacks triggers a refresh at once.
DEFAULT_JWKS_TTL_S: Final = 3600.0
# Introspection answers are reused this long: a revoked token stops passing within it.
DEFAULT_INTROSPECTION_TTL_S: Final = 30.0
# Clock skew allowed on exp / nbf / iat, between this server and the issuer.
DEFAULT_CLOCK_LEEWAY_S: Final = 30.0
# The SDK's AES-256-GCM ring refuses shorter keys (mcp.server.request_state).
MIN_STATE_KEY_BYTES: Final = 32
MAX_BODY_BYTES: Final = 32_000_000
# The counting API takes bodies up to 32 MB (MAX_BODY_BYTES); the JSON-RPC envelope around the same
# payload, and clients that escape non-ASCII text as \uXXXX, need room on top. The SDK's 4 MiB default would
# refuse ordinary base64 images and PDFs.
MAX_REQUEST_BODY_BYTES: Final = 40 * 1024 * 1024
CREDENTIAL_VARIABLES: Final = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ACEDATACLOUD_API_TOKEN")
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})
# ASCII digits only: str.isdigit() also accepts "²" and other digits that int() refuses.
_WHOLE_NUMBER: Final = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class Credential:
    """A secret plus where it came from; ``variable`` is safe to show, ``secret`` never is."""

    provider: Provider
    secret: SecretStr
    auth_style: AuthStyle
    variable: str


@dataclass(frozen=True, slots=True)
class RedisSettings:
    """Where the shared state lives; the URL may hold a password, so neither field is ever shown."""

    url: str = field(repr=False)
    password: SecretStr | None = None
    timeout_s: float = DEFAULT_REDIS_TIMEOUT_S


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthSettings:
    """The OAuth 2.1 resource server (HTTP only): whose tokens to accept and for what; ``secret`` is never shown.

    ``resource`` is this server's public MCP URL, the RFC 8707 resource indicator clients ask tokens for;
    ``audience`` is what a JWT's ``aud`` must hold (the resource unless the IdP names APIs otherwise, as
    Entra ID's ``api://`` identifiers and Auth0's API identifiers do).
    """

    issuer: str
    resource: str
    audience: str
    scopes: tuple[str, ...] = ()
    introspection_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = field(default=None, repr=False)
    jwks_ttl_s: float = DEFAULT_JWKS_TTL_S
    introspection_ttl_s: float = DEFAULT_INTROSPECTION_TTL_S
    leeway_s: float = DEFAULT_CLOCK_LEEWAY_S

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> OAuthSettings | None:
        """The resource server's settings, or None when ``TOKEN_COUNTER_OAUTH_ISSUER`` is unset.

        Raises:
            ConfigError: a value is missing or malformed; the message names the variable.
        """
        env = {k: v.strip() for k, v in environ.items() if v.strip()}
        if "TOKEN_COUNTER_OAUTH_ISSUER" not in env:
            stray = sorted(name for name in env if name.startswith("TOKEN_COUNTER_OAUTH_"))
            if stray:  # half an OAuth set-up must not serve as if none were meant
                raise ConfigError(f"{stray[0]} is set but TOKEN_COUNTER_OAUTH_ISSUER is not.", variable=stray[0])
            return None
        issuer = _url(env, "TOKEN_COUNTER_OAUTH_ISSUER")
        if "TOKEN_COUNTER_PUBLIC_URL" not in env:
            raise ConfigError(
                "TOKEN_COUNTER_PUBLIC_URL is required with TOKEN_COUNTER_OAUTH_ISSUER: set it to the URL clients "
                "reach /mcp at, e.g. https://tokens.example.com/mcp (tokens must be issued for it).",
                variable="TOKEN_COUNTER_PUBLIC_URL",
            )
        resource = _url(env, "TOKEN_COUNTER_PUBLIC_URL")
        return cls(
            issuer=issuer,
            resource=resource,
            audience=env.get("TOKEN_COUNTER_OAUTH_AUDIENCE", resource),
            scopes=tuple(env.get("TOKEN_COUNTER_OAUTH_SCOPES", "").replace(",", " ").split()),
            **_introspection(env),
            jwks_ttl_s=_positive_float(env, "TOKEN_COUNTER_OAUTH_JWKS_TTL", DEFAULT_JWKS_TTL_S),
            introspection_ttl_s=_non_negative_float(
                env, "TOKEN_COUNTER_OAUTH_INTROSPECTION_TTL", DEFAULT_INTROSPECTION_TTL_S
            ),
            leeway_s=_non_negative_float(env, "TOKEN_COUNTER_OAUTH_LEEWAY", DEFAULT_CLOCK_LEEWAY_S),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server reads from its environment."""

    credential: Credential | None = None
    base_url: str = ANTHROPIC_BASE_URL
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    offline: bool = False
    fallback: Fallback = "estimate"
    # count_files reads only under these when the client lists no roots (os.pathsep-separated).
    allowed_dirs: tuple[str, ...] = ()
    deadline_s: float = DEFAULT_DEADLINE_S
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    rpm: int | None = None
    cache: bool = True
    cache_bytes: int = DEFAULT_CACHE_BYTES
    cache_ttl_s: float = DEFAULT_CACHE_TTL_S
    max_sessions: int = DEFAULT_MAX_SESSIONS
    session_idle_s: float = DEFAULT_SESSION_IDLE_S
    shutdown_grace_s: float = DEFAULT_SHUTDOWN_GRACE_S
    # TOKEN_COUNTER_REDIS_URL (+ _PASSWORD): the state replicas share; None keeps everything in the process.
    redis: RedisSettings | None = field(default=None, repr=False)
    # TOKEN_COUNTER_USER_RPM: tool calls per minute for each OAuth subject (HTTP with OAuth only).
    user_rpm: int | None = None
    # TOKEN_COUNTER_STATE_KEYS: the ring sealing multi-round-trip requestState, first key seals.
    state_keys: tuple[str, ...] = field(default=(), repr=False)
    # Every secret the environment holds, to scrub from whatever leaves the process (``redaction``).
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def active_credential(self) -> Credential | None:
        """The credential counts are made with: none when offline, whatever is set (``TOKEN_COUNTER_OFFLINE``)."""
        return None if self.offline else self.credential

    @property
    def provider(self) -> Provider | None:
        """The provider calls go to, or None when counting offline."""
        credential = self.active_credential
        return None if credential is None else credential.provider

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read the settings; bad values raise ``ConfigError`` naming the variable."""
        env = {k: v.strip() for k, v in environ.items() if v.strip()}
        credential = _credential(env)
        timeout_s = _positive_float(env, "TOKEN_COUNTER_TIMEOUT", DEFAULT_TIMEOUT_S)
        return cls(
            credential=credential,
            base_url=_base_url(env, credential),
            timeout_s=timeout_s,
            max_retries=_non_negative_int(env, "TOKEN_COUNTER_MAX_RETRIES", DEFAULT_MAX_RETRIES),
            offline=env.get("TOKEN_COUNTER_OFFLINE", "").lower() in _TRUE,
            fallback=_fallback(env),
            allowed_dirs=tuple(d for d in env.get("TOKEN_COUNTER_ALLOWED_DIRS", "").split(os.pathsep) if d.strip()),
            secrets=secrets_in(env),
            redis=_redis(env),
            state_keys=_state_keys(env),
            user_rpm=_non_negative_int(env, "TOKEN_COUNTER_USER_RPM", 0) or None,
            **_pressure_and_cache(env, timeout_s),
        )


def load_settings(environ: Mapping[str, str]) -> tuple[Settings, ConfigError | None]:
    """Settings from the environment; a bad value is kept to report on each call, never fatal at start."""
    try:
        return Settings.from_env(environ), None
    except ConfigError as exc:
        logger.warning("Configuration problem, reported on every tool call: %s", exc)
        return Settings(secrets=secrets_in(environ)), exc


def _credential(env: Mapping[str, str]) -> Credential | None:
    forced = env.get("TOKEN_COUNTER_PROVIDER", "").lower()
    if forced not in ("", "anthropic", "acedatacloud"):
        raise ConfigError(
            f"TOKEN_COUNTER_PROVIDER={forced!r} is not a provider; use 'anthropic' or 'acedatacloud'.",
            variable="TOKEN_COUNTER_PROVIDER",
        )
    styles: tuple[tuple[str, AuthStyle], ...] = (
        ("ANTHROPIC_API_KEY", "x-api-key"),
        ("ANTHROPIC_AUTH_TOKEN", "bearer"),
    )
    candidates = [
        Credential("anthropic", _secret(env, name), style, name)
        for name, style in styles
        if name in env and forced != "acedatacloud"
    ]
    if "ACEDATACLOUD_API_TOKEN" in env and forced != "anthropic":
        candidates.append(
            Credential("acedatacloud", _secret(env, "ACEDATACLOUD_API_TOKEN"), "bearer", "ACEDATACLOUD_API_TOKEN")
        )
    return candidates[0] if candidates else None


def _secret(env: Mapping[str, str], name: str) -> SecretStr:
    """A key as it can go into an HTTP header: one line of printable ASCII. The value is never shown.

    Raises:
        ConfigError: anything else (a line break, a tab, a non-ASCII character from a copy and paste).
    """
    value = env[name]
    if value.isascii() and value.isprintable():
        return SecretStr(value)
    raise ConfigError(
        f"{name} is not a valid key: it must be one line of printable ASCII characters, and it holds a line break, "
        "a control character or a non-ASCII character. Copy the key again, exactly as the console shows it.",
        variable=name,
    )


def _base_url(env: Mapping[str, str], credential: Credential | None) -> str:
    if credential is not None and credential.provider == "acedatacloud":
        variable, default = "ACEDATACLOUD_API_BASE_URL", ACEDATACLOUD_BASE_URL
    else:
        variable, default = "ANTHROPIC_BASE_URL", ANTHROPIC_BASE_URL
    url = env.get(variable, default).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{variable} must be an http(s) URL, got {display_url(url)!r}.", variable=variable)
    # A base URL copied from an SDK example often ends in /v1; the paths below add it themselves.
    return url.removesuffix("/v1")


def _url(env: Mapping[str, str], name: str) -> str:
    url = env[name]  # kept as written: RFC 8414 compares issuers as exact strings
    if not url.startswith(("http://", "https://")) or "#" in url or "?" in url:
        raise ConfigError(
            f"{name} must be an http(s) URL without a query or fragment, got {display_url(url)!r}.", variable=name
        )
    return url


class _Introspection(TypedDict):
    introspection_url: str | None
    client_id: str | None
    client_secret: SecretStr | None


def _introspection(env: Mapping[str, str]) -> _Introspection:
    """RFC 7662 introspection, for opaque tokens: the endpoint and this server's client credentials."""
    url = _url(env, "TOKEN_COUNTER_OAUTH_INTROSPECTION_URL") if "TOKEN_COUNTER_OAUTH_INTROSPECTION_URL" in env else None
    client_id = env.get("TOKEN_COUNTER_OAUTH_CLIENT_ID")
    secret = env.get("TOKEN_COUNTER_OAUTH_CLIENT_SECRET")
    if url is not None and (client_id is None or secret is None):
        raise ConfigError(
            "TOKEN_COUNTER_OAUTH_INTROSPECTION_URL needs TOKEN_COUNTER_OAUTH_CLIENT_ID and "
            "TOKEN_COUNTER_OAUTH_CLIENT_SECRET: the credentials this server introspects tokens with.",
            variable="TOKEN_COUNTER_OAUTH_CLIENT_ID",
        )
    return _Introspection(
        introspection_url=url, client_id=client_id, client_secret=SecretStr(secret) if secret else None
    )


def _non_negative_float(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name, default))
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ConfigError(f"{name} must be a number of seconds, 0 or more, got {env[name]!r}.", variable=name)
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name, default))
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"{name} must be a positive number of seconds, got {env[name]!r}.", variable=name)
    return value


class _Reliability(TypedDict):
    deadline_s: float
    max_concurrency: int
    rpm: int | None
    cache: bool
    cache_bytes: int
    cache_ttl_s: float
    max_sessions: int
    session_idle_s: float
    shutdown_grace_s: float


def _pressure_and_cache(env: Mapping[str, str], timeout_s: float) -> _Reliability:
    """The reliability and serving limits (docs/limits.md, "Behaviour under failure" and "Limits")."""
    rpm = _non_negative_int(env, "TOKEN_COUNTER_RPM", 0)
    return _Reliability(
        # A deadline below the per-request timeout would cut every slow answer short; default to the larger.
        deadline_s=_positive_float(env, "TOKEN_COUNTER_DEADLINE", max(DEFAULT_DEADLINE_S, timeout_s)),
        max_concurrency=_positive_int(env, "TOKEN_COUNTER_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY),
        rpm=rpm or None,
        cache=_switch(env, "TOKEN_COUNTER_CACHE", default=True),
        cache_bytes=_non_negative_int(env, "TOKEN_COUNTER_CACHE_BYTES", DEFAULT_CACHE_BYTES),
        cache_ttl_s=_positive_float(env, "TOKEN_COUNTER_CACHE_TTL", DEFAULT_CACHE_TTL_S),
        max_sessions=_positive_int(env, "TOKEN_COUNTER_MAX_SESSIONS", DEFAULT_MAX_SESSIONS),
        session_idle_s=_positive_float(env, "TOKEN_COUNTER_SESSION_IDLE_TIMEOUT", DEFAULT_SESSION_IDLE_S),
        shutdown_grace_s=_positive_float(env, "TOKEN_COUNTER_SHUTDOWN_GRACE", DEFAULT_SHUTDOWN_GRACE_S),
    )


def _switch(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = env.get(name, "").lower()
    if not value:
        return default
    if value in _TRUE or value in _FALSE:
        return value in _TRUE
    raise ConfigError(f"{name} must be 1 or 0 (on or off), got {env[name]!r}.", variable=name)


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _whole_number(env, name, default)
    if value == 0:
        raise ConfigError(f"{name} must be a whole number >= 1, got {env[name]!r}.", variable=name)
    return value


def _non_negative_int(env: Mapping[str, str], name: str, default: int) -> int:
    return _whole_number(env, name, default)


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw):
        raise ConfigError(f"{name} must be a whole number written in the digits 0-9, got {raw!r}.", variable=name)
    return int(raw)


def _fallback(env: Mapping[str, str]) -> Fallback:
    value = env.get("TOKEN_COUNTER_FALLBACK", "estimate").lower()
    if value == "estimate" or value == "error":
        return value
    raise ConfigError(
        f"TOKEN_COUNTER_FALLBACK={value!r} is not valid; use 'estimate' or 'error'.",
        variable="TOKEN_COUNTER_FALLBACK",
    )


def _redis(env: Mapping[str, str]) -> RedisSettings | None:
    url = env.get("TOKEN_COUNTER_REDIS_URL")
    if url is None:
        return None
    if not url.startswith(("redis://", "rediss://")):
        raise ConfigError(
            f"TOKEN_COUNTER_REDIS_URL must start with redis:// or rediss://, got {display_url(url)!r}.",
            variable="TOKEN_COUNTER_REDIS_URL",
        )
    password = env.get("TOKEN_COUNTER_REDIS_PASSWORD")
    return RedisSettings(
        url=url,
        password=SecretStr(password) if password else None,
        timeout_s=_positive_float(env, "TOKEN_COUNTER_REDIS_TIMEOUT", DEFAULT_REDIS_TIMEOUT_S),
    )


def _state_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in env.get("TOKEN_COUNTER_STATE_KEYS", "").split(",") if key.strip())
    for index, key in enumerate(keys):
        if len(key.encode("utf-8")) < MIN_STATE_KEY_BYTES:
            raise ConfigError(
                f"TOKEN_COUNTER_STATE_KEYS: key {index + 1} is {len(key.encode('utf-8'))} bytes; each key needs at "
                f"least {MIN_STATE_KEY_BYTES} bytes of randomness. Make one with: "
                'python -c "import secrets; print(secrets.token_hex(32))"',
                variable="TOKEN_COUNTER_STATE_KEYS",
            )
    if len(set(keys)) != len(keys):
        raise ConfigError("TOKEN_COUNTER_STATE_KEYS lists the same key twice.", variable="TOKEN_COUNTER_STATE_KEYS")
    return keys
