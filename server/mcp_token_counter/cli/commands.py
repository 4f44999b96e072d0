"""Subcommands of ``mcp-token-counter`` for scripts and people: ``count``, ``count-files``, ``models``.

The CLI door: the same core as the MCP tools (``core.operations``, ``files.count``), with state built from the
same environment. Exit codes: 0 done, 1 counting failed, 2 usage or input error, 3 the files do not fit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final, TextIO, cast

import anyio
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress

from ..catalog import builtin_catalog, catalog_document
from ..config import MAX_REQUEST_BODY_BYTES, load_settings
from ..core import operations
from ..core.request import BODY_FIELDS, BodyFields, CountRequest, Message, build_request
from ..core.state import AppState, build_state
from ..errors import TokenCounterError
from ..files.count import FileCount, FileQuery, count_files
from ..redaction import protect_logs
from ..upstream.http import make_http_client
from . import audit as audit_cli
from .page import write_page
from .render import count_table, emit, files_table, models_table

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_NO_FIT: Final = 3

COUNT_EXAMPLE: Final = """example:
  mcp-token-counter count request.json --breakdown
  echo '{"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hi"}]}' | \\
    mcp-token-counter count - --json"""
FILES_EXAMPLE: Final = """example:
  mcp-token-counter count-files src README.md 'docs/**/*.md' --model claude-sonnet-4-6 --max-tokens 8192"""
MODELS_EXAMPLE: Final = """example:
  mcp-token-counter models --json | jq '.models[] | select(.status == "active") | .id'"""


class UsageError(Exception):
    """Bad input from the person at the terminal (exit 2)."""


def parser() -> argparse.ArgumentParser:
    """The subcommand parser; each command's ``--help`` ends with an example."""
    root = argparse.ArgumentParser(prog="mcp-token-counter", description="Count Claude tokens from the shell.")
    commands = root.add_subparsers(dest="command", required=True)
    raw = argparse.RawDescriptionHelpFormatter
    count = commands.add_parser("count", help="count a Messages API request", epilog=COUNT_EXAMPLE, formatter_class=raw)
    count.add_argument("payload", help="request JSON file, or - for stdin")
    count.add_argument("--breakdown", action="store_true", help="tokens per part (system, tools, each message)")
    files = commands.add_parser(
        "count-files", help="count local files as content blocks", epilog=FILES_EXAMPLE, formatter_class=raw
    )
    files.add_argument("paths", nargs="+", help="files, folders or glob patterns (.gitignore is respected)")
    files.add_argument("--model", default="claude-sonnet-4-6", help="model id (default: %(default)s)")
    files.add_argument("--max-tokens", type=int, default=None, help="output tokens to reserve in the fit")
    files.add_argument(
        "--context-window", type=int, default=None, help="the window to fit, for a model the table lacks"
    )
    for sub in (count, files):
        sub.add_argument("--html", metavar="FILE", help="also write the context-window view as a standalone page")
    commands.add_parser("models", help="list known models", epilog=MODELS_EXAMPLE, formatter_class=raw)
    audit_cli.add_parser(commands)
    for sub in commands.choices.values():
        sub.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    return root


def run(argv: Sequence[str]) -> int:
    """Run one subcommand; returns the exit code."""
    args = parser().parse_args(argv)
    if args.command == "count-files":
        # A person at the terminal may read what they can: '..' and relative paths are resolved here,
        # before the confinement that protects MCP clients' roots sees them.
        args.paths = [os.path.abspath(p) for p in args.paths]
    # Piped output gets a wide table rather than rich's 80 columns.
    out = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160)
    try:
        if args.command == "models":
            return _models(out, as_json=args.json)
        return anyio.run(_dispatch, args, out)
    except (UsageError, audit_cli.NoConfig) as exc:
        Console(file=sys.stderr).print(f"[red]error:[/] {exc}", highlight=False)
        return EXIT_USAGE
    except TokenCounterError as exc:
        Console(file=sys.stderr).print(f"[red]error:[/] {exc}", highlight=False)
        return EXIT_FAILED
    except OSError as exc:  # only --html writes; reading the payload has its own message
        Console(file=sys.stderr).print(f"[red]error:[/] cannot write {args.html}: {exc}", highlight=False)
        return EXIT_USAGE


async def _dispatch(args: argparse.Namespace, out: Console) -> int:
    async with engine() as state:
        if args.command == "audit":
            return await audit_cli.run_audit(args, out, state)
        if args.command == "count":
            request = _read_request(args.payload)
            result = await operations.count(state, request, breakdown=args.breakdown)
            emit(out, result, as_json=args.json, table=count_table)
            if args.html:
                write_page(args.html, "count_tokens", request.body, result)
            return EXIT_OK
        counted = await _count_files(state, args)
        emit(out, counted, as_json=args.json, table=files_table)
        if args.html:
            write_page(args.html, "count_files", {}, counted)
        return EXIT_OK if counted.fits else EXIT_NO_FIT


@asynccontextmanager
async def engine() -> AsyncGenerator[AppState]:
    """The tools' state, built from the environment as the server's lifespan builds it."""
    settings, config_error = load_settings(os.environ)
    protect_logs(settings.secrets)
    async with make_http_client(settings) as http:
        state = build_state(settings, http, config_error=config_error)
        try:
            yield state
        finally:
            await state.aclose()


def _read_request(source: str) -> CountRequest:
    """The payload as a CountRequest.

    Raises:
        UsageError: unreadable, not JSON, or not a request with a model and messages.
    """
    try:
        payload: object = json.loads(_read_bounded(source))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read a JSON request from {source}: {exc}") from exc
    fields = cast(dict[str, Any], payload) if isinstance(payload, dict) else {}
    if not isinstance(fields.get("model"), str):
        raise UsageError("the payload must be a JSON object with a string 'model' and a 'messages' list")
    try:
        messages = [Message.model_validate(m) for m in cast(list[Any], fields.get("messages") or [])]
    except ValidationError as exc:
        raise UsageError(f"invalid messages: {exc}") from exc
    if not messages:
        raise UsageError("the payload needs at least one message")
    return build_request(
        model=fields["model"],
        messages=messages,
        body_fields=BodyFields(**{name: fields.get(name) for name in BODY_FIELDS}),
        betas=fields.get("betas"),
        raw_arguments=fields,
    )


def _read_bounded(source: str) -> bytes:
    """The payload's bytes, refused while reading once past the request limit (``/dev/zero`` never ends).

    Raises:
        UsageError: the payload is larger than a request the server would take.
        OSError: it cannot be read.
    """
    if source == "-":
        data = sys.stdin.buffer.read(MAX_REQUEST_BODY_BYTES + 1)
    else:
        with Path(source).open("rb") as handle:
            data = handle.read(MAX_REQUEST_BODY_BYTES + 1)
    if len(data) > MAX_REQUEST_BODY_BYTES:
        raise UsageError(
            f"{source} holds more than {MAX_REQUEST_BODY_BYTES // (1024 * 1024)} MiB, more than any request the "
            "counting API takes; split it or shrink its images and PDFs."
        )
    return data


async def _count_files(state: AppState, args: argparse.Namespace) -> FileCount:
    # The whole filesystem is the root; the working directory comes first so names show relative to it.
    cwd = await anyio.Path.cwd()
    roots = [Path(await cwd.resolve()), Path(cwd.anchor)]
    query = FileQuery(
        patterns=args.paths,
        roots=roots,
        model=args.model,
        max_tokens=args.max_tokens,
        context_window=args.context_window,
        window_argument="--context-window",
    )
    with _progress(sys.stderr) as report:
        return await count_files(state, query, report)


class _progress:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self._bar = Progress(console=Console(file=stream), transient=True) if stream.isatty() else None
        self._task = self._bar.add_task("counting files") if self._bar else None

    def __enter__(self) -> Callable[[int, int], Any] | None:
        if self._bar is None:
            return None
        self._bar.start()
        return self._report

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    async def _report(self, done: int, total: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done, total=total)


def _models(out: Console, *, as_json: bool) -> int:
    document = catalog_document(builtin_catalog())
    if as_json:
        out.print_json(json.dumps(document))
    else:
        out.print(models_table(document))
    return EXIT_OK
