"""Failures a model can act on: the tree of ``TokenCounterError``, whose message reaches the model.

mcp 2.3 hides the message of any exception but its ``ToolError``; the MCP door (``app.py``) raises this tree's
message as a ``ToolError``. The tree itself stays free of the SDK, so the CLI's commands and the core load
without it (half a second of every command's start)::

    TokenCounterError(Exception)   anticipated failure; the message says what failed and what to change
    ├── ConfigError                no credentials or a bad setting; names the variable
    ├── UnknownWindow              no context window known for a model; names the argument that gives one
    ├── PayloadTooLarge            the body is over the counting API's 32 MB limit; refused before sending
    ├── PathRefused                count_files: a path leaves the allowed roots, or there are no roots
    │   ├── PathNotFound           a path names nothing; ``pattern`` says which
    │   └── NoMatch                a glob matches no file; ``pattern`` says which
    ├── BreakdownUnavailable       a partial count of a breakdown fell back to an estimate
    ├── UpstreamError              the counting API answered with an error status
    │   ├── AuthenticationFailed   401/403 (not a balance problem); names the credential variable
    │   ├── InsufficientBalance    Ace Data Cloud ``used_up``: top up, the token is fine
    │   ├── ModelNotFound          404 for the model
    │   ├── CountingRejected       400: a shape the endpoint cannot count or an invalid body
    │   ├── RateLimited            429; ``retry_after`` when the API gave one
    │   └── UpstreamOverloaded     5xx and 529
    └── UpstreamUnavailable        timeouts, refused connections and unreadable bodies after retries
"""

from __future__ import annotations

from typing import Final


class TokenCounterError(Exception):
    """Base of every failure reported to the model as an ``isError`` result."""


class ConfigError(TokenCounterError):
    """The configuration cannot serve this call; ``variable`` names the setting to fix."""

    def __init__(self, message: str, *, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


# How the MCP tools take a window; the CLI names its own flag instead.
WINDOW_ARGUMENT: Final = "the `context_window` argument"


class UnknownWindow(TokenCounterError):
    """The model's context window is not in the table and the provider did not say."""

    def __init__(self, model: str, *, argument: str = WINDOW_ARGUMENT) -> None:
        super().__init__(
            f"The context window of model {model[:100]!r} is unknown: it is not in the built-in model table and "
            f"the provider's /v1/models did not describe it. Pass the window as {argument} "
            "(for example 200000 or 1000000), or check the model id."
        )


class PayloadTooLarge(TokenCounterError):
    """The request body is over the counting API's limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"The request body is {size / 1e6:.1f} MB, over the counting API's {limit / 1e6:.0f} MB limit. "
            "Split the request, or downscale images and PDFs before counting."
        )
        self.size = size


class UpstreamError(TokenCounterError):
    """The counting API answered with an error status; ``upstream_message`` is what it said, if anything."""

    def __init__(self, message: str, *, status_code: int, upstream_message: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.upstream_message = upstream_message


class AuthenticationFailed(UpstreamError):
    """The credential was refused (401) or lacks permission (403)."""


class InsufficientBalance(UpstreamError):
    """Ace Data Cloud's balance is used up; the token itself is valid."""


class ModelNotFound(UpstreamError):
    """The provider does not know the model id."""


class CountingRejected(UpstreamError):
    """The endpoint refused the body (400): invalid, or a shape it cannot count."""


class RateLimited(UpstreamError):
    """Too many requests (429). ``retry_after`` is in seconds when the API gave one."""

    def __init__(self, message: str, *, upstream_message: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status_code=429, upstream_message=upstream_message)
        self.retry_after = retry_after


class UpstreamOverloaded(UpstreamError):
    """A 5xx or 529 answer: the provider is failing or overloaded."""


class PathRefused(TokenCounterError):
    """A path leaves the allowed roots, or no roots are available."""


class PathNotFound(PathRefused):
    """``pattern`` names no file or folder under the roots (the CLI words it for a shell, with exit code 2)."""

    def __init__(self, pattern: str, roots: str) -> None:
        super().__init__(f"{pattern!r} does not exist under the roots ({roots}).")
        self.pattern = pattern


class NoMatch(PathRefused):
    """The glob ``pattern`` matches no file that is not ignored."""

    def __init__(self, pattern: str) -> None:
        super().__init__(
            f"The pattern {pattern!r} matches no file (folders, and files .gitignore excludes, do not count). "
            "Check it, or name the files or folders."
        )
        self.pattern = pattern


class BreakdownUnavailable(TokenCounterError):
    """A differential count did not come from the API (it fell back to an estimate)."""


class UpstreamUnavailable(TokenCounterError):
    """No usable answer: timeout, refused connection or a body that is not the expected JSON."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
