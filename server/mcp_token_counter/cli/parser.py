"""The one command-line parser (click): the server's flags, and the subcommands for the shell.

``mcp-token-counter`` alone serves MCP (stdio unless ``--transport`` says otherwise); ``count``, ``fit``,
``cache``, ``count-files``, ``models`` and ``audit`` count from the shell. click suggests the nearest command
or flag for a typo, and the global flags (``-v``, ``--json``) are accepted before or after the subcommand.

The subcommands' work lives in ``cli.commands``, imported when one runs: serving never needs the CLI's
rendering, and start-up time is measured.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import click

from .. import __version__
from ..serving.flags import DEFAULT_HOST, DEFAULT_PORT, TRANSPORTS, ServeFlags, allowed_host
from .flags import GlobalFlags

PROG: Final = "mcp-token-counter"
CONTEXT: Final[dict[str, Any]] = {"help_option_names": ["-h", "--help"], "max_content_width": 110}
DEFAULT_MODEL: Final = "claude-sonnet-4-6"
EXAMPLES: Final = """\b
Examples:
  mcp-token-counter                                      serve MCP on stdio (what a client starts)
  mcp-token-counter --transport http --port 8000         serve streamable HTTP at /mcp
  mcp-token-counter count examples/request.json --breakdown
  mcp-token-counter fit examples/request.json --max-tokens 8192
  mcp-token-counter cache examples/request.json --previous last.json --repeats 20
  mcp-token-counter count-files server 'docs/**/*.md' --model claude-haiku-4-5
  mcp-token-counter models --json
  mcp-token-counter audit --budget 20000

\b
-v and --json go before or after the subcommand. Exit codes: 0 done, 1 counting failed,
2 usage or input error, 3 the request or files do not fit the window, or (cache) a breakpoint
will not be cached.
HTTP clients must send 'Authorization: Bearer <token>' when TOKEN_COUNTER_HTTP_TOKEN is set;
binding beyond loopback requires it. GET /health is always open."""


def global_options[F: Callable[..., Any]](function: F) -> F:
    """``-v`` and ``--json``, added to the group and to every subcommand."""
    function = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")(function)
    return click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv: every upstream request).")(
        function
    )


def _allowed_hosts(_ctx: click.Context, _param: click.Parameter, values: Sequence[str]) -> tuple[str, ...]:
    try:
        return tuple(allowed_host(value) for value in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from ..offline.compiled.engine import describe  # imports the small compiled extension only, never a vocabulary

    click.echo(f"{PROG} {__version__}\noffline engine: {describe()}")
    ctx.exit()


@click.group(invoke_without_command=True, context_settings=CONTEXT, epilog=EXAMPLES)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and which offline engine is active, and exit.",
)
@global_options
@click.option(
    "--transport",
    type=click.Choice(list(TRANSPORTS)),
    default="stdio",
    show_default=True,
    help="http = streamable HTTP at /mcp (alias streamable-http); "
    "sse = legacy SSE at /sse (deprecated by the 2026 spec, kept for older clients).",
)
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to bind for http/sse.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="0 = any free port.",
)
@click.option(
    "--stateless",
    is_flag=True,
    help="Streamable HTTP without sessions for 2025-era clients (2026-07-28 clients are always sessionless).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="HOST[:PORT]",
    callback=_allowed_hosts,
    help="A Host header to accept besides loopback, e.g. the public name behind a proxy (repeatable).",
)
@click.pass_context
def cli(ctx: click.Context, *, verbose: int, as_json: bool, **serving: Any) -> None:
    """MCP server that counts the tokens of Claude Messages API requests, and a CLI for the same counts.

    With no command it serves MCP; the commands below count from the shell.
    """
    ctx.obj = GlobalFlags(verbose=verbose, as_json=as_json)
    if ctx.invoked_subcommand is not None:
        return
    if as_json:
        raise click.UsageError("--json applies to the commands (count, fit, count-files, models), not to serving.")
    from ..launch import LaunchRefused, serve  # only to serve: the commands never load the MCP server

    try:
        serve(server_flags(verbose=verbose, **serving))
    except LaunchRefused as exc:
        raise click.UsageError(str(exc)) from exc


def server_flags(
    *, verbose: int, transport: str, host: str, port: int, stateless: bool, allowed_hosts: Any
) -> ServeFlags:
    return ServeFlags(
        transport=transport,
        host=host,
        port=port,
        stateless=stateless,
        allowed_hosts=tuple(allowed_hosts),
        verbose=verbose,
    )


def parse_server_flags(argv: Sequence[str]) -> ServeFlags:
    """The server's flags from ``argv`` without serving (for tests and tools).

    Raises:
        click.UsageError: the flags are not valid.
    """
    with cli.make_context(PROG, list(argv), resilient_parsing=False) as ctx:
        params = dict(ctx.params)
    params.pop("as_json")
    return server_flags(**params)


def merged(ctx: click.Context, *, verbose: int, as_json: bool) -> GlobalFlags:
    """The global flags given before the subcommand combined with those after it."""
    before: GlobalFlags = ctx.find_object(GlobalFlags) or GlobalFlags()
    return GlobalFlags(verbose=before.verbose + verbose, as_json=before.as_json or as_json)


PAYLOAD = click.argument("payload", metavar="PAYLOAD.json|-")
MAX_TOKENS = click.option(
    "--max-tokens", type=click.IntRange(min=1), default=None, help="Output tokens to reserve in the fit."
)
CONTEXT_WINDOW = click.option(
    "--context-window", type=click.IntRange(min=1), default=None, help="The window to fit, for a model the table lacks."
)
HTML = click.option(
    "--html", metavar="FILE", default=None, help="Also write the context-window view as a standalone page."
)


@cli.command(
    context_settings=CONTEXT,
    short_help="Count a request's input tokens.",
    epilog="\b\nExample:\n  mcp-token-counter count examples/request.json --breakdown",
)
@PAYLOAD
@click.option("--breakdown", is_flag=True, help="Tokens per part (system, tools, each message).")
@HTML
@global_options
@click.pass_context
def count(ctx: click.Context, payload: str, breakdown: bool, html: str | None, verbose: int, as_json: bool) -> None:
    """Count a Messages API request (a JSON file, or - for stdin)."""
    from . import commands  # when a command runs: serving never needs the CLI's rendering

    flags = merged(ctx, verbose=verbose, as_json=as_json)
    ctx.exit(commands.count(payload, breakdown=breakdown, html=html, flags=flags))


@cli.command(
    context_settings=CONTEXT,
    short_help="Check a request fits the window (exit 3 if not).",
    epilog="\b\nExample:\n  mcp-token-counter fit examples/request.json --max-tokens 8192",
)
@PAYLOAD
@MAX_TOKENS
@CONTEXT_WINDOW
@click.option("--breakdown", is_flag=True, help="Tokens per part; names the biggest parts when it does not fit.")
@HTML
@global_options
@click.pass_context
def fit(
    ctx: click.Context,
    payload: str,
    max_tokens: int | None,
    context_window: int | None,
    breakdown: bool,
    html: str | None,
    verbose: int,
    as_json: bool,
) -> None:
    """Check a request fits the model's window with room for the output; exit 3 when it does not.

    --max-tokens overrides the payload's own max_tokens.
    """
    from . import commands

    flags = merged(ctx, verbose=verbose, as_json=as_json)
    window = {"max_tokens": max_tokens, "context_window": context_window}
    ctx.exit(commands.fit(payload, **window, breakdown=breakdown, html=html, flags=flags))


@cli.command(
    context_settings=CONTEXT,
    short_help="Check each cache breakpoint is cached (exit 3 if not).",
    epilog="\b\nExample:\n  mcp-token-counter cache examples/request.json --previous last.json --repeats 20",
)
@click.argument("payload", metavar="REQUEST.json|-")
@click.option("--previous", metavar="PREV.json", default=None, help="The last request sent: which entries it can read.")
@click.option("--repeats", type=click.IntRange(min=1), default=None, help="Reuses of the prefix within its TTL.")
@HTML
@global_options
@click.pass_context
def cache(
    ctx: click.Context,
    payload: str,
    previous: str | None,
    repeats: int | None,
    html: str | None,
    verbose: int,
    as_json: bool,
) -> None:
    """Check every cache_control breakpoint of a request against the prompt-caching rules.

    Exit 3 when a breakpoint will not be cached, so it can gate CI.
    """
    from . import commands

    flags = merged(ctx, verbose=verbose, as_json=as_json)
    ctx.exit(commands.cache(payload, previous=previous, repeats=repeats, html=html, flags=flags))


@cli.command(
    "count-files",
    context_settings=CONTEXT,
    short_help="Count files, folders or globs (exit 3 if over the window).",
    epilog="\b\nExample:\n  mcp-token-counter count-files server README.md 'docs/**/*.md' --model claude-haiku-4-5",
)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Model id, for its tokenizer and window.")
@MAX_TOKENS
@CONTEXT_WINDOW
@HTML
@global_options
@click.pass_context
def count_files(
    ctx: click.Context,
    paths: tuple[str, ...],
    model: str,
    max_tokens: int | None,
    context_window: int | None,
    html: str | None,
    verbose: int,
    as_json: bool,
) -> None:
    """Count files, folders or glob patterns as content blocks (.gitignore and git's excludes apply).

    Exit 3 when they do not fit the window.
    """
    from . import commands

    flags = merged(ctx, verbose=verbose, as_json=as_json)
    window = {"max_tokens": max_tokens, "context_window": context_window}
    ctx.exit(commands.count_files(paths, model=model, **window, html=html, flags=flags))


@cli.command(
    context_settings=CONTEXT,
    short_help="List the known models and their prices.",
    epilog="\b\nExample:\n  mcp-token-counter models --json",
)
@global_options
@click.pass_context
def models(ctx: click.Context, verbose: int, as_json: bool) -> None:
    """List the known models: window, max output, prices, tokenizer family and status."""
    from . import commands

    ctx.exit(commands.models(flags=merged(ctx, verbose=verbose, as_json=as_json)))


class Seconds(click.FloatRange):
    """A finite number of seconds above 0: ``nan`` passes a plain range, as every comparison with it is false."""

    name = "seconds"

    def __init__(self) -> None:
        super().__init__(min=0, min_open=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a number of seconds; pass one above 0, such as 30.", param, ctx)
        return seconds


AUDIT_EPILOG: Final = """Reads Claude Desktop's claude_desktop_config.json (macOS, Windows, Linux), Claude Code's
.mcp.json and ~/.claude.json, Cursor's .cursor/mcp.json (project and user), VS Code's .vscode/mcp.json and Codex's
~/.codex/config.toml, or only the --config files. Every server is started or reached as the host would:
stdio servers run their configured command, so audit only configs you trust.

Secrets: env values and headers from the configs are passed to their servers and never printed, logged or
written to the JSON output.

Exit codes: 0 done (a server that fails is a row with its reason), 1 counting failed, 2 no config found,
3 the total is over --budget.

\b
Example:
  mcp-token-counter audit --config .mcp.json --model claude-opus-4-8 --budget 20000 --json
  mcp-token-counter audit"""


@cli.command(
    context_settings=CONTEXT,
    short_help="What your MCP servers' tools cost in context, per tool.",
    epilog=AUDIT_EPILOG,
)
@click.option(
    "--config",
    "configs",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="A host config (repeatable).",
)
@click.option("--model", default=None, help="Model whose window to compare with (default: the current Sonnet).")
@click.option(
    "--budget", type=click.IntRange(min=0), default=None, metavar="N", help="Exit 3 when the total is over N."
)
@click.option("--timeout", type=Seconds(), default=None, help="Seconds per server [30].")
@click.option("--parallel", type=click.IntRange(min=1), default=None, help="Servers at once [4].")
@global_options
@click.pass_context
def audit(
    ctx: click.Context,
    *,
    configs: tuple[Path, ...],
    model: str | None,
    budget: int | None,
    timeout: float | None,
    parallel: int | None,
    verbose: int,
    as_json: bool,
) -> None:
    """Connect to the MCP servers in your host configs and price their tools per tool, the shared overhead once.

    Env values and headers from the configs are never printed, logged or written to the JSON output.
    """
    from . import commands
    from .audit import AuditArgs

    args = AuditArgs(configs=configs, model=model, budget=budget)
    if timeout is not None:
        args = replace(args, timeout_s=timeout)
    if parallel is not None:
        args = replace(args, parallel=parallel)
    ctx.exit(commands.audit(args, flags=merged(ctx, verbose=verbose, as_json=as_json)))
