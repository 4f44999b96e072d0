"""Starting the server once the flags are parsed: logging → settings → stdio or HTTP/SSE (``serving``).

Usage errors here exit 2 with a message (someone typed the command and is watching); a bad setting never stops
the server, it is reported on every tool call instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Final

from . import __version__
from .app import TokenCounterServer, build_server
from .clock import SystemClock
from .config import OAuthSettings, Settings, load_settings
from .errors import ConfigError
from .logs import configure_logging
from .metrics import NO_METRICS, Metrics
from .serving import web
from .serving.flags import TRANSPORTS, ServeFlags
from .serving.web import HttpOptions, HttpTransport

if TYPE_CHECKING:
    from .auth.resource import ResourceServer

logger = logging.getLogger("mcp_token_counter")

CONNECT_HINT: Final = """mcp-token-counter {version} is running on stdio and waits for an MCP client on stdin.
Connect it from Claude Desktop or Claude Code instead of a terminal, for example:
  claude mcp add token-counter -- {command}
To serve HTTP instead: {command} --transport http
Press Ctrl-C to stop."""


class LaunchRefused(Exception):
    """The flags ask for something unsafe or contradictory (exit 2, the message says why)."""


def serve(flags: ServeFlags) -> None:
    """Run the server until its client leaves, or Ctrl-C / SIGTERM.

    Raises:
        LaunchRefused: ``--stateless`` without streamable HTTP, or a bind beyond loopback without a token.
    """
    transport = TRANSPORTS[flags.transport]
    if flags.stateless and transport != "streamable-http":
        raise LaunchRefused("--stateless applies to --transport http only")
    configure_logging(flags.verbose, startup_line=transport is None)
    settings, config_error = load_settings(os.environ)
    if transport is None:
        run_stdio(build_server(settings, config_error=config_error))
        return
    resource = oauth_resource(os.environ)
    options = http_options(flags, transport, settings, oauth=resource is not None)
    refusal = web.unsafe_bind(options)
    if refusal:
        raise LaunchRefused(refusal)
    # Only HTTP serves /metrics, so only HTTP records them (and imports prometheus-client, if installed).
    server = build_server(
        settings,
        config_error=config_error,
        metrics=Metrics.recording(),
        **(resource.server_kwargs() if resource else {}),
    )
    log_affinity(settings)
    run_http(server, options, settings=settings, resource=resource)


def oauth_resource(environ: Mapping[str, str]) -> ResourceServer | None:
    """The OAuth resource server when ``TOKEN_COUNTER_OAUTH_*`` is set, built even from invalid settings (it
    then answers 503, never lets a request through unchecked); None without OAuth. ``auth/`` (and PyJWT) is
    imported only then, so neither stdio nor a server without OAuth loads it."""
    try:
        oauth, error = OAuthSettings.from_env(environ), None
    except ConfigError as exc:
        oauth, error = None, exc
    if oauth is None and error is None:
        return None
    from .auth.resource import ResourceServer

    return ResourceServer(oauth, error=error, static_token=web.http_token(environ) if error is None else None)


def http_options(flags: ServeFlags, transport: HttpTransport, settings: Settings, *, oauth: bool) -> HttpOptions:
    """The HTTP serving options from the flags, ``TOKEN_COUNTER_HTTP_TOKEN`` and the session limits."""
    return HttpOptions(
        oauth=oauth,
        transport=transport,
        host=flags.host,
        port=flags.port,
        stateless=flags.stateless,
        allowed_hosts=flags.allowed_hosts,
        token=web.http_token(os.environ),
        max_sessions=settings.max_sessions,
        session_idle_s=settings.session_idle_s,
        shutdown_grace_s=settings.shutdown_grace_s,
    )


def log_affinity(settings: Settings) -> None:
    """Say at start-up when multi-round-trip calls need session affinity; a warning when Redis suggests replicas."""
    if settings.state_keys:
        return
    logger.log(
        logging.WARNING if settings.redis is not None else logging.INFO,
        "TOKEN_COUNTER_STATE_KEYS is not set: a multi-round-trip call (count_files asking the client for its roots) "
        "only completes on the replica that started it, so replicas behind a load balancer need session affinity. "
        "Give every replica the same TOKEN_COUNTER_STATE_KEYS to lift that.",
    )


def launch_command(argv0: str = sys.argv[0]) -> str:
    """How this server was started, as an absolute command a client config can use."""
    if Path(argv0).name == "__main__.py":
        return f"{sys.executable} -m mcp_token_counter"
    found = shutil.which(argv0) if os.sep not in argv0 else argv0
    return os.path.abspath(found or argv0)  # normalised: no '..' left for a config to trip on


def run_stdio(server: TokenCounterServer) -> None:
    """Serve on stdin/stdout until the client closes stdin, or Ctrl-C."""
    if sys.stdin.isatty():
        sys.stderr.write(CONNECT_HINT.format(version=__version__, command=launch_command()) + "\n")
    # The SDK reads stdin in a worker thread no signal interrupts, so a cancelled server would wait for the
    # next input line and Ctrl-C seemed to do nothing. A stdio server keeps no state to save (its client owns
    # the session), so Ctrl-C ends it at once, as SIGTERM already does.
    signal.signal(signal.SIGINT, _exit_now)
    server.run("stdio")


def _exit_now(_signal: int, _frame: FrameType | None) -> None:
    sys.stderr.flush()
    os._exit(0)


def run_http(
    server: TokenCounterServer, options: HttpOptions, *, settings: Settings, resource: ResourceServer | None = None
) -> None:
    """Serve over HTTP until interrupted, saying on stderr, in one line once listening, where and with which
    credential (its variable, never its value)."""
    auth = _auth_label(options, resource)
    label = "SSE" if options.transport == "sse" else "streamable HTTP"
    credential = settings.active_credential
    counting = f"{credential.provider} ({credential.variable})" if credential else "offline estimates"

    def announce(port: int) -> None:
        url = web.endpoint_url(options, port)
        line = f"mcp-token-counter {__version__}: {label} at {url} ({auth}), counting with {counting}; Ctrl-C to stop"
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    guard = resource.guard if resource is not None else None
    if resource is not None:
        resource.add_routes(server)
        resource.watch(server.metrics)
        with_per_user_calls(server, settings)
    exposition = server.metrics.exposition if server.metrics.registry is not None else None
    app = web.build_http_app(
        server, options, provider=settings.provider, metrics=exposition, no_metrics=NO_METRICS, guard=guard
    )
    web.serve(app, options, on_listening=announce, calls=server.calls)


def with_per_user_calls(server: TokenCounterServer, settings: Settings) -> None:
    """Each OAuth caller's quota (``TOKEN_COUNTER_USER_RPM``), cache scope and access log line (at the
    default level: a team's server keeps a record of who counted what, never the content)."""
    from .auth.calls import ACCESS_LOGGER, PerUserCalls

    server.per_user = PerUserCalls(rpm=settings.user_rpm, clock=SystemClock())
    access = logging.getLogger(ACCESS_LOGGER)
    access.setLevel(min(access.getEffectiveLevel(), logging.INFO))


def _auth_label(options: HttpOptions, resource: ResourceServer | None) -> str:
    if resource is not None and resource.settings is not None:
        extra = " or the bearer token" if options.token else ""
        return f"OAuth tokens from {resource.settings.issuer}{extra}"
    if resource is not None:
        return "OAuth misconfigured: /mcp answers 503"
    return "bearer token required" if options.token else "no token: loopback only"
