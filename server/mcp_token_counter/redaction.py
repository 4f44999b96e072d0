"""Secrets never leave the process: not in results, notes, error messages, log lines or tracebacks.

The secrets are what the environment configures: the credentials, the HTTP bearer token, and whatever a base
URL carries beside its host (user info, query values, and path segments that look like keys, for gateways
that put the key in the path). An upstream may echo any of them back in an error body or a header; so the
text that comes from the upstream is scrubbed where it is read (``upstream``), base URLs are shown through
``display_url``, and every log record is scrubbed when it is made (``protect_logs``), its traceback included.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Final
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

MASK: Final = "***"
# Shorter values are not treated as secrets: masking every "k" of a test key would garble every message.
MIN_SECRET_CHARS: Final = 8
SECRET_VARIABLES: Final = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ACEDATACLOUD_API_TOKEN",
    "TOKEN_COUNTER_HTTP_TOKEN",
    "TOKEN_COUNTER_OAUTH_CLIENT_SECRET",
    "TOKEN_COUNTER_REDIS_PASSWORD",
)
URL_VARIABLES: Final = ("ANTHROPIC_BASE_URL", "ACEDATACLOUD_API_BASE_URL", "TOKEN_COUNTER_REDIS_URL")
# Comma-separated lists of secrets: each item is one.
LIST_VARIABLES: Final = ("TOKEN_COUNTER_STATE_KEYS",)
# A path segment that looks like a key: long, and made of letters mixed with digits (or a key prefix).
_KEY_LIKE: Final = re.compile(r"(?=[^/]*[0-9])(?=[^/]*[A-Za-z])[A-Za-z0-9._~+=-]{16,}|sk-[A-Za-z0-9._-]{8,}")

type Redact = Callable[[str], str]


def secrets_in(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Every secret the environment configures, whether or not the settings around it are valid."""
    found = [environ[name].strip() for name in SECRET_VARIABLES if environ.get(name, "").strip()]
    for name in URL_VARIABLES:
        found += url_secrets(environ.get(name, "").strip())
    for name in LIST_VARIABLES:
        found += [item.strip() for item in environ.get(name, "").split(",") if item.strip()]
    return tuple(secret for secret in dict.fromkeys(found) if len(secret) >= MIN_SECRET_CHARS)


def url_secrets(url: str) -> list[str]:
    """What a URL carries that is not its address: user info, query values, key-like path segments."""
    parts = urlsplit(url)
    found = [value for value in (parts.username, parts.password) if value]
    found += [value for _, value in parse_qsl(parts.query)]
    found += [segment for segment in parts.path.split("/") if _KEY_LIKE.fullmatch(segment)]
    return found


def display_url(url: str) -> str:
    """``url`` as it may be shown: user info, query values and key-like path segments masked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{parts.port}" if parts.port is not None else ""
    if parts.username is not None or parts.password is not None:
        netloc = f"{MASK}@{netloc}"
    path = "/".join(MASK if _KEY_LIKE.fullmatch(segment) else segment for segment in parts.path.split("/"))
    query = "&".join(f"{name}={MASK}" for name, _ in parse_qsl(parts.query))
    return urlunsplit(parts._replace(netloc=netloc, path=path, query=query))


class Redactor:
    """Replaces each known secret (and its URL-encoded form) with ``MASK``.

    A secret shorter than ``MIN_SECRET_CHARS`` (a short password in a database URL) is masked only where it
    stands as a whole word, so that it does not garble every word it happens to be part of.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for secret in secrets for form in (secret, quote(secret, safe="")) if secret}
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(forms, key=len, reverse=True)
        alternatives = [_alternative(form) for form in ordered]
        self._pattern = re.compile("|".join(alternatives)) if alternatives else None

    def __call__(self, text: str) -> str:
        """``text`` with every secret masked."""
        return text if self._pattern is None else self._pattern.sub(MASK, text)


def _alternative(secret: str) -> str:
    escaped = re.escape(secret)
    return escaped if len(secret) >= MIN_SECRET_CHARS else rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"


_lock = threading.Lock()
_protected: set[str] = set()
_redact_logs: Redact = Redactor(())


def protect_logs(secrets: Iterable[str]) -> None:
    """Scrub ``secrets`` from every log record made from now on in this process, tracebacks included.

    Records are scrubbed as they are made (a record factory), so every handler sees the scrubbed text:
    stderr, and any handler a host or a test adds. Secrets accumulate; the factory is installed once.
    """
    with _lock:
        new = set(secrets) - _protected
        if not new:
            return
        first = not _protected
        _protected.update(new)
        redact = Redactor(_protected)
        global _redact_logs
        _redact_logs = redact
        if first:
            logging.setLogRecordFactory(_scrubbing(logging.getLogRecordFactory()))


def _scrubbing(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def scrubbed(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        redact = _redact_logs
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001  # a bad format call is logging's to report, at emit time, not ours here
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return record

    return scrubbed
